"""The foundation through the real bot process: login, sync, /circle, /profile, /away, /back, restarts."""

from __future__ import annotations

import signal
from typing import Any

from emulator import Driver, Emulator, World
from emulator.harness import BotProcess

EPHEMERAL = 64


def text_of(message: dict[str, Any]) -> str:
    """Content plus every embed's text, for assertions that should not care where the words are."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields") or []]
    return "\n".join(parts)


async def answer(drv: Driver, guild: int, user: int, command: str, **options: Any) -> dict[str, Any]:
    handle = await drv.slash(guild, user, command, **options)
    message = await handle.final_message()
    assert handle.ephemeral, f"/{command} answered in public: {message}"
    return message


def command_node(commands: list[dict[str, Any]], path: str) -> dict[str, Any]:
    names = path.split()
    node: dict[str, Any] = next(c for c in commands if c["name"] == names[0])
    for name in names[1:]:
        node = next(o for o in node.get("options", []) if o["name"] == name)
    return node


def options_of(commands: list[dict[str, Any]], path: str) -> list[str]:
    return [o["name"] for o in command_node(commands, path).get("options", [])]


def option(commands: list[dict[str, Any]], path: str, name: str) -> dict[str, Any]:
    return next(o for o in command_node(commands, path).get("options", []) if o["name"] == name)


async def test_login_syncs_the_commands_of_the_spec(emu: Emulator, running_bot: BotProcess) -> None:
    commands = emu.commands()
    assert {c["name"] for c in commands} >= {"circle", "profile", "away", "back", "standup"}
    assert options_of(commands, "circle") == ["create", "edit", "delete", "join", "leave", "list", "info"]
    assert options_of(commands, "circle create") == ["name", "channel", "voice", "role", "host_role", "timezone"]
    assert options_of(commands, "circle edit") == [
        "circle",
        "name",
        "channel",
        "voice",
        "role",
        "host_role",
        "timezone",
    ]
    assert options_of(commands, "profile timezone") == ["tz"]
    assert options_of(commands, "profile hours") == ["start", "end"]
    assert options_of(commands, "profile about") == ["offers", "asks"]
    assert options_of(commands, "profile leaderboard") == ["show", "hide"]
    assert options_of(commands, "profile show") == ["member"]
    assert options_of(commands, "away") == ["until", "reason"]
    assert options_of(commands, "back") == []
    assert options_of(commands, "standup schedule") == [
        "time",
        "days",
        "circle",
        "timezone",
        "window_hours",
        "reminder",
        "questions",
    ]
    assert options_of(commands, "standup reminders") == ["on", "off"]


async def test_circles_end_to_end(emu: Emulator, world: World, drv: Driver, running_bot: BotProcess) -> None:
    g = world.guild_a
    created = await answer(
        drv,
        g,
        world.host,
        "circle create",
        name="EU mornings",
        channel=world.circle_home,
        voice=world.focus_room,
        role=world.circle_role,
        host_role=world.hosts_role,
        timezone="Europe/Berlin",
    )
    assert "EU mornings" in text_of(created) and "is ready" in text_of(created)

    # A plain member is refused a host command, and nothing is written.
    refused = await answer(drv, g, world.alice, "circle create", name="Mine", channel=world.general)
    assert "Only hosts" in text_of(refused)
    # Bad input: a 200-character name, a duplicate name, an unknown timezone.
    too_long = await answer(drv, g, world.host, "circle create", name="x" * 200, channel=world.general)
    assert "1–50 characters" in text_of(too_long)
    duplicate = await answer(drv, g, world.host, "circle create", name="eu MORNINGS", channel=world.general)
    assert "already a circle" in text_of(duplicate)
    bad_tz = await answer(drv, g, world.host, "circle create", name="B", channel=world.general, timezone="Mars/Base")
    assert "not a known timezone" in text_of(bad_tz)

    choices = await drv.autocomplete(g, world.alice, "circle join", focused="circle", circle="eu")
    assert [c["name"] for c in choices] == ["EU mornings"]
    joined = await answer(drv, g, world.alice, "circle join", circle=choices[0]["value"])
    assert "Welcome to **EU mornings**" in text_of(joined)
    await emu.wait_for_request("PUT", rf"/guilds/{g}/members/{world.alice}/roles/{world.circle_role}")
    assert world.circle_role in emu.member_role_ids(g, world.alice)

    listing = await answer(drv, g, world.bob, "circle list")
    assert "EU mornings" in text_of(listing) and "1 member" in text_of(listing)
    info = await answer(drv, g, world.bob, "circle info")  # the only circle: the option may be left out
    assert f"<@{world.alice}>" in text_of(info)
    # The other guild sees none of it.
    assert "No circles yet" in text_of(await answer(drv, world.guild_b, world.eve, "circle list"))

    left = await answer(drv, g, world.alice, "circle leave", circle="EU mornings")
    assert "You left" in text_of(left)
    await emu.wait_for_request("DELETE", rf"/guilds/{g}/members/{world.alice}/roles/{world.circle_role}")

    # The host role makes a host: edit works for a member holding it.
    emu.add_member(g, world.carol, roles=[world.hosts_role])
    edited = await answer(drv, g, world.carol, "circle edit", circle="EU mornings", name="EU early birds")
    assert "EU early birds" in text_of(edited)

    # Delete asks first, and checks again on the click: a host who lost the role meanwhile is refused.
    handle = await drv.slash(g, world.carol, "circle delete", circle="EU early birds")
    prompt = await handle.final_message()
    assert "Delete **EU early birds**?" in text_of(prompt)
    emu.add_member(g, world.carol, roles=[])
    refused_click = await drv.click(g, world.carol, prompt, f"circle-delete:{_circle_id(prompt)}:1")
    assert "Only hosts" in text_of(await refused_click.final_message())
    emu.add_member(g, world.carol, roles=[world.hosts_role])
    click = await drv.click(g, world.carol, prompt, f"circle-delete:{_circle_id(prompt)}:1")
    assert "was deleted" in text_of(await click.final_message())
    assert "No circles yet" in text_of(await answer(drv, g, world.bob, "circle list"))


def _circle_id(prompt: dict[str, Any]) -> str:
    custom_id: str = prompt["components"][0]["components"][0]["custom_id"]
    return custom_id.split(":")[1]


async def test_profiles_and_away(world: World, drv: Driver, running_bot: BotProcess) -> None:
    g = world.guild_a
    choices = await drv.autocomplete(g, world.alice, "profile timezone", focused="tz", tz="berlin")
    assert "Europe/Berlin" in [c["value"] for c in choices]
    assert "Europe/Berlin" in text_of(await answer(drv, g, world.alice, "profile timezone", tz="Europe/Berlin"))
    wrong = await answer(drv, g, world.alice, "profile timezone", tz="Europe/Berln")
    assert "Did you mean `Europe/Berlin`" in text_of(wrong)
    assert "HH:MM" in text_of(await answer(drv, g, world.alice, "profile hours", start="25:00", end="17:00"))
    assert "09:00–17:30" in text_of(await answer(drv, g, world.alice, "profile hours", start="9:00", end="17:30"))
    too_long = await answer(drv, g, world.alice, "profile about", offers="x" * 301)
    assert "at most 300" in text_of(too_long)
    await answer(drv, g, world.alice, "profile about", offers="Copywriting @everyone", asks="Accounting tips")
    await answer(drv, g, world.alice, "profile leaderboard hide")
    card = await answer(drv, g, world.bob, "profile show", member=world.alice)
    assert "Europe/Berlin" in text_of(card) and "Accounting tips" in text_of(card)
    assert "Copywriting" in text_of(card)

    away = await answer(drv, g, world.alice, "away", until="tomorrow", reason="dentist")
    assert "away through" in text_of(away)
    assert "90 days" in text_of(await answer(drv, g, world.alice, "away", until="2099-01-01"))
    assert "not a date" in text_of(await answer(drv, g, world.alice, "away", until="someday"))
    assert "Welcome back" in text_of(await answer(drv, g, world.alice, "back"))
    assert "weren't away" in text_of(await answer(drv, g, world.alice, "back"))


async def test_data_survives_sigkill_and_commands_are_not_resynced(
    emu: Emulator, world: World, drv: Driver, running_bot: BotProcess
) -> None:
    g = world.guild_a
    await answer(drv, g, world.host, "circle create", name="Writers", channel=world.circle_home)
    await answer(drv, g, world.bob, "circle join", circle="Writers")
    syncs = len(emu.find_requests("PUT", r"/applications/\d+/commands$"))
    assert syncs == 1

    assert await running_bot.stop(signal.SIGKILL) == -signal.SIGKILL
    await running_bot.start()
    listing = await answer(drv, g, world.bob, "circle list")
    assert "Writers" in text_of(listing) and "1 member" in text_of(listing)
    # The command set did not change, so the restart did not sync again.
    assert len(emu.find_requests("PUT", r"/applications/\d+/commands$")) == syncs
    assert "commands unchanged since the last sync" in running_bot.log()


async def test_dropped_gateway_is_resumed(emu: Emulator, world: World, drv: Driver, running_bot: BotProcess) -> None:
    identifies = emu.stats["identify"]
    await emu.drop_gateway()
    await emu.wait_until(lambda: emu.stats["resume"] >= 1, 20, "a RESUME")
    await emu.wait_ready(20)
    assert emu.stats["identify"] == identifies  # resumed, not a new session
    assert "No circles yet" in text_of(await answer(drv, world.guild_a, world.bob, "circle list"))


async def test_sigterm_and_sigint_exit_cleanly(running_bot: BotProcess) -> None:
    assert await running_bot.stop(signal.SIGTERM) == 0
    assert "shutting down" in running_bot.log()
    await running_bot.start()
    assert await running_bot.stop(signal.SIGINT) == 0
    assert running_bot.log().count("shutting down") == 2
