"""CachedActivities: no read while warm; a fresh read once the event it named has passed or it was forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.circles.activity import Activity, CachedActivities
from bot.clock import FixedClock
from bot.scheduling import PlanScope

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Source:
    def __init__(self) -> None:
        self.asked: list[list[int]] = []
        self.version = 0

    async def __call__(self, circle_ids: list[int]) -> dict[int, list[Activity]]:
        self.asked.append(sorted(circle_ids))
        self.version += 1
        return {
            1: [Activity(f"sprint v{self.version}", T0 + timedelta(minutes=25))],
            2: [Activity(f"pairing v{self.version}", None)],
        }


async def test_warm_reads_ask_nothing_and_circles_without_activity_are_remembered_too() -> None:
    source, clock = Source(), FixedClock(T0)
    cache = CachedActivities(source, clock)
    first = await cache.of([1, 2, 3])
    assert first == {1: [Activity("sprint v1", T0 + timedelta(minutes=25))], 2: [Activity("pairing v1", None)]}
    assert await cache.of([3, 2, 1]) == first
    assert source.asked == [[1, 2, 3]]


async def test_an_answer_expires_when_the_event_it_names_has_passed() -> None:
    source, clock = Source(), FixedClock(T0)
    cache = CachedActivities(source, clock)
    await cache.of([1, 2])
    clock.advance(timedelta(minutes=25))
    again = await cache.of([1, 2])
    assert source.asked == [[1, 2], [1]]  # only the circle whose phase ended is read again
    assert again[1][0].label == "sprint v2" and again[2][0].label == "pairing v1"


async def test_planning_a_circle_forgets_it_and_planning_everything_forgets_all() -> None:
    source, clock = Source(), FixedClock(T0)
    cache = CachedActivities(source, clock)
    await cache.of([1, 2])
    await cache.forget(PlanScope(owned_guilds=lambda _g: True, circle_id=2))
    await cache.of([1, 2])
    await cache.forget(PlanScope(owned_guilds=lambda _g: True))
    await cache.of([1, 2])
    assert source.asked == [[1, 2], [2], [1, 2]]
