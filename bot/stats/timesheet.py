"""The timesheet export as data and as CSV: rows per local day, per-tag totals per ISO week. Pure; no I/O.

Every row lies within one local day of the member's timezone (a session over midnight is two rows), so
a spreadsheet's SUM per date is the time of that date. Minutes are rounded per row and every total is
the sum of the rows, so the totals file and a SUM over the sessions file agree to the minute.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.stats.days import iso_week_key, minutes, monday_of, split_by_day

VOICE = "voice"  # time in a circle's focus room (co-working time, sprint or not)
SPRINT = "sprint"  # a sprint joined: its focus minutes as the recap credited them, with the member's tag
NO_TAG = "(no tag)"

HEADER = ("date", "start", "end", "minutes", "circle", "tag", "kind", "timezone")
TOTALS_HEADER = ("week", "week_start", "tag", "minutes", "hours")


@dataclass(frozen=True)
class Activity:
    """One stretch of the member's own time, as the database holds it (UTC instants)."""

    kind: str  # VOICE or SPRINT
    start: datetime
    end: datetime
    circle: str
    tag: str | None
    credited_minutes: int | None = None  # SPRINT: the recap's focus minutes (breaks excluded)


@dataclass(frozen=True)
class Row:
    date: str  # local YYYY-MM-DD
    start: str  # local YYYY-MM-DD HH:MM
    end: str
    minutes: int
    circle: str
    tag: str
    kind: str


def rows_of(activities: Iterable[Activity], zone: ZoneInfo) -> list[Row]:
    """Rows in time order, each inside one local day. A sprint's credited minutes go to its first day
    (a sprint crossing midnight is rare; its credit is one figure, not a split of presence)."""
    out: list[tuple[datetime, Row]] = []
    for act in activities:
        pieces = list(split_by_day(act.start, act.end, zone))
        if act.kind == SPRINT:
            if not pieces:
                continue
            first, last = pieces[0], pieces[-1]
            out.append(
                (act.start, _row(first.day.isoformat(), first.start, last.end, act.credited_minutes or 0, act, zone))
            )
            continue
        for piece in pieces:
            out.append(
                (
                    piece.start,
                    _row(piece.day.isoformat(), piece.start, piece.end, minutes(piece.end - piece.start), act, zone),
                )
            )
    out.sort(key=lambda item: (item[0], item[1].kind))
    return [row for _, row in out]


def _row(day: str, start: datetime, end: datetime, mins: int, act: Activity, zone: ZoneInfo) -> Row:
    return Row(
        date=day,
        start=_local(start, zone),
        end=_local(end, zone),
        minutes=mins,
        circle=act.circle,
        tag=act.tag or "",
        kind=act.kind,
    )


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class TagWeek:
    week: str  # 2026-W49
    week_start: str  # its Monday, YYYY-MM-DD
    tag: str
    minutes: int

    @property
    def hours(self) -> str:
        return f"{self.minutes / 60:.2f}"


def tag_totals(rows: Iterable[Row]) -> list[TagWeek]:
    """Sprint minutes per ISO week and tag: hours by client, ready for an invoice.

    Only sprint rows carry a tag (`/sprint start … tag`), so only they are totalled; untagged sprint
    time is listed as ``(no tag)``. Voice rows are co-working time and stay in the sessions file.
    """
    sums: dict[tuple[str, str], int] = {}
    starts: dict[str, str] = {}
    for row in rows:
        if row.kind != SPRINT:
            continue
        day = date.fromisoformat(row.date)
        week = iso_week_key(day)
        starts[week] = monday_of(day).isoformat()
        key = (week, row.tag or NO_TAG)
        sums[key] = sums.get(key, 0) + row.minutes
    return [TagWeek(week, starts[week], tag, mins) for (week, tag), mins in sorted(sums.items())]


def to_csv(header: Sequence[str], records: Iterable[Sequence[object]]) -> str:
    """RFC 4180 CSV (CRLF line ends, quoted where needed) with a UTF-8 byte order mark, which
    spreadsheet programs need to read accents and non-Latin tags correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel")
    writer.writerow(header)
    for record in records:
        writer.writerow([_safe_cell(value) for value in record])
    return "\ufeff" + buffer.getvalue()


def _safe_cell(value: object) -> object:
    """Text starting like a formula is prefixed with ' so a spreadsheet shows it instead of running it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def sessions_csv(rows: Iterable[Row], zone_name: str) -> str:
    return to_csv(HEADER, ((r.date, r.start, r.end, r.minutes, r.circle, r.tag, r.kind, zone_name) for r in rows))


def totals_csv(totals: Iterable[TagWeek]) -> str:
    return to_csv(TOTALS_HEADER, ((t.week, t.week_start, t.tag, t.minutes, t.hours) for t in totals))
