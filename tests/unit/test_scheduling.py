"""The scheduler seam: the fake for tests, the real APScheduler adapter, planners and the shard rule."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import logs
from bot.scheduling import APScheduler, FakeScheduler, Planners, PlanScope, Scheduler, shard_owner

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.contexts: list[dict[str, Any] | None] = []
        self.fired = asyncio.Event()

    def handler(self, name: str) -> Any:
        async def handle(**kwargs: Any) -> None:
            self.calls.append((name, kwargs))
            self.contexts.append(logs.log_context.get())
            self.fired.set()

        return handle


# --- FakeScheduler ---------------------------------------------------------------------------------


async def test_fake_runs_due_jobs_in_time_order() -> None:
    scheduler = FakeScheduler()
    seen = Recorder()
    scheduler.register("open", seen.handler("open"))
    scheduler.at("c", T0 + timedelta(minutes=3), "open", circle_id=3)
    scheduler.at("a", T0 + timedelta(minutes=1), "open", circle_id=1)
    scheduler.at("b", T0 + timedelta(minutes=2), "open", circle_id=2)
    scheduler.at("later", T0 + timedelta(hours=1), "open", circle_id=9)

    assert await scheduler.run_due(T0) == []
    assert await scheduler.run_due(T0 + timedelta(minutes=5)) == ["a", "b", "c"]
    assert [kwargs["circle_id"] for _, kwargs in seen.calls] == [1, 2, 3]
    # Ran jobs are gone; the later one waits.
    assert scheduler.job_ids() == ["later"]
    assert await scheduler.run_due(T0 + timedelta(minutes=5)) == []
    # Each run carries the job id as log context.
    assert seen.contexts[0] == {"job": "a"}


async def test_fake_replaces_a_job_with_the_same_id() -> None:
    scheduler = FakeScheduler()
    seen = Recorder()
    scheduler.register("open", seen.handler("open"))
    scheduler.at("standup-open:1", T0 + timedelta(minutes=1), "open", version=1)
    scheduler.at("standup-open:1", T0 + timedelta(minutes=2), "open", version=2)
    assert scheduler.job_ids() == ["standup-open:1"]
    assert await scheduler.run_due(T0 + timedelta(minutes=1)) == []  # the first time was replaced
    assert await scheduler.run_due(T0 + timedelta(minutes=2)) == ["standup-open:1"]
    assert seen.calls == [("open", {"version": 2})]


async def test_fake_cancel_and_start_stop() -> None:
    scheduler = FakeScheduler()
    scheduler.register("open", Recorder().handler("open"))
    scheduler.at("x", T0, "open")
    scheduler.cancel("x")
    scheduler.cancel("never-there")  # cancelling nothing is fine
    assert scheduler.job_ids() == []
    assert not scheduler.running
    scheduler.start()
    assert scheduler.running
    scheduler.shutdown()
    assert not scheduler.running


async def test_fake_runs_jobs_a_handler_schedules_when_they_are_due() -> None:
    scheduler = FakeScheduler()
    seen = Recorder()

    async def open_then_close(**_: Any) -> None:
        scheduler.at("close", T0 + timedelta(minutes=1), "close")
        scheduler.at("tomorrow", T0 + timedelta(days=1), "close")

    scheduler.register("open", open_then_close)
    scheduler.register("close", seen.handler("close"))
    scheduler.at("open", T0, "open")
    assert await scheduler.run_due(T0 + timedelta(minutes=1)) == ["open", "close"]
    assert scheduler.job_ids() == ["tomorrow"]


async def test_a_failing_handler_is_logged_and_later_jobs_still_run(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = FakeScheduler()
    seen = Recorder()

    async def broken(**_: Any) -> None:
        raise RuntimeError("database went away")

    scheduler.register("broken", broken)
    scheduler.register("fine", seen.handler("fine"))
    scheduler.at("1-broken", T0, "broken")
    scheduler.at("2-fine", T0 + timedelta(seconds=1), "fine")
    scheduler.at("3-unknown-handler", T0 + timedelta(seconds=2), "nobody-registered-this")
    scheduler.at("4-fine", T0 + timedelta(seconds=3), "fine")
    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        ran = await scheduler.run_due(T0 + timedelta(minutes=1))
    assert ran == ["1-broken", "2-fine", "3-unknown-handler", "4-fine"]
    assert [name for name, _ in seen.calls] == ["fine", "fine"]
    failures = [r for r in caplog.records if r.name == "bot.scheduling"]
    assert [r.getMessage() for r in failures] == ["scheduled job failed", "scheduled job failed"]
    assert failures[0].exc_info is not None and "database went away" in str(failures[0].exc_info[1])


def test_a_handler_name_can_be_registered_once() -> None:
    scheduler = FakeScheduler()
    scheduler.register("open", Recorder().handler("open"))
    with pytest.raises(ValueError, match="registered twice"):
        scheduler.register("open", Recorder().handler("open"))


def test_both_schedulers_satisfy_the_protocol() -> None:
    implementations: list[Scheduler] = [FakeScheduler(), APScheduler()]
    for implementation in implementations:
        for method in ("register", "at", "cancel", "job_ids", "start", "shutdown"):
            assert callable(getattr(implementation, method))


# --- APScheduler, for real -------------------------------------------------------------------------


async def test_apscheduler_fires_a_job_inside_the_running_loop() -> None:
    scheduler = APScheduler()
    fired = asyncio.Event()
    seen = Recorder()

    async def handle(**kwargs: Any) -> None:
        await seen.handler("open")(**kwargs)
        fired.set()

    scheduler.register("open", handle)
    scheduler.start()
    try:
        scheduler.at("standup-open:1", datetime.now(UTC) + timedelta(seconds=0.2), "open", circle_id=1)
        assert scheduler.job_ids() == ["standup-open:1"]
        await asyncio.wait_for(fired.wait(), timeout=3)
        assert seen.calls == [("open", {"circle_id": 1})]
        assert seen.contexts == [{"job": "standup-open:1"}]
        # A date job is gone once it ran.
        assert scheduler.job_ids() == []
    finally:
        scheduler.shutdown()


async def test_apscheduler_replace_existing_keeps_one_job() -> None:
    scheduler = APScheduler()
    seen = Recorder()
    scheduler.register("open", seen.handler("open"))
    scheduler.start()
    try:
        soon = datetime.now(UTC) + timedelta(seconds=0.2)
        scheduler.at("standup-open:1", soon + timedelta(hours=1), "open", version=1)
        scheduler.at("standup-open:1", soon, "open", version=2)
        assert scheduler.job_ids() == ["standup-open:1"]
        assert scheduler.next_run("standup-open:1") == soon
        await asyncio.wait_for(seen.fired.wait(), timeout=3)
        await asyncio.sleep(0.1)  # room for a duplicate to fire, if there were one
        assert seen.calls == [("open", {"version": 2})]
        assert scheduler.job_ids() == []
    finally:
        scheduler.shutdown()


async def test_apscheduler_replaces_jobs_planned_before_start() -> None:
    scheduler = APScheduler()
    seen = Recorder()
    scheduler.register("open", seen.handler("open"))
    soon = datetime.now(UTC) + timedelta(seconds=0.2)
    scheduler.at("standup-open:1", soon, "open", version=1)
    scheduler.at("standup-open:1", soon, "open", version=2)
    scheduler.at("standup-open:2", soon, "open", version=3)
    scheduler.cancel("standup-open:2")
    assert scheduler.job_ids() == ["standup-open:1"]
    scheduler.start()
    try:
        await asyncio.wait_for(seen.fired.wait(), timeout=3)
        await asyncio.sleep(0.1)  # room for a duplicate to fire, if there were one
        assert seen.calls == [("open", {"version": 2})]
    finally:
        scheduler.shutdown()


async def test_apscheduler_failing_handler_does_not_break_later_jobs(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = APScheduler()
    seen = Recorder()
    done = asyncio.Event()

    async def broken(**_: Any) -> None:
        raise RuntimeError("boom")

    async def fine(**kwargs: Any) -> None:
        await seen.handler("fine")(**kwargs)
        done.set()

    scheduler.register("broken", broken)
    scheduler.register("fine", fine)
    scheduler.start()
    try:
        now = datetime.now(UTC)
        with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
            scheduler.at("first", now + timedelta(seconds=0.05), "broken")
            scheduler.at("second", now + timedelta(seconds=0.15), "fine", n=2)
            await asyncio.wait_for(done.wait(), timeout=3)
        assert seen.calls == [("fine", {"n": 2})]
        assert [r.getMessage() for r in caplog.records if r.name == "bot.scheduling"] == ["scheduled job failed"]
    finally:
        scheduler.shutdown()


async def test_apscheduler_cancel() -> None:
    scheduler = APScheduler()
    seen = Recorder()
    scheduler.register("open", seen.handler("open"))
    scheduler.start()
    try:
        scheduler.at("x", datetime.now(UTC) + timedelta(seconds=0.05), "open")
        scheduler.cancel("x")
        scheduler.cancel("x")
        assert scheduler.job_ids() == [] and scheduler.next_run("x") is None
        await asyncio.sleep(0.2)
        assert seen.calls == []
    finally:
        scheduler.shutdown()
    scheduler.shutdown()  # a second shutdown is harmless


# --- planners and shards ---------------------------------------------------------------------------


async def test_planners_run_in_order_with_the_scope() -> None:
    planners = Planners()
    seen: list[tuple[str, PlanScope]] = []

    async def first(scope: PlanScope) -> None:
        seen.append(("first", scope))

    async def second(scope: PlanScope) -> None:
        seen.append(("second", scope))

    planners.add(first)
    planners.add(second)
    scope = PlanScope(owned_guilds=lambda guild_id: guild_id == 1, circle_id=7)
    await planners.plan(scope)
    assert seen == [("first", scope), ("second", scope)]


def test_plan_scope_covers() -> None:
    everything = PlanScope(owned_guilds=lambda guild_id: guild_id == 1)
    assert everything.covers(1, 5) and everything.covers(1, 6)
    assert not everything.covers(2, 5)
    one = PlanScope(owned_guilds=lambda guild_id: guild_id == 1, circle_id=5)
    assert one.covers(1, 5)
    assert not one.covers(1, 6)
    assert not one.covers(2, 5)


def test_shard_owner_follows_discords_rule() -> None:
    # Discord: shard_id = (guild_id >> 22) % shard_count.
    def guild_on(shard: int, count: int, salt: int = 0) -> int:
        return ((salt * count + shard) << 22) | 0x3FFFFF

    owns = shard_owner(4, [0, 2])
    assert owns(guild_on(0, 4)) and owns(guild_on(2, 4)) and owns(guild_on(2, 4, salt=9))
    assert not owns(guild_on(1, 4)) and not owns(guild_on(3, 4, salt=5))
    # The low 22 bits (worker, process, increment) never matter; only the timestamp part does.
    assert owns(0) and owns((4 << 22) + 123)
    # A real snowflake: 81384788765712384 >> 22 == 19403645698, which is shard 2 of 4 and shard 1 of 3.
    assert shard_owner(4, [2])(81384788765712384)
    assert not shard_owner(4, [0, 1, 3])(81384788765712384)
    assert shard_owner(3, [1])(81384788765712384)
    # One process with every shard owns every guild.
    all_of_them = shard_owner(3, range(3))
    assert all(all_of_them(guild_on(s, 3, salt)) for s in range(3) for salt in range(5))


async def test_a_job_does_not_log_as_the_interaction_that_scheduled_it() -> None:
    scheduler = FakeScheduler()
    seen: list[dict[str, object] | None] = []

    async def handler() -> None:
        seen.append(logs.log_context.get())

    scheduler.register("h", handler)
    with logs.context(guild=1, user=2, command="standup schedule"):
        await scheduler.run("job-1", "h", {})
    assert seen == [{"job": "job-1"}]


async def test_a_job_cancelled_by_shutdown_is_logged_quietly(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = FakeScheduler()

    async def handler() -> None:
        raise asyncio.CancelledError

    scheduler.register("h", handler)
    with caplog.at_level("INFO"):
        await scheduler.run("job-2", "h", {})
    assert "stopped by shutdown" in caplog.text
    assert "Traceback" not in caplog.text
