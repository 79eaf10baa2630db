from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.client import CirclesBot
from bot.clock import SystemClock
from bot.db import Database
from bot.pacing import DEFAULT_RATE, Pacer
from bot.scheduling import FakeScheduler
from bot.services import Services


class LateClock:
    """A monotonic clock whose sleeps always overshoot, like a busy event loop."""

    def __init__(self, overshoot: float) -> None:
        self.now = 100.0
        self.overshoot = overshoot
        self.sent: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.overshoot


async def send_many(pacer: Pacer, clock: LateClock, count: int) -> None:
    for _ in range(count):
        await pacer.acquire()
        clock.sent.append(clock.now)


def most_in_any_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


async def test_never_more_than_rate_plus_one_in_a_second() -> None:
    clock = LateClock(overshoot=0.0)
    pacer = Pacer(rate=48, monotonic=clock.monotonic, sleep=clock.sleep)
    await send_many(pacer, clock, 500)
    assert most_in_any_second(clock.sent) <= 49
    # And it does run at the full rate: 500 requests in 499 intervals.
    assert abs((clock.sent[-1] - clock.sent[0]) - 499 / 48) < 1e-6


async def test_overshooting_sleeps_do_not_slow_the_timetable() -> None:
    clock = LateClock(overshoot=0.004)  # every wake-up 4 ms late
    pacer = Pacer(rate=48, monotonic=clock.monotonic, sleep=clock.sleep)
    await send_many(pacer, clock, 480)
    # A "now + interval" pacer would take 480 × (1/48 + 0.004) ≈ 11.9 s; the timetable keeps ≈ 10 s.
    assert clock.sent[-1] - clock.sent[0] < 10.1
    assert most_in_any_second(clock.sent) <= 49


async def test_idle_time_is_not_saved_up_as_a_burst() -> None:
    clock = LateClock(overshoot=0.0)
    pacer = Pacer(rate=48, monotonic=clock.monotonic, sleep=clock.sleep)
    await send_many(pacer, clock, 10)
    clock.now += 60  # a quiet minute
    await send_many(pacer, clock, 100)
    assert most_in_any_second(clock.sent[10:]) <= 49


async def test_a_process_running_some_shards_takes_its_share_of_the_limit(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    services = Services.build(db, SystemClock(), FakeScheduler())
    whole = CirclesBot(services)
    half = CirclesBot(services, shard_count=4, shard_ids=[0, 1])
    assert whole.pacer.interval == 1 / DEFAULT_RATE
    assert half.pacer.interval == 2 / DEFAULT_RATE
    await db.dispose()


async def test_a_stalled_loop_does_not_release_a_burst() -> None:
    """Many waiters at once, then the event loop stalls for ten intervals: afterwards at most two
    requests go out together, not the ten whose slots fell due during the stall (Discord would 429)."""
    pacer = Pacer(rate=100)
    sent: list[float] = []

    async def send(index: int) -> None:
        await pacer.acquire()
        sent.append(time.monotonic())
        if index == 3:
            time.sleep(0.1)  # noqa: ASYNC251 - the point: a blocking stall, as a busy loop would have

    await asyncio.gather(*(send(i) for i in range(30)))
    most_together = max(sum(1 for t in sent if start <= t < start + pacer.interval / 2) for start in sent)
    assert most_together <= 2
