"""Login, READY, guild contents, and the strictness of the REST surface."""

from __future__ import annotations

import json

import aiohttp
import discord
import pytest

from emulator import Driver, Emulator, World
from emulator.snowflakes import shard_for, snowflake_time

from .conftest import StartBot
from .testbot import EchoBot

pytestmark = pytest.mark.asyncio


async def test_login_ready_and_guilds(emu: Emulator, world: World, bot: EchoBot) -> None:
    assert bot.user is not None and bot.user.id == emu.bot_user_id
    assert bot.application_id == emu.application_id
    paths = [(r.method, r.path) for r in emu.requests]
    assert ("GET", "/users/@me") in paths and ("GET", "/oauth2/applications/@me") in paths
    assert ("GET", "/gateway/bot") in paths  # AutoShardedBot without shard_count asks for the shard count
    guild = bot.get_guild(world.guild_a)
    assert guild is not None and guild.name == "Cowork A"
    assert {c.name for c in guild.text_channels} == {"general", "circle-home", "second-home"}
    assert {c.name for c in guild.voice_channels} == {"Focus Room", "AFK"}
    assert guild.afk_channel is not None and guild.afk_channel.id == world.afk
    assert {r.name for r in guild.roles} >= {"@everyone", "Hosts", "Circle", "Cowork Circles"}
    assert guild.owner_id == world.host and guild.get_member(world.host) is not None
    # The members intent makes discord.py chunk, which the emulator answers.
    assert len(guild.members) == 6
    assert guild.me.guild_permissions.manage_roles and not guild.me.guild_permissions.administrator
    assert bot.get_guild(world.guild_b) is not None
    # Realistic snowflakes: created_at is now, not 2015.
    assert abs((discord.utils.utcnow() - snowflake_time(world.guild_a)).total_seconds()) < 60
    assert shard_for(world.guild_a, 2) != shard_for(world.guild_b, 2)


async def test_strict_json_404_405_and_auth(emu: Emulator, world: World) -> None:
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{emu.api_base}/users/@me", headers=headers) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/json"
            assert "X-RateLimit-Remaining" in response.headers
        async with http.get(f"{emu.api_base}/no/such/route", headers=headers) as response:
            assert response.status == 404
            assert response.headers["Content-Type"] == "application/json"
            assert await response.json() == {"message": "404: Not Found", "code": 0}
        async with http.post(f"{emu.api_base}/users/@me", headers=headers) as response:
            assert response.status == 405
        async with http.get(f"{emu.api_base}/users/@me") as response:
            assert response.status == 401
        async with http.get(f"{emu.api_base}/channels/{world.general}/messages/1", headers=headers) as response:
            assert (await response.json())["code"] == 10008
    assert [(r.method, r.path) for r in emu.unhandled] == [("GET", "/no/such/route"), ("POST", "/users/@me")]
    emu.unhandled.clear()
    recorded = emu.requests[0]
    assert recorded.method == "GET" and recorded.path == "/users/@me" and recorded.status == 200
    assert recorded.t <= emu.requests[-1].t


async def test_message_validation_errors(emu: Emulator, world: World, bot: EchoBot) -> None:
    channel = bot.get_channel(world.general)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as empty:
        await channel.send(embeds=[])
    assert empty.value.code == 50006
    with pytest.raises(discord.HTTPException) as long:
        await channel.send("x" * 2001)
    assert long.value.code == 50035
    headers = {"Authorization": f"Bot {emu.token}"}
    body = {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": [str(world.alice)]}}
    async with aiohttp.ClientSession() as http:
        url = f"{emu.api_base}/channels/{world.general}/messages"
        async with http.post(url, json=body, headers=headers) as response:
            error = await response.json()
    assert error["code"] == 50035 and "allowed_mentions" in error["errors"]


async def test_role_grants_follow_the_hierarchy(emu: Emulator, world: World, bot: EchoBot) -> None:
    guild = bot.get_guild(world.guild_a)
    assert guild is not None
    member = guild.get_member(world.alice)
    circle = guild.get_role(world.circle_role)
    assert member is not None and circle is not None
    await member.add_roles(circle)
    assert emu.member_role_ids(world.guild_a, world.alice) == [world.circle_role]
    await emu.wait_until(lambda: circle in member.roles, 5, "GUILD_MEMBER_UPDATE")
    await member.remove_roles(circle)
    assert emu.member_role_ids(world.guild_a, world.alice) == []
    # A role above the bot's own cannot be granted.
    emu.world.guild(world.guild_a).roles[world.hosts_role].position = 50
    with pytest.raises(discord.Forbidden) as refused:
        await member.add_roles(discord.Object(world.hosts_role))
    assert refused.value.code == 50013


async def test_world_changes_after_connect_are_dispatched(emu: Emulator, world: World, bot: EchoBot) -> None:
    channel_id = emu.add_channel(world.guild_a, "late-channel")
    newcomer = emu.add_user("frank")
    emu.add_member(world.guild_a, newcomer)
    role_id = emu.add_role(world.guild_a, "Late role", mentionable=True)
    guild = bot.get_guild(world.guild_a)
    assert guild is not None
    await emu.wait_until(
        lambda: guild.get_channel(channel_id) and guild.get_member(newcomer) and guild.get_role(role_id),
        5,
        "CHANNEL_CREATE, GUILD_MEMBER_ADD and GUILD_ROLE_CREATE",
    )
    owner = emu.add_user("grace")
    guild_c = emu.add_guild("Cowork C", owner)
    await emu.wait_until(lambda: bot.get_guild(guild_c), 5, "GUILD_CREATE for a joined guild")


async def test_two_shards_split_guilds(emu: Emulator, world: World, start_bot: StartBot) -> None:
    bot = await start_bot(shard_count=2)
    assert emu.connected_shards == {0, 1}
    guild_a, guild_b = bot.get_guild(world.guild_a), bot.get_guild(world.guild_b)
    assert guild_a is not None and guild_b is not None
    assert guild_a.shard_id == shard_for(world.guild_a, 2)
    assert guild_b.shard_id == shard_for(world.guild_b, 2)
    ready = [f for f in emu.gateway.received if f.op == 2]
    assert sorted(f.data["shard"][0] for f in ready) == [0, 1]
    # Each shard's READY lists only its own guild.
    for session in emu.gateway.live_sessions():
        ready_payload = json.loads(session.events_after(0)[0][1])["d"]
        listed = {int(g["id"]) for g in ready_payload["guilds"]}
        assert listed == {g for g in (world.guild_a, world.guild_b) if session.owns_guild(g)}
    drv = Driver(emu)
    handle = await drv.slash(world.guild_b, world.eve, "echo", text="b")
    await handle.response()
    assert bot.interaction_shards[-1] == shard_for(world.guild_b, 2)
