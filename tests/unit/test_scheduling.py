"""The scheduler seam: typed wake-ups, the fake for tests, the real APScheduler adapter, planners, shards."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import logs
from bot.scheduling import (
    APScheduler,
    FakeScheduler,
    Planners,
    PlanScope,
    Scheduler,
    WakeUp,
    run_isolated,
    shard_owner,
)

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Ping(WakeUp):
    key: str
    value: int = 0

    @property
    def job_id(self) -> str:
        return self.key


@dataclass(frozen=True)
class Pong(WakeUp):
    key: str

    @property
    def job_id(self) -> str:
        return f"pong:{self.key}"


@dataclass(frozen=True)
class Unhandled(WakeUp):
    @property
    def job_id(self) -> str:
        return "unhandled"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[WakeUp] = []
        self.contexts: list[dict[str, Any] | None] = []
        self.fired = asyncio.Event()

    async def handle(self, wake: Any) -> None:
        self.calls.append(wake)
        self.contexts.append(logs.log_context.get())
        self.fired.set()


# --- FakeScheduler ---------------------------------------------------------------------------------


async def test_fake_runs_due_jobs_in_time_order() -> None:
    scheduler = FakeScheduler()
    seen = Recorder()
    scheduler.register(Ping, seen.handle)
    scheduler.at(Ping("c", 3), T0 + timedelta(minutes=3))
    scheduler.at(Ping("a", 1), T0 + timedelta(minutes=1))
    scheduler.at(Ping("b", 2), T0 + timedelta(minutes=2))
    scheduler.at(Ping("later", 9), T0 + timedelta(hours=1))

    assert await scheduler.run_due(T0) == []
    assert await scheduler.run_due(T0 + timedelta(minutes=5)) == ["a", "b", "c"]
    assert seen.calls == [Ping("a", 1), Ping("b", 2), Ping("c", 3)]
    # Ran jobs are gone; the later one waits.
    assert scheduler.job_ids() == ["later"]
    assert await scheduler.run_due(T0 + timedelta(minutes=5)) == []
    # Each run carries the job id as log context.
    assert seen.contexts[0] == {"job": "a"}


async def test_fake_replaces_a_job_with_the_same_id() -> None:
    scheduler = FakeScheduler()
    seen = Recorder()
    scheduler.register(Ping, seen.handle)
    scheduler.at(Ping("standup-open:1", 1), T0 + timedelta(minutes=1))
    scheduler.at(Ping("standup-open:1", 2), T0 + timedelta(minutes=2))
    assert scheduler.job_ids() == ["standup-open:1"]
    assert await scheduler.run_due(T0 + timedelta(minutes=1)) == []  # the first time was replaced
    assert await scheduler.run_due(T0 + timedelta(minutes=2)) == ["standup-open:1"]
    assert seen.calls == [Ping("standup-open:1", 2)]


async def test_each_kind_of_wake_up_goes_to_its_own_handler() -> None:
    scheduler = FakeScheduler()
    pings, pongs = Recorder(), Recorder()
    scheduler.register(Ping, pings.handle)
    scheduler.register(Pong, pongs.handle)
    scheduler.at(Ping("x"), T0)
    scheduler.at(Pong("x"), T0)  # another kind: its own job id, both kept
    assert scheduler.job_ids() == ["pong:x", "x"]
    await scheduler.run_due(T0)
    assert pings.calls == [Ping("x")] and pongs.calls == [Pong("x")]


async def test_fake_cancel_and_start_stop() -> None:
    scheduler = FakeScheduler()
    scheduler.register(Ping, Recorder().handle)
    scheduler.at(Ping("x"), T0)
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

    async def open_then_close(_: Ping) -> None:
        scheduler.at(Pong("close"), T0 + timedelta(minutes=1))
        scheduler.at(Pong("tomorrow"), T0 + timedelta(days=1))

    scheduler.register(Ping, open_then_close)
    scheduler.register(Pong, seen.handle)
    scheduler.at(Ping("open"), T0)
    assert await scheduler.run_due(T0 + timedelta(minutes=1)) == ["open", "pong:close"]
    assert scheduler.job_ids() == ["pong:tomorrow"]


async def test_a_failing_handler_is_logged_and_later_jobs_still_run(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = FakeScheduler()
    seen = Recorder()

    async def broken(_: Pong) -> None:
        raise RuntimeError("database went away")

    scheduler.register(Pong, broken)
    scheduler.register(Ping, seen.handle)
    scheduler.at(Pong("1-broken"), T0)
    scheduler.at(Ping("2-fine"), T0 + timedelta(seconds=1))
    scheduler.at(Unhandled(), T0 + timedelta(seconds=2))
    scheduler.at(Ping("4-fine"), T0 + timedelta(seconds=3))
    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        ran = await scheduler.run_due(T0 + timedelta(minutes=1))
    assert ran == ["pong:1-broken", "2-fine", "unhandled", "4-fine"]
    assert seen.calls == [Ping("2-fine"), Ping("4-fine")]
    failures = [r for r in caplog.records if r.name == "bot.scheduling"]
    assert [r.getMessage() for r in failures] == ["scheduled job failed", "scheduled job failed"]
    assert failures[0].exc_info is not None and "database went away" in str(failures[0].exc_info[1])
    assert failures[1].exc_info is not None and "no handler registered for Unhandled" in str(failures[1].exc_info[1])


def test_a_kind_of_wake_up_can_be_registered_once() -> None:
    scheduler = FakeScheduler()
    scheduler.register(Ping, Recorder().handle)
    with pytest.raises(ValueError, match="registered twice"):
        scheduler.register(Ping, Recorder().handle)


def test_a_wake_up_without_a_job_id_cannot_exist() -> None:
    @dataclass(frozen=True)
    class Nameless(WakeUp):
        value: int

    with pytest.raises(TypeError):
        Nameless(1)  # type: ignore[abstract]


def test_both_schedulers_satisfy_the_protocol() -> None:
    implementations: list[Scheduler] = [FakeScheduler(), APScheduler()]
    for implementation in implementations:
        for method in ("register", "at", "cancel", "job_ids", "start", "shutdown"):
            assert callable(getattr(implementation, method))


# --- APScheduler, for real -------------------------------------------------------------------------


async def test_apscheduler_fires_a_job_inside_the_running_loop() -> None:
    scheduler = APScheduler()
    seen = Recorder()
    scheduler.register(Ping, seen.handle)
    scheduler.start()
    try:
        scheduler.at(Ping("standup-open:1", 1), datetime.now(UTC) + timedelta(seconds=0.2))
        assert scheduler.job_ids() == ["standup-open:1"]
        await asyncio.wait_for(seen.fired.wait(), timeout=3)
        assert seen.calls == [Ping("standup-open:1", 1)]
        assert seen.contexts == [{"job": "standup-open:1"}]
        # A date job is gone once it ran.
        assert scheduler.job_ids() == []
    finally:
        scheduler.shutdown()


async def test_apscheduler_replace_existing_keeps_one_job() -> None:
    scheduler = APScheduler()
    seen = Recorder()
    scheduler.register(Ping, seen.handle)
    scheduler.start()
    try:
        soon = datetime.now(UTC) + timedelta(seconds=0.2)
        scheduler.at(Ping("standup-open:1", 1), soon + timedelta(hours=1))
        scheduler.at(Ping("standup-open:1", 2), soon)
        assert scheduler.job_ids() == ["standup-open:1"]
        assert scheduler.next_run("standup-open:1") == soon
        await asyncio.wait_for(seen.fired.wait(), timeout=3)
        await asyncio.sleep(0.1)  # room for a duplicate to fire, if there were one
        assert seen.calls == [Ping("standup-open:1", 2)]
        assert scheduler.job_ids() == []
    finally:
        scheduler.shutdown()


async def test_apscheduler_replaces_jobs_planned_before_start() -> None:
    scheduler = APScheduler()
    seen = Recorder()
    scheduler.register(Ping, seen.handle)
    soon = datetime.now(UTC) + timedelta(seconds=0.2)
    scheduler.at(Ping("standup-open:1", 1), soon)
    scheduler.at(Ping("standup-open:1", 2), soon)
    scheduler.at(Ping("standup-open:2", 3), soon)
    scheduler.cancel("standup-open:2")
    assert scheduler.job_ids() == ["standup-open:1"]
    scheduler.start()
    try:
        await asyncio.wait_for(seen.fired.wait(), timeout=3)
        await asyncio.sleep(0.1)  # room for a duplicate to fire, if there were one
        assert seen.calls == [Ping("standup-open:1", 2)]
    finally:
        scheduler.shutdown()


async def test_apscheduler_failing_handler_does_not_break_later_jobs(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = APScheduler()
    seen = Recorder()

    async def broken(_: Pong) -> None:
        raise RuntimeError("boom")

    scheduler.register(Pong, broken)
    scheduler.register(Ping, seen.handle)
    scheduler.start()
    try:
        now = datetime.now(UTC)
        with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
            scheduler.at(Pong("first"), now + timedelta(seconds=0.05))
            scheduler.at(Ping("second", 2), now + timedelta(seconds=0.15))
            await asyncio.wait_for(seen.fired.wait(), timeout=3)
        assert seen.calls == [Ping("second", 2)]
        assert [r.getMessage() for r in caplog.records if r.name == "bot.scheduling"] == ["scheduled job failed"]
    finally:
        scheduler.shutdown()


async def test_apscheduler_wake_ups_at_one_instant_share_one_job_and_each_runs() -> None:
    scheduler = APScheduler()
    seen = Recorder()
    scheduler.register(Ping, seen.handle)
    soon = datetime.now(UTC) + timedelta(seconds=0.2)
    for n in range(50):
        scheduler.at(Ping(f"standup-open:{n}", n), soon)
    scheduler.at(Ping("later", 99), soon + timedelta(hours=1))
    scheduler.cancel("standup-open:7")
    scheduler.at(Ping("standup-open:8", 1008), soon + timedelta(hours=2))  # moved to another instant
    assert len(scheduler._scheduler.get_jobs()) == 3  # one per instant, not one per wake-up
    assert len(scheduler.job_ids()) == 50 and scheduler.next_run("standup-open:8") == soon + timedelta(hours=2)
    scheduler.start()
    try:
        await asyncio.wait_for(seen.fired.wait(), timeout=3)
        await asyncio.sleep(0.2)  # every task of the instant has run by now
        assert sorted(wake.value for wake in seen.calls if isinstance(wake, Ping)) == [
            n for n in range(50) if n not in (7, 8)
        ]
        # Each ran in its own task, with its own job id as log context.
        assert {c["job"] for c in seen.contexts if c} == {f"standup-open:{n}" for n in range(50) if n not in (7, 8)}
        assert sorted(scheduler.job_ids()) == ["later", "standup-open:8"]
        scheduler.cancel("later")
        scheduler.cancel("standup-open:8")
        assert scheduler._scheduler.get_jobs() == []  # an instant with nothing left has no job
    finally:
        scheduler.shutdown()


async def test_apscheduler_cancel() -> None:
    scheduler = APScheduler()
    seen = Recorder()
    scheduler.register(Ping, seen.handle)
    scheduler.start()
    try:
        scheduler.at(Ping("x"), datetime.now(UTC) + timedelta(seconds=0.05))
        scheduler.cancel("x")
        scheduler.cancel("x")
        assert scheduler.job_ids() == [] and scheduler.next_run("x") is None
        await asyncio.sleep(0.2)
        assert seen.calls == []
    finally:
        scheduler.shutdown()
    scheduler.shutdown()  # a second shutdown is harmless


# --- planners, isolation and shards ----------------------------------------------------------------


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


async def test_a_failing_planner_is_logged_with_its_context_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    planners = Planners()
    seen: list[str] = []
    contexts: list[dict[str, Any] | None] = []

    async def broken(scope: PlanScope) -> None:
        contexts.append(logs.log_context.get())
        raise RuntimeError("an unreadable row")

    async def fine(scope: PlanScope) -> None:
        seen.append("fine")

    planners.add(broken)
    planners.add(fine)
    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        await planners.plan(PlanScope(owned_guilds=lambda _g: True, circle_id=7))
    assert seen == ["fine"]
    assert contexts == [{"circle": 7}]
    [failure] = [r for r in caplog.records if r.name == "bot.scheduling"]
    assert "broken" in failure.getMessage() and "the others still run" in failure.getMessage()
    assert failure.exc_info is not None and "an unreadable row" in str(failure.exc_info[1])


async def test_run_isolated_lets_a_shutdown_through() -> None:
    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await run_isolated("a hook", cancelled)


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
    seen = Recorder()
    scheduler.register(Ping, seen.handle)
    with logs.context(guild=1, user=2, command="standup schedule"):
        await scheduler.run(Ping("job-1"))
    assert seen.contexts == [{"job": "job-1"}]


async def test_a_job_cancelled_by_shutdown_is_logged_quietly(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = FakeScheduler()

    async def handler(_: Ping) -> None:
        raise asyncio.CancelledError

    scheduler.register(Ping, handler)
    with caplog.at_level("INFO"):
        await scheduler.run(Ping("job-2"))
    assert "stopped by shutdown" in caplog.text
    assert "Traceback" not in caplog.text


async def test_apscheduler_stop_lets_running_wake_ups_finish_then_cancels_the_slow_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scheduler = APScheduler()
    finished: list[str] = []
    started = asyncio.Event()

    async def quick(wake: Ping) -> None:
        started.set()
        await asyncio.sleep(0.05)
        finished.append(wake.key)

    async def slow(wake: Pong) -> None:
        await asyncio.sleep(60)
        finished.append(wake.key)

    scheduler.register(Ping, quick)
    scheduler.register(Pong, slow)
    scheduler.start()
    soon = datetime.now(UTC) + timedelta(seconds=0.05)
    scheduler.at(Ping("quick"), soon)
    scheduler.at(Pong("slow"), soon)
    scheduler.at(Ping("tomorrow"), soon + timedelta(days=1))
    await asyncio.wait_for(started.wait(), timeout=3)
    scheduler.shutdown()
    with caplog.at_level("INFO"):
        await asyncio.wait_for(scheduler.stopped(grace=0.5), timeout=3)
    assert finished == ["quick"]  # the quick one finished; the slow one was cancelled; nothing new ran
    assert "stopped by shutdown" in caplog.text
