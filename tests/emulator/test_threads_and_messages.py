"""Threads (public, private, from a message), thread members, multipart uploads, pings."""

from __future__ import annotations

import io

import discord
import pytest

from emulator import Driver, Emulator, World

from .testbot import EchoBot

pytestmark = pytest.mark.asyncio


def text_channel(bot: EchoBot, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_private_thread_with_members(emu: Emulator, world: World, bot: EchoBot) -> None:
    home = text_channel(bot, world.circle_home)
    thread = await home.create_thread(name="Pair: alice & bob", type=discord.ChannelType.private_thread)
    assert thread.type is discord.ChannelType.private_thread
    await thread.add_user(discord.Object(world.alice))
    await thread.add_user(discord.Object(world.bob))
    assert emu.thread_member_ids(thread.id) == {emu.bot_user_id, world.alice, world.bob}
    [listed] = emu.threads(world.circle_home)
    assert listed["type"] == 12 and listed["member_count"] == 3
    members = await thread.fetch_members()
    assert {m.id for m in members} == {emu.bot_user_id, world.alice, world.bob}
    await emu.wait_until(lambda: ("thread_create", thread.id) in bot.seen, 5, "THREAD_CREATE")

    intro = await thread.send(
        f"<@{world.alice}> <@{world.bob}> meet each other",
        allowed_mentions=discord.AllowedMentions(users=[discord.Object(world.alice), discord.Object(world.bob)]),
    )
    assert emu.pinged(intro.id).users == {world.alice, world.bob}
    assert emu.messages(thread.id)[0]["content"].endswith("meet each other")

    archived = await thread.edit(archived=True, locked=True)
    assert archived.archived and archived.locked
    assert emu.channel(thread.id)["thread_metadata"]["archived"] is True
    with pytest.raises(discord.HTTPException) as closed:
        await thread.add_user(discord.Object(world.carol))
    assert closed.value.code == 50083


async def test_public_threads_with_and_without_message(emu: Emulator, world: World, bot: EchoBot) -> None:
    home = text_channel(bot, world.circle_home)
    opening = await home.send("Standup · Thu 27 Nov")
    thread = await opening.create_thread(name="Standup · Thu 27 Nov")
    assert thread.id == opening.id and thread.type is discord.ChannelType.public_thread
    assert emu.message(opening.id)["thread"]["id"] == str(opening.id)  # type: ignore[index]
    loose = await home.create_thread(name="Loose", type=discord.ChannelType.public_thread)
    assert {t["name"] for t in emu.threads(world.circle_home)} == {"Standup · Thu 27 Nov", "Loose"}
    await loose.edit(name="Renamed")
    assert emu.channel(loose.id)["name"] == "Renamed"


async def test_multipart_upload_is_recorded(emu: Emulator, world: World, bot: EchoBot) -> None:
    channel = text_channel(bot, world.general)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    message = await channel.send("chart", file=discord.File(io.BytesIO(png), filename="chart.png"))
    assert message.attachments[0].filename == "chart.png" and message.attachments[0].size == len(png)
    request = emu.find_requests("POST", rf"/channels/{world.general}/messages$")[-1]
    assert request.json["content"] == "chart"
    assert request.files[0].filename == "chart.png" and request.files[0].data == png
    assert await message.attachments[0].read() == png  # the emulator serves the bytes back
    stored = emu.messages(world.general)[-1]
    assert stored["attachments"][0]["content_type"] == "image/png"


async def test_pings_follow_allowed_mentions(emu: Emulator, world: World, bot: EchoBot) -> None:
    channel = text_channel(bot, world.general)
    text = f"<@{world.alice}> <@{world.bob}> <@&{world.circle_role}> @everyone"
    careful = await channel.send(
        text, allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(world.alice)])
    )
    assert emu.pinged(careful.id).users == {world.alice}
    assert not emu.pinged(careful.id).everyone and not emu.pinged(careful.id).roles
    assert emu.allowed_mentions(careful.id) == {"parse": [], "users": [world.alice], "replied_user": True}

    careless = await channel.send(text)  # no allowed_mentions at all: Discord parses everything
    pinged = emu.pinged(careless.id)
    assert pinged.everyone and pinged.users == {world.alice, world.bob} and pinged.roles == {world.circle_role}
    assert emu.pinged_user_ids(careless.id) == set(emu.world.guild(world.guild_a).members) - {emu.bot_user_id}

    silent = await channel.send("see above", reference=careful, allowed_mentions=discord.AllowedMentions.none())
    assert emu.pinged(silent.id).nobody
    assert emu.messages(world.general)[-1]["type"] == 19


async def test_user_messages_and_history(emu: Emulator, world: World, drv: Driver, bot: EchoBot) -> None:
    channel = text_channel(bot, world.second_home)
    for i in range(5):
        await channel.send(f"bot {i}")
    said = await drv.say(world.carol, world.second_home, "hello bot")
    history = [m.content async for m in channel.history(limit=3)]
    assert history == ["hello bot", "bot 4", "bot 3"]
    first = await channel.fetch_message(int(emu.messages(world.second_home)[0]["id"]))
    assert first.content == "bot 0" and said["author"]["id"] == str(world.carol)
    await first.delete()
    assert emu.messages(world.second_home)[0]["content"] == "bot 1"
