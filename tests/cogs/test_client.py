"""The client: intents, default allowed mentions, shard ownership, start-up hooks, hashed command sync."""

from __future__ import annotations

from typing import Any
from unittest.mock import create_autospec
from urllib.parse import parse_qs, urlparse

import discord
import pytest
from aiohttp import ClientResponse as aiohttp_response

from bot.client import COMMAND_HASH_KEY, CirclesBot, extension_names, intents, invite_url, needed_permissions
from bot.clock import FixedClock
from bot.db import Database, state
from bot.scheduling import FakeScheduler, PlanScope
from bot.services import Services
from tests.cogs.fakes import GUILD


def test_intents_are_the_smallest_the_features_need() -> None:
    wanted = intents()
    assert wanted.guilds and wanted.voice_states
    # Privileged intents stay off: the bot must run without asking Discord for them.
    assert not wanted.members and not wanted.presences and not wanted.message_content
    assert wanted.value == discord.Intents(guilds=True, voice_states=True).value


async def test_client_defaults(bot: CirclesBot) -> None:
    mentions = bot.allowed_mentions
    assert mentions is not None
    assert not (mentions.everyone or mentions.users or mentions.roles or mentions.replied_user)
    assert bot.intents.value == intents().value
    # Members are cached only while they are in voice.
    flags = bot._connection.member_cache_flags
    assert flags.voice and not flags.joined
    assert isinstance(bot.tree, discord.app_commands.CommandTree)
    assert type(bot.tree).__name__ == "CirclesTree"


def test_invite_url_asks_for_exactly_the_needed_permissions() -> None:
    url = urlparse(invite_url(123456789012345678))
    query = parse_qs(url.query)
    assert url.netloc == "discord.com" and url.path == "/oauth2/authorize"
    assert query["client_id"] == ["123456789012345678"]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted == needed_permissions()
    assert granted.manage_roles and granted.create_private_threads and granted.send_messages_in_threads
    assert not granted.administrator and not granted.manage_guild and not granted.mention_everyone


def _bot(database: Database, clock: FixedClock, **options: Any) -> CirclesBot:
    return CirclesBot(Services.build(database, clock, FakeScheduler()), **options)


def test_owns_guild_by_shard(database: Database, clock: FixedClock) -> None:
    assert _bot(database, clock).owns_guild(GUILD)  # unsharded: every guild
    sharded = _bot(database, clock, shard_count=4, shard_ids=[0, 2])
    assert sharded.owns_guild(0 << 22) and sharded.owns_guild(2 << 22) and sharded.owns_guild(6 << 22)
    assert not sharded.owns_guild(1 << 22) and not sharded.owns_guild(3 << 22)
    everything = _bot(database, clock, shard_count=2)
    assert everything.owns_guild(0 << 22) and everything.owns_guild(1 << 22)


async def test_setup_hook_loads_every_extension_and_starts_the_scheduler(database: Database, clock: FixedClock) -> None:
    client = _bot(database, clock, sync_commands=False)
    await client.setup_hook()
    assert sorted(client.extensions) == extension_names()
    assert {"circle", "profile", "away", "back"} <= {c.name for c in client.tree.get_commands()}
    scheduler = client.services.scheduler
    assert isinstance(scheduler, FakeScheduler) and scheduler.running
    await client.services.liveness.stop()  # setup_hook registered the process and started its heartbeat


async def test_on_ready_plans_the_owned_guilds_and_runs_ready_hooks(database: Database, clock: FixedClock) -> None:
    client = _bot(database, clock, shard_count=2, shard_ids=[1])
    scopes: list[PlanScope] = []
    hooks: list[str] = []

    async def planner(scope: PlanScope) -> None:
        scopes.append(scope)
        hooks.append("planned")

    async def hook() -> None:
        hooks.append("reconciled")

    client.services.planners.add(planner)
    client.on_ready_hook(hook)
    await client.on_ready()
    (scope,) = scopes
    assert scope.circle_id is None
    assert scope.covers(1 << 22, 5) and not scope.covers(2 << 22, 5)
    # Ready hooks catch the database up with Discord before overdue wake-ups may fire.
    assert hooks == ["reconciled", "planned"]


