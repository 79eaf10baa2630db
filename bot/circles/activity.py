"""What runs in a circle, as features report it for `/circle list` and `/circle info`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.scheduling import PlanScope


@dataclass(frozen=True)
class Activity:
    label: str  # e.g. "Standup mon-fri 09:00 (Europe/Berlin)"
    next_at: datetime | None = None  # the next event, shown as a Discord timestamp
    paused: bool = False


# Given circle ids, each feature answers with what it runs there (one query for all of them).
ActivitySource = Callable[[list[int]], Awaitable[dict[int, list[Activity]]]]


async def gather_activities(sources: list[ActivitySource], circle_ids: list[int]) -> dict[int, list[Activity]]:
    merged: dict[int, list[Activity]] = {cid: [] for cid in circle_ids}
    for source in sources:
        for circle_id, items in (await source(circle_ids)).items():
            merged.setdefault(circle_id, []).extend(items)
    return merged


class CachedActivities:
    """A feature's activity source, remembered per circle so `/circle list` reads nothing when warm.

    An answer is kept until the earliest event it names has passed (a phase ending, a round starting),
    or until the feature forgets that circle: ``forget`` is a planner, and every change to what runs in a
    circle re-plans it; a feature that changes what it shows without planning calls ``forget`` itself.
    """

    def __init__(self, source: ActivitySource, clock: Clock) -> None:
        self.source = source
        self.clock = clock
        self._known: dict[int, tuple[list[Activity], datetime | None]] = {}

    async def of(self, circle_ids: list[int]) -> dict[int, list[Activity]]:
        now = self.clock.now()
        stale = [cid for cid in circle_ids if (known := self._known.get(cid)) is None or _expired(known[1], now)]
        if stale:
            fresh = await self.source(stale)
            for circle_id in stale:
                items = fresh.get(circle_id, [])
                due = [item.next_at for item in items if item.next_at is not None]
                self._known[circle_id] = (items, min(due) if due else None)
        return {cid: self._known[cid][0] for cid in circle_ids if self._known[cid][0]}

    async def forget(self, scope: PlanScope) -> None:
        if scope.circle_id is None:
            self._known.clear()
        else:
            self.drop(scope.circle_id)

    def drop(self, circle_id: int | None) -> None:
        """What runs in this circle changed (and is committed): read it afresh next time."""
        if circle_id is not None:
            self._known.pop(circle_id, None)


def _expired(until: datetime | None, now: datetime) -> bool:
    return until is not None and now >= until
