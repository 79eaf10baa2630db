"""What runs in a circle, as features report it for `/circle list` and `/circle info`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime


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