async def test_a_failing_ready_hook_or_planner_does_not_stop_the_others(
    database: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = _bot(database, clock)
    ran: list[str] = []

    async def unreadable_thread() -> None:
        raise discord.Forbidden(create_autospec(aiohttp_response, instance=True), "Missing Access")

    async def fine_hook() -> None:
        ran.append("hook")

    async def broken_planner(scope: PlanScope) -> None:
        raise RuntimeError("a bad row")

    async def fine_planner(scope: PlanScope) -> None:
        ran.append("planner")

    client.on_ready_hook(unreadable_thread)
    client.on_ready_hook(fine_hook)
    client.services.planners.add(broken_planner)
    client.services.planners.add(fine_planner)
    with caplog.at_level("ERROR"):
        await client.on_ready()
    assert ran == ["hook", "planner"]
    failures = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(failures) == 2
    assert "unreadable_thread" in failures[0] and "broken_planner" in failures[1]


@pytest.fixture
def synced(bot: CirclesBot, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Replaces the REST call of CommandTree.sync with a spec'd stand-in; returns it for assertions."""
    fake = create_autospec(bot.tree.sync, return_value=[])
    monkeypatch.setattr(bot.tree, "sync", fake)
    return fake


async def test_commands_sync_only_when_they_changed(bot: CirclesBot, database: Database, synced: Any) -> None:
    assert await bot.sync_commands(force=False)
    synced.assert_awaited_once_with(guild=None)
    first_hash = await state.get_value(database, COMMAND_HASH_KEY)
    assert first_hash is not None and len(first_hash) == 64

    # A restart with the same commands: no sync.
    assert not await bot.sync_commands(force=False)
    assert synced.await_count == 1

    # `python -m bot sync-commands` forces it.
    assert await bot.sync_commands(force=True)
    assert synced.await_count == 2
    assert await state.get_value(database, COMMAND_HASH_KEY) == first_hash

    # A changed command set (a command removed, as after an upgrade) syncs again.
    bot.tree.remove_command("back")
    assert await bot.sync_commands(force=False)
    assert synced.await_count == 3
    assert await state.get_value(database, COMMAND_HASH_KEY) != first_hash


async def test_dev_guild_sync_goes_to_that_guild_with_its_own_hash(
    bot: CirclesBot, database: Database, synced: Any
) -> None:
    assert await bot.sync_commands(force=False)
    global_hash = await state.get_value(database, COMMAND_HASH_KEY)
    bot.dev_guild_id = 999
    assert await bot.sync_commands(force=False)
    (call,) = synced.await_args_list[1:]
    assert call.kwargs["guild"].id == 999
    assert {c.name for c in bot.tree.get_commands(guild=discord.Object(999))} >= {"circle", "profile", "away", "back"}
    assert await state.get_value(database, COMMAND_HASH_KEY) != global_hash


async def test_leaving_the_dev_guild_removes_its_copies(bot: CirclesBot, database: Database, synced: Any) -> None:
    bot.dev_guild_id = 999
    assert await bot.sync_commands(force=False)
    bot.dev_guild_id = None  # DEV_GUILD_ID taken out of .env: back to global commands
    assert await bot.sync_commands(force=False)
    calls = [call.kwargs["guild"] for call in synced.await_args_list]
    assert calls[0].id == 999 and calls[1] is None
    # The old test guild is synced once more, with nothing in it.
    assert calls[2].id == 999
    assert bot.tree.get_commands(guild=discord.Object(999)) == []
    # Nothing more to clean next time.
    assert not await bot.sync_commands(force=False)
    assert synced.await_count == 3


async def test_close_lets_ready_work_finish_first(
    database: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from discord.ext import commands

    client = _bot(database, clock)
    order: list[str] = []
    hook_started = asyncio.Event()

    async def slow_hook() -> None:
        hook_started.set()
        await asyncio.sleep(0.2)
        order.append("hook done")

    async def discord_close(self: commands.AutoShardedBot) -> None:
        order.append("discord.py closed")

    monkeypatch.setattr(commands.AutoShardedBot, "close", discord_close)
    client.on_ready_hook(slow_hook)
    ready = asyncio.create_task(client.on_ready())
    await hook_started.wait()
    await client.close()
    assert order == ["hook done", "discord.py closed"]
    await ready
