"""Working-hours overlap: pure functions over each member's timezone and `/profile hours`.

A member's working hours are a daily window in their own timezone (it may cross midnight). Overlap is
measured on one reference UTC day: each member's windows for the local days around it are turned into UTC
instants (so DST is exact) and intersected within that day. Members who never set hours are taken to work
09:00–17:00 in their timezone (UTC when unset), so they still get a fair, neutral chance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_START = time(9, 0)
DEFAULT_END = time(17, 0)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Hours:
    """Who works when: an IANA zone and a daily local window (end < start crosses midnight)."""

    zone: str
    start: time = DEFAULT_START
    end: time = DEFAULT_END

    @classmethod
    def of(cls, zone: str | None, start: time | None, end: time | None) -> Hours:
        if start is None or end is None or start == end:
            return cls(zone or "UTC")
        return cls(zone or "UTC", start, end)


def _local(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).replace(fold=0).astimezone(UTC)


def windows(hours: Hours, start: datetime, end: datetime) -> list[Interval]:
    """The member's working windows (UTC) clipped to ``[start, end)``."""
    zone = ZoneInfo(hours.zone)
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    found: list[Interval] = []
    day = first
    while day <= last:
        opens = _local(day, hours.start, hours.zone)
        closes = _local(day + timedelta(days=1) if hours.end <= hours.start else day, hours.end, hours.zone)
        lo, hi = max(opens, start), min(closes, end)
        if lo < hi:
            found.append((lo, hi))
        day += timedelta(days=1)
    return found


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two sorted, non-overlapping interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def common_windows(members: Iterable[Hours], start: datetime, end: datetime) -> list[Interval]:
    """When everyone in a group works, within ``[start, end)`` (for the intro's timestamps)."""
    result: list[Interval] | None = None
    for hours in members:
        own = windows(hours, start, end)
        result = own if result is None else intersect(result, own)
    return result or []


def overlap_minutes(a: Hours, b: Hours, reference: date) -> int:
    """Minutes both work on the UTC day ``reference`` (0–1440)."""
    start = datetime.combine(reference, time(0), tzinfo=UTC)
    end = start + timedelta(days=1)
    both = intersect(windows(a, start, end), windows(b, start, end))
    return int(sum((hi - lo).total_seconds() for lo, hi in both) // 60)
