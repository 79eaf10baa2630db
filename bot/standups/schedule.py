"""When standups open and close: pure functions over local days, correct across DST changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_LOOKAHEAD_DAYS = 8 * 7  # enough to pass a long run of skipped days


@dataclass(frozen=True)
class ScheduleSpec:
    open_time: time
    days: frozenset[int]  # 0 = Monday
    timezone: str
    window_hours: int
    reminder_minutes: int | None  # after opening; None = no reminder


@dataclass(frozen=True)
class Slot:
    """One standup: the local day it belongs to and its instants in UTC."""

    local_date: date
    opens_at: datetime
    closes_at: datetime
    reminder_at: datetime | None


def local_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of a wall-clock time on a local day.

    In a spring-forward gap (02:30 on the night clocks jump 02:00→03:00) the standup opens at the same
    distance after the jump (03:30), as a wall clock pushed forward would; in a fall-back overlap it
    opens at the first of the two 02:30s (fold=0).
    """
    # PEP 495: with fold=0 a time in a gap is read with the offset from before the jump (so it lands
    # after the jump by the same distance) and an ambiguous time is the first of the two.
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).replace(fold=0).astimezone(UTC)


def slot_for(spec: ScheduleSpec, day: date) -> Slot:
    opens = local_instant(day, spec.open_time, spec.timezone)
    reminder = opens + timedelta(minutes=spec.reminder_minutes) if spec.reminder_minutes is not None else None
    # The window is real elapsed hours: a DST change in the window does not stretch or shrink it.
    return Slot(day, opens, opens + timedelta(hours=spec.window_hours), reminder)


def local_day(when: datetime, zone: str) -> date:
    return when.astimezone(ZoneInfo(zone)).date()


def _slots(spec: ScheduleSpec, first_day: date, skips: frozenset[date]) -> Iterator[Slot]:
    """Scheduled, not skipped slots from ``first_day`` on, in order, for up to eight weeks."""
    for offset in range(MAX_LOOKAHEAD_DAYS):
        day = first_day + timedelta(days=offset)
        if day.weekday() in spec.days and day not in skips:
            yield slot_for(spec, day)


def current_or_next(spec: ScheduleSpec, now: datetime, skips: frozenset[date] = frozenset()) -> Slot | None:
    """The slot whose window contains ``now``, else the next one to open; skipped days are passed over."""
    # Start a day early: yesterday's window may still be open (a late standup crossing midnight).
    start = local_day(now, spec.timezone) - timedelta(days=1)
    return next((slot for slot in _slots(spec, start, skips) if slot.closes_at > now), None)


def next_opening(spec: ScheduleSpec, after: datetime, skips: frozenset[date] = frozenset()) -> Slot | None:
    """The first slot that opens strictly after ``after``."""
    start = local_day(after, spec.timezone)
    return next((slot for slot in _slots(spec, start, skips) if slot.opens_at > after), None)


def default_reminder(window_hours: int) -> int:
    """75 % of the window, in whole minutes."""
    return window_hours * 60 * 3 // 4


def thread_name(day: date) -> str:
    return f"Standup · {day:%a} {day.day} {day:%b}"
