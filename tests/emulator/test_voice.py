"""Voice in the emulator: voice states in GUILD_CREATE, VOICE_STATE_UPDATE for joins, moves, leaves, the
AFK channel and self-deafen/mute toggles, as a discord.py client sees them; misuse is refused."""

from __future__ import annotations

import discord
import pytest

from emulator import Driver, DriverError, Emulator, World

from .conftest import StartBot
from .testbot import EchoBot

pytestmark = pytest.mark.asyncio


def voice_of(bot: EchoBot, guild_id: int, user_id: int) -> discord.VoiceState | None:
    guild = bot.get_guild(guild_id)
    assert guild is not None
    member = guild.get_member(user_id)
    return member.voice if member is not None else None


async def test_guild_create_carries_who_sits_in_voice_with_their_flags(
    emu: Emulator, world: World, drv: Driver, start_bot: StartBot
) -> None:
    await drv.voice_join(world.guild_a, world.alice, world.focus_room, self_deaf=True)
    await drv.voice_join(world.guild_a, world.bob, world.focus_room, self_mute=True)
    await drv.voice_join(world.guild_a, world.carol, world.afk)
    bot = await start_bot()
    guild = bot.get_guild(world.guild_a)
    assert guild is not None and guild.afk_channel is not None and guild.afk_channel.id == world.afk
    room = guild.get_channel(world.focus_room)
    assert isinstance(room, discord.VoiceChannel)
    assert set(room.voice_states) == {world.alice, world.bob}
    alice, bob = voice_of(bot, world.guild_a, world.alice), voice_of(bot, world.guild_a, world.bob)
    assert alice is not None and alice.self_deaf and not alice.self_mute
    assert bob is not None and bob.self_mute and not bob.self_deaf
    carol = voice_of(bot, world.guild_a, world.carol)
    assert carol is not None and carol.channel is not None and carol.channel.id == world.afk


async def test_join_toggle_move_to_afk_and_leave_dispatch_in_order(
    emu: Emulator, world: World, drv: Driver, bot: EchoBot
) -> None:
    g = world.guild_a
    await drv.voice_join(g, world.alice, world.focus_room)
    await drv.voice_flags(g, world.alice, self_deaf=True)
    await emu.wait_until(lambda: (voice_of(bot, g, world.alice) or discord.Object(0)).self_deaf, 5, "deafened")  # type: ignore[union-attr]
    await drv.voice_flags(g, world.alice, self_mute=True)
    await emu.wait_until(lambda: (voice_of(bot, g, world.alice) or discord.Object(0)).self_mute, 5, "muted")  # type: ignore[union-attr]
    state = voice_of(bot, g, world.alice)
    assert state is not None and state.self_deaf  # a mute keeps the deafen
    await drv.voice_move(g, world.alice, world.afk)
    await drv.voice_leave(g, world.alice)
    await emu.wait_until(lambda: len([e for e in bot.seen if e[0] == "voice"]) == 5, 5, "five voice events")
    events = [payload for kind, payload in bot.seen if kind == "voice"]
    assert events == [
        (world.alice, world.focus_room),
        (world.alice, world.focus_room),  # toggles carry the same channel
        (world.alice, world.focus_room),
        (world.alice, world.afk),
        (world.alice, None),
    ]
    assert voice_of(bot, g, world.alice) is None
    assert emu.voice_channel_of(g, world.alice) is None


async def test_voice_misuse_is_refused(world: World, drv: Driver) -> None:
    g = world.guild_a
    with pytest.raises(DriverError, match="not in voice"):
        await drv.voice_leave(g, world.alice)
    with pytest.raises(DriverError, match="not in voice"):
        await drv.voice_flags(g, world.alice, self_deaf=True)
    with pytest.raises(DriverError, match="not a voice channel"):
        await drv.voice_join(g, world.alice, world.general)
    await drv.voice_join(g, world.alice, world.focus_room)
    with pytest.raises(DriverError, match="already in voice"):
        await drv.voice_join(g, world.alice, world.afk)
    with pytest.raises(DriverError, match="already in that channel"):
        await drv.voice_move(g, world.alice, world.focus_room)
    with pytest.raises(DriverError, match="needs self_deaf or self_mute"):
        await drv.voice_flags(g, world.alice)
    with pytest.raises(DriverError, match="not a voice channel of guild"):
        await drv.voice_move(g, world.alice, world.voice_b)
