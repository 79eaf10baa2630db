"""When rounds happen and what a cycle looks like: pure functions over local days (DST-safe).

A round starts a cycle as long as its cadence (7 or 14 days; a `/pair now` round outside any schedule
runs a week). Halfway through, each pair thread gets a check-in; a day before the cycle ends, "Did you
meet?" and the goals to confirm. The next scheduled round starts the next cycle.

**We miss you** (``is_quiet``): at the check-in, a member counts as quiet when the round began at least
``QUIET_DAYS`` ago and they have had no standup answer, no focus time and no goal activity in the last
``QUIET_DAYS`` days. Their partners then get one gentle message in the private pair thread, mentioning only
the partners, at most once per member per cycle. Nothing about it is ever posted anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_CYCLE_DAYS = 7
CLOSE_BEFORE_END = timedelta(days=1)
QUIET_DAYS = 3
# A scheduled round found this late (the bot was down) still runs; later than that it is skipped.
CATCH_UP = timedelta(hours=12)


@dataclass(frozen=True)
class RoundSpec:
    weekday: int  # 0 = Monday
    at: time
    cadence_days: int  # 7 or 14
    timezone: str
    anchor: date  # a day of the first round; biweekly rounds fall an even number of weeks from it


@dataclass(frozen=True)
class RoundSlot:
    local_date: date
    starts_at: datetime

    @property
    def key(self) -> str:
        return self.local_date.isoformat()


@dataclass(frozen=True)
class Cycle:
    starts_at: datetime
    checkin_at: datetime
    ends_at: datetime  # "Did you meet?" goes out here


def cycle(starts_at: datetime, cadence_days: int) -> Cycle:
    length = timedelta(days=cadence_days)
    return Cycle(starts_at, starts_at + length / 2, starts_at + length - CLOSE_BEFORE_END)


def local_instant(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).replace(fold=0).astimezone(UTC)


def first_day(weekday: int, at: time, zone: str, after: datetime) -> date:
    """The first local day on ``weekday`` whose ``at`` is after ``after`` (the anchor of a new schedule)."""
    day = after.astimezone(ZoneInfo(zone)).date()
    day += timedelta(days=(weekday - day.weekday()) % 7)
    while local_instant(day, at, zone) <= after:
        day += timedelta(days=7)
    return day


def slots(spec: RoundSpec, after: datetime) -> Iterator[RoundSlot]:
    """Round slots starting after ``after``, in order (endless)."""
    day = after.astimezone(ZoneInfo(spec.timezone)).date() - timedelta(days=1)
    day += timedelta(days=(spec.weekday - day.weekday()) % 7)
    while True:
        if (day - spec.anchor).days % spec.cadence_days == 0:
            starts = local_instant(day, spec.at, spec.timezone)
            if starts > after:
                yield RoundSlot(day, starts)
        day += timedelta(days=7)


def upcoming(spec: RoundSpec, now: datetime, held: set[str]) -> RoundSlot:
    """The slot to run next: one that passed within ``CATCH_UP`` and never ran, else the next one."""
    for slot in slots(spec, now - CATCH_UP):
        if slot.key not in held:
            return slot
    raise AssertionError("unreachable: slots() is endless")  # pragma: no cover


def is_quiet(last_activity: datetime | None, round_started: datetime, now: datetime) -> bool:
    quiet_since = now - timedelta(days=QUIET_DAYS)
    return round_started <= quiet_since and (last_activity is None or last_activity < quiet_since)
