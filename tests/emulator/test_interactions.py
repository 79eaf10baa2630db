"""Every interaction callback type, followups, modals, autocomplete and Discord's timing rules."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from emulator import Driver, DriverError, Emulator, World

from .testbot import EchoBot, SprintLayout

pytestmark = pytest.mark.asyncio


async def test_command_sync_keeps_definitions_and_ids(emu: Emulator, bot: EchoBot) -> None:
    synced = {c["name"]: c for c in emu.commands()}
    assert set(synced) == {"echo", "circle", "panel", "form", "goal", "tz", "multi", "report", "slow", "hostonly"}
    echo_options = {o["name"]: o for o in synced["echo"]["options"]}
    assert echo_options["count"]["type"] == 4 and echo_options["count"]["max_value"] == 5
    assert synced["hostonly"]["default_member_permissions"] == str(1 << 5)
    again = {c.name: c.id for c in await bot.tree.sync()}
    assert again == {name: int(c["id"]) for name, c in synced.items()}  # ids survive a re-sync


async def test_slash_with_typed_and_resolved_options(emu: Emulator, world: World, drv: Driver, bot: EchoBot) -> None:
    handle = await drv.slash(
        world.guild_a,
        world.alice,
        "echo",
        channel_id=world.circle_home,
        text="hi",
        count=2,
        ratio=2.5,
        loud=True,
        who=world.bob,
        where=world.second_home,
        role=world.circle_role,
    )
    response = await handle.response()
    assert response["type"] == 4
    assert response["data"]["content"] == "hihi|2.5|True|Member:bob|second-home|Circle"
    assert handle.ephemeral
    resolved = handle.payload["data"]["resolved"]
    assert set(resolved) == {"users", "members", "channels", "roles"}
    assert handle.payload["channel_id"] == str(world.circle_home)
    assert emu.messages(world.circle_home) == []  # ephemeral: not in the channel's history
    assert (await handle.final_message())["content"].startswith("hihi")


async def test_driver_refuses_what_discord_would(world: World, drv: Driver, bot: EchoBot) -> None:
    with pytest.raises(DriverError, match="no synced slash command"):
        await drv.slash(world.guild_a, world.alice, "nope")
    with pytest.raises(DriverError, match="unknown option"):
        await drv.slash(world.guild_a, world.alice, "echo", text="x", colour="red")
    with pytest.raises(DriverError, match="missing required"):
        await drv.slash(world.guild_a, world.alice, "echo")
    with pytest.raises(DriverError, match="expected an integer"):
        await drv.slash(world.guild_a, world.alice, "echo", text="x", count="2")
    with pytest.raises(DriverError, match=r"values in \[1, 5\]"):
        await drv.slash(world.guild_a, world.alice, "echo", text="x", count=9)
    with pytest.raises(DriverError, match="needs a subcommand"):
        await drv.slash(world.guild_a, world.alice, "circle")
    with pytest.raises(DriverError, match="hides /hostonly"):
        await drv.slash(world.guild_a, world.alice, "hostonly")
    handle = await drv.slash(world.guild_a, world.host, "hostonly")
    assert (await handle.response())["data"]["content"] == "hello host"


async def test_deferred_then_edit_original(world: World, drv: Driver, bot: EchoBot) -> None:
    handle = await drv.slash(world.guild_a, world.host, "circle create", name="EU", channel=world.circle_home)
    assert (await handle.response())["type"] == 5
    assert handle.ephemeral
    final = await handle.final_message()
    assert final["content"] == f"Created EU in <#{world.circle_home}>"
    assert not final["flags"] & (1 << 7)  # no longer "thinking"


async def test_first_followup_after_defer_replaces_the_loading_message(
    emu: Emulator, world: World, drv: Driver, bot: EchoBot
) -> None:
    handle = await drv.slash(world.guild_a, world.bob, "circle info")
    final = await handle.final_message()
    assert final["content"] == "Info via followup"
    assert [m["content"] for m in emu.messages(world.general)] == ["Info via followup"]
    nested = await drv.slash(world.guild_a, world.bob, "circle settings set", key="size", value=3)
    assert (await nested.final_message())["content"] == "size=3"


async def test_followups_and_ephemeral_followups(emu: Emulator, world: World, drv: Driver, bot: EchoBot) -> None:
    handle = await drv.slash(world.guild_a, world.carol, "multi")
    assert (await handle.final_message())["content"] == "first"
    assert (await handle.followup(0))["content"] == "second"
    third = await handle.followup(1)
    assert third["content"] == "third" and third["flags"] & 64
    assert [m["content"] for m in emu.messages(world.general)] == ["first", "second"]
    assert len(emu.messages(world.general, include_ephemeral=True)) == 3


async def test_the_bot_edits_public_replies_as_its_own_messages_but_not_ephemeral_ones(
    emu: Emulator, world: World, drv: Driver, bot: EchoBot
) -> None:
    """As on Discord: a public interaction reply is the bot's message (editable through the channel once
    the token is gone); an ephemeral one exists only for its interaction."""
    handle = await drv.slash(world.guild_a, world.carol, "multi")
    public = await handle.final_message()
    hidden = await handle.followup(1)
    channel = bot.get_partial_messageable(world.general)
    await channel.get_partial_message(int(public["id"])).edit(content="edited")
    assert emu.message(int(public["id"]))["content"] == "edited"  # type: ignore[index]
    with pytest.raises(discord.NotFound) as refused:
        await channel.get_partial_message(int(hidden["id"])).edit(content="edited")
    assert refused.value.code == 10008


async def test_buttons_update_and_deferred_update(emu: Emulator, world: World, drv: Driver, bot: EchoBot) -> None:
    panel = await drv.slash(world.guild_a, world.alice, "panel")
    message = await panel.final_message()
    assert message["components"][0]["components"][0]["custom_id"] == "panel:update"

    update = await drv.click(world.guild_a, world.bob, message, "panel:update")
    assert (await update.response())["type"] == 7
    assert emu.message(int(message["id"]))["content"] == "Updated"  # type: ignore[index]

    later = await drv.click(world.guild_a, world.bob, message, "panel:later")
    assert (await later.response())["type"] == 6
    assert (await later.final_message())["content"] == "Edited later"
    with pytest.raises(DriverError, match="no component"):
        await drv.click(world.guild_a, world.bob, message, "panel:missing")

    picked = await drv.click(world.guild_a, world.carol, message, "panel:size", values=["2", "4"])
    assert (await picked.final_message())["content"] == "Picked 2,4"
    with pytest.raises(DriverError, match="offers"):
        await drv.click(world.guild_a, world.carol, message, "panel:size", values=["9"])


async def test_modal_then_submit(world: World, drv: Driver, bot: EchoBot) -> None:
    opened = await drv.slash(world.guild_a, world.dave, "form")
    assert (await opened.response())["type"] == 9
    assert opened.modal is not None and opened.modal["custom_id"] == "standup:modal"
    with pytest.raises(DriverError, match="is required"):
        await drv.submit_modal(world.guild_a, world.dave, "standup:modal", {"standup:plan": "x"})
    opened = await drv.slash(world.guild_a, world.dave, "form")
    await opened.response()
    submitted = await drv.submit_modal(world.guild_a, world.dave, "standup:modal", {"standup:done": "Shipped"})
    final = await submitted.final_message()
    assert final["content"] == "Got Shipped / Write tests"  # the untouched input keeps its default
    assert submitted.ephemeral


async def test_modal_from_a_button(emu: Emulator, world: World, drv: Driver, bot: EchoBot) -> None:
    panel = await drv.slash(world.guild_a, world.alice, "panel")
    message = await panel.final_message()
    opened = await drv.click(world.guild_a, world.alice, message, "panel:form")
    assert (await opened.response())["type"] == 9
    submitted = await drv.submit_modal(
        world.guild_a, world.alice, "standup:modal", {"standup:done": "A", "standup:plan": "B"}
    )
    assert submitted.payload["message"]["id"] == message["id"]
    assert (await submitted.final_message())["content"] == "Got A / B"


async def test_label_modal_and_components_v2(emu: Emulator, world: World, drv: Driver, bot: EchoBot) -> None:
    opened = await drv.slash(world.guild_a, world.alice, "goal")
    await opened.response()
    submitted = await drv.submit_modal(world.guild_a, world.alice, "goal:modal", {"goal:text": "Ship v1"})
    assert (await submitted.final_message())["content"] == "Goal: Ship v1"

    channel = bot.get_channel(world.general)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send(view=SprintLayout())
    assert sent.flags.value & (1 << 15)
    with pytest.raises(discord.HTTPException) as mixed:
        await channel.send("text too", view=SprintLayout())  # type: ignore[call-overload]  # invalid on purpose
    assert mixed.value.code == 50035


async def test_autocomplete(world: World, drv: Driver, bot: EchoBot) -> None:
    choices = await drv.autocomplete(world.guild_a, world.alice, "tz", focused="zone", zone="eur")
    assert [c["value"] for c in choices] == ["Europe/Berlin", "Europe/Lisbon"]
    with pytest.raises(DriverError, match="does not autocomplete"):
        await drv.autocomplete(world.guild_a, world.alice, "echo", focused="text")


async def test_file_in_a_followup(emu: Emulator, world: World, drv: Driver, bot: EchoBot) -> None:
    handle = await drv.slash(world.guild_a, world.alice, "report")
    final = await handle.final_message()
    attachment = final["attachments"][0]
    assert attachment["filename"] == "report.csv"
    assert emu.attachment_data(attachment["id"]).startswith(b"date,minutes")
    upload = emu.find_requests("POST", r"^/webhooks/")[0]
    assert upload.files[0].field == "files[0]" and upload.json["content"] == "Here it is"


async def test_a_late_response_is_rejected_with_10062(emu: Emulator, world: World, drv: Driver, bot: EchoBot) -> None:
    handle = await drv.slash(world.guild_a, world.alice, "slow")
    await emu.wait_until(lambda: bot.late_errors, 6, "the late response")
    error = bot.late_errors[0]
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert handle.rejections[0][0] == 404 and handle.rejections[0][1]["code"] == 10062
    assert not handle.acknowledged
    assert emu.stats["interaction_expired"] == 1


async def test_second_callback_and_expired_token(emu: Emulator, world: World, drv: Driver, bot: EchoBot) -> None:
    handle = await drv.slash(world.guild_a, world.alice, "echo", text="once")
    await handle.response()
    async with aiohttp.ClientSession() as http:
        url = f"{emu.api_base}/interactions/{handle.id}/{handle.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "twice"}}) as response:
            assert response.status == 400 and (await response.json())["code"] == 40060
        emu.advance_time(15 * 60 + 1)
        hook = f"{emu.api_base}/webhooks/{emu.application_id}/{handle.token}/messages/@original"
        async with http.get(hook) as response:
            assert response.status == 401 and (await response.json())["code"] == 50027
