"""Gateway drops, RESUME replay, op 7, invalid sessions, voice, and injected REST faults."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import discord
import pytest

from emulator import Driver, Emulator, World, gateway

from .conftest import StartBot
from .testbot import EchoBot, point_discord_at, restore_discord

pytestmark = pytest.mark.asyncio


def ops(emu: Emulator, op: int) -> int:
    return sum(1 for frame in emu.gateway.received if frame.op == op)


async def test_abrupt_drop_resumes_and_replays_missed_events(
    emu: Emulator, world: World, drv: Driver, bot: EchoBot
) -> None:
    identifies = ops(emu, 2)
    assert await emu.drop_gateway() == 1
    # While the bot is away, a member joins voice: the event waits in the session for the RESUME.
    await drv.voice_join(world.guild_a, world.alice, world.focus_room)
    await emu.wait_until(lambda: ops(emu, 6) == 1, 10, "RESUME (op 6)")
    await emu.wait_until(lambda: ("resumed", None) in bot.seen, 5, "RESUMED")
    assert ops(emu, 2) == identifies  # no second IDENTIFY
    assert ("voice", (world.alice, world.focus_room)) in bot.seen
    guild = bot.get_guild(world.guild_a)
    assert guild is not None
    focus = guild.get_channel(world.focus_room)
    assert isinstance(focus, discord.VoiceChannel) and [m.id for m in focus.members] == [world.alice]


async def test_op7_reconnect_resumes(emu: Emulator, bot: EchoBot) -> None:
    assert await emu.send_reconnect() == 1
    await emu.wait_until(lambda: ops(emu, 6) == 1, 10, "RESUME after op 7")
    await emu.wait_until(lambda: emu.stats["resume"] == 1 and emu.connected_shards == {0}, 5, "resumed")
    assert emu.stats["identify"] == 1


async def test_invalid_session_reidentifies_and_sees_current_voice(
    emu: Emulator, world: World, drv: Driver, bot: EchoBot
) -> None:
    await drv.voice_join(world.guild_a, world.bob, world.focus_room, self_deaf=True)
    await drv.voice_move(world.guild_a, world.bob, world.afk)
    await emu.invalidate_session(resumable=False)
    await emu.wait_until(lambda: emu.stats["identify"] == 2, 10, "a second IDENTIFY")
    await emu.wait_ready(10)
    guild = bot.get_guild(world.guild_a)
    assert guild is not None
    await emu.wait_until(lambda: guild.get_member(world.bob) and guild.get_member(world.bob).voice, 5, "voice")  # type: ignore[union-attr]
    member = guild.get_member(world.bob)
    assert member is not None and member.voice is not None and member.voice.channel is not None
    assert member.voice.channel.id == world.afk
    await drv.voice_leave(world.guild_a, world.bob)
    await emu.wait_until(lambda: member.voice is None, 5, "voice leave")


async def test_global_429_is_retried(emu: Emulator, world: World, bot: EchoBot) -> None:
    channel = bot.get_channel(world.general)
    assert isinstance(channel, discord.TextChannel)
    emu.inject_429(method="POST", path_regex=r"/channels/\d+/messages$", retry_after=0.3, global_=True)
    started = time.monotonic()
    sent = await channel.send("after the limit")
    assert time.monotonic() - started >= 0.3
    attempts = emu.find_requests("POST", rf"/channels/{world.general}/messages$")
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[0].response["global"] is True
    assert emu.stats["429"] == 1
    assert emu.messages(world.general)[-1]["id"] == str(sent.id)


async def test_enforced_global_limit(emu: Emulator, world: World, bot: EchoBot) -> None:
    channel = bot.get_channel(world.general)
    assert isinstance(channel, discord.TextChannel)
    emu.global_rate_limit = 5
    await asyncio.gather(*(channel.send(f"burst {i}") for i in range(8)))
    assert emu.stats["429"] >= 1
    assert len(emu.messages(world.general)) == 8


async def test_per_route_429_and_5xx_are_retried(emu: Emulator, world: World, bot: EchoBot) -> None:
    channel = bot.get_channel(world.general)
    assert isinstance(channel, discord.TextChannel)
    # The 5xx first: discord.py sleeps 1 + 2 * attempt seconds before retrying a 5xx.
    emu.inject_error(502, path_regex=r"/channels/\d+/messages$")
    emu.inject_429(path_regex=r"/channels/\d+/messages$", retry_after=0.1)
    await channel.send("eventually")
    statuses = [r.status for r in emu.find_requests("POST", r"/messages$")]
    assert statuses == [502, 429, 200]


async def test_intents_filter_what_the_bot_receives(
    emu: Emulator, world: World, drv: Driver, start_bot: StartBot
) -> None:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True  # but not message_content, voice_states or members
    bot = await start_bot(intents=intents, sync=False)
    await drv.voice_join(world.guild_a, world.carol, world.focus_room)
    await drv.say(world.carol, world.general, "a secret")
    await drv.say(world.carol, world.general, f"<@{emu.bot_user_id}> hello")
    await emu.wait_until(lambda: len([s for s in bot.seen if s[0] == "message"]) == 2, 5, "two messages")
    assert [s for s in bot.seen if s[0] == "message"] == [("message", ""), ("message", f"<@{emu.bot_user_id}> hello")]
    assert emu.stats["dispatch:VOICE_STATE_UPDATE"] == 0
    guild = bot.get_guild(world.guild_a)
    assert guild is not None and guild.get_member(world.carol) is None  # no members intent, no chunking


async def test_plain_client_and_a_restart(emu: Emulator, world: World) -> None:
    previous = point_discord_at(emu)
    try:
        for _ in range(2):
            started = time.monotonic()
            client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
            task = asyncio.create_task(client.start(emu.token))
            await emu.wait_ready(10, after=started)
            await client.wait_until_ready()
            assert {g.id for g in client.guilds} == {world.guild_a, world.guild_b}
            await client.close()
            await asyncio.wait_for(task, 5)
    finally:
        restore_discord(previous)
    assert emu.stats["identify"] == 2
    assert [f.data.get("shard") for f in emu.gateway.received if f.op == 2] == [None, None]
    # discord.py's close() ends up sending close code 4000, so like Discord the emulator keeps the session
    # resumable; the restarted client's IDENTIFY supersedes it.
    first, second = sorted(emu.gateway.sessions.values(), key=lambda s: s.identified_at)
    assert first.dead and not second.dead
    await emu.wait_until(lambda: second.connection is None, 5, "the second client to disconnect")


async def test_resume_too_far_behind_gets_invalid_session(
    emu: Emulator, world: World, bot: EchoBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway, "REPLAY_BUFFER", 2)
    await emu.drop_gateway()
    # Synchronously, before the client can come back: more events than the session keeps.
    for _ in range(4):
        emu.set_voice_state(world.guild_a, world.dave, world.focus_room)
        emu.set_voice_state(world.guild_a, world.dave, None)
    await emu.wait_until(lambda: emu.stats["identify"] == 2, 10, "a fresh IDENTIFY")
    assert emu.stats["resume_rejected"] == 1
    await emu.wait_ready(10)


async def test_heartbeat_ack_comes_a_round_trip_later(emu: Emulator) -> None:
    # discord.py notes a heartbeat's send time only after the send completed; an ACK that beats it makes the
    # latency read as a whole interval ("Can't keep up, shard ID 0 websocket is 41 s behind"). Discord's ACK
    # comes a network round trip later, and so does the emulator's.
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{emu.gateway_url}?v=10&encoding=json") as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == 10
        sent = time.monotonic()
        await ws.send_json({"op": 1, "d": None})
        ack = await ws.receive_json(timeout=5)
        assert ack == {"op": 11}
        assert time.monotonic() - sent >= emu.heartbeat_ack_delay > 0


async def test_heartbeat_latency_is_the_round_trip(emu: Emulator, start_bot: StartBot) -> None:
    emu.heartbeat_interval_ms = 300
    client = await start_bot(sync=False)
    await asyncio.sleep(1.2)  # a few heartbeats from discord.py's keep-alive thread
    assert emu.stats["gateway_op:1"] >= 3
    assert emu.heartbeat_ack_delay <= client.latency < 0.3
