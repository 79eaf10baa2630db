"""Local days and periods: presence intervals bucketed into a member's (or a circle's) calendar days.

Pure; no I/O. A local day runs from one local midnight to the next in an IANA zone, so it is 23 or 25
hours long on DST changes and a session from 23:30 to 00:30 counts 30 minutes on each of two days.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.focus.presence import Interval, union


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a local day starts. Where a DST jump skips midnight, the first instant of the day."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_day_of(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


@dataclass(frozen=True)
class Piece:
    """The part of one interval that lies in one local day."""

    day: date
    start: datetime  # UTC
    end: datetime  # UTC


def split_by_day(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[Piece]:
    """One interval cut at every local midnight it crosses (empty intervals yield nothing)."""
    if end <= start:
        return
    day = local_day_of(start, zone)
    at = start
    while at < end:
        boundary = local_midnight(day + timedelta(days=1), zone)
        piece_end = min(end, boundary)
        if piece_end > at:
            yield Piece(day, at, piece_end)
        at = max(at, piece_end)
        day += timedelta(days=1)


def bucket_by_day(intervals: Iterable[Interval], zone: ZoneInfo) -> dict[date, timedelta]:
    """Time per local day, overlaps counted once (a voice session and a button join at the same time)."""
    out: dict[date, timedelta] = {}
    for start, end in union(intervals):
        for piece in split_by_day(start, end, zone):
            out[piece.day] = out.get(piece.day, timedelta()) + (piece.end - piece.start)
    return out


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of the intervals inside [start, end)."""
    return [(max(a, start), min(b, end)) for a, b in intervals if min(b, end) > max(a, start)]


def minutes(span: timedelta) -> int:
    """Whole minutes, rounded to the nearest (the same rule as sprint recaps)."""
    return max(0, round(span.total_seconds() / 60))


# ----- periods --------------------------------------------------------------------------------------


class Period(StrEnum):
    WEEK = "week"  # this local week, Monday to today
    MONTH = "month"  # this local calendar month, the 1st to today
    ALL = "all"  # everything kept


PERIOD_HELP = "Use `week` (since Monday), `month` (since the 1st) or `all`."


def parse_period(text: str | None) -> Period:
    if text is None or not text.strip():
        return Period.WEEK
    try:
        return Period(text.strip().lower())
    except ValueError:
        raise InvalidInput(f"`{text[:40]}` is not a period. {PERIOD_HELP}") from None


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_start(period: Period, today: date) -> date | None:
    """The first local day a period covers (None: from the beginning)."""
    if period is Period.WEEK:
        return monday_of(today)
    if period is Period.MONTH:
        return today.replace(day=1)
    return None


def iso_week_key(day: date) -> str:
    """``2026-W49``: the ISO week a local day belongs to (ISO years differ from calendar years near New Year)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(key: str) -> date:
    """The Monday of an ISO week key (``2026-W49`` → 2026-11-30)."""
    year, _, week = key.partition("-W")
    return date.fromisocalendar(int(year), int(week), 1)
