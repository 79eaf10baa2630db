"""Parsers for what people type: times, dates, weekday patterns, timezones. Pure; errors say what is accepted."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from datetime import date, time, timedelta
from functools import cache

from bot.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {
    **{name: i for i, name in enumerate(WEEKDAYS)},
    **{
        full: i for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str) -> time:
    """``09:30`` or ``9:30`` (24-hour)."""
    match = _TIME_RE.match(text.strip())
    if not match:
        raise InvalidInput(f"`{text}` is not a time. Use 24-hour `HH:MM`, e.g. `09:30` or `17:00`.")
    return time(int(match.group(1)), int(match.group(2)))


def format_hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def parse_local_date(text: str, today: date) -> date:
    """``YYYY-MM-DD``, ``today``, ``tomorrow`` or a weekday name (the next such day, never today)."""
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word in _WEEKDAY_NAMES:
        ahead = (_WEEKDAY_NAMES[word] - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    try:
        return date.fromisoformat(word) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word) else _raise_date(text)
    except ValueError:
        return _raise_date(text)


def _raise_date(text: str) -> date:
    raise InvalidInput(f"`{text}` is not a date. Use `YYYY-MM-DD`, `today`, `tomorrow` or a weekday like `friday`.")


def parse_days(text: str) -> frozenset[int]:
    """Weekday patterns: ``daily``, ``weekdays``, ``weekends``, ``mon-fri``, ``mon,wed,fri`` (0 = Monday)."""
    word = text.strip().lower().replace(" ", "")
    if word in ("daily", "everyday", "all"):
        return frozenset(range(7))
    if word == "weekdays":
        return frozenset(range(5))
    if word == "weekends":
        return frozenset({5, 6})
    days: set[int] = set()
    for part in filter(None, word.split(",")):
        if "-" in part:
            start, _, end = part.partition("-")
            if start not in _WEEKDAY_NAMES or end not in _WEEKDAY_NAMES:
                days.clear()
                break
            first, last = _WEEKDAY_NAMES[start], _WEEKDAY_NAMES[end]
            # A range may wrap around the week: fri-mon is Friday to Monday.
            days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
        elif part in _WEEKDAY_NAMES:
            days.add(_WEEKDAY_NAMES[part])
        else:
            days.clear()
            break
    if not days:
        raise InvalidInput(
            f"`{text}` is not a set of days. Use `daily`, `weekdays`, `mon-fri` or a list like `mon,wed,fri`."
        )
    return frozenset(days)


def format_days(days: frozenset[int]) -> str:
    """The shortest readable form: ``daily``, ``mon-fri``, ``mon,wed,fri``."""
    ordered = sorted(days)
    if len(ordered) == 7:
        return "daily"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAYS[ordered[0]]}-{WEEKDAYS[ordered[-1]]}"
    return ",".join(WEEKDAYS[d] for d in ordered)


def days_to_mask(days: frozenset[int]) -> int:
    return sum(1 << d for d in days)


def mask_to_days(mask: int) -> frozenset[int]:
    return frozenset(d for d in range(7) if mask & (1 << d))


@cache
def all_timezones() -> tuple[str, ...]:
    # Old aliases like "US/Pacific" still resolve, but people should pick canonical Area/City names.
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def timezone_suggestions(text: str, limit: int = 25) -> list[str]:
    """Names to offer for what was typed: substring matches first, then close spellings."""
    needle = text.strip().lower().replace(" ", "_")
    names = all_timezones()
    if not needle:
        return list(names[:limit])
    hits = [n for n in names if needle in n.lower()]
    hits.sort(key=lambda n: (not n.lower().split("/")[-1].startswith(needle), len(n)))
    if len(hits) < limit:
        lowered = {n.lower(): n for n in names}
        close = difflib.get_close_matches(needle, list(lowered), n=limit, cutoff=0.6)
        hits += [lowered[c] for c in close if lowered[c] not in hits]
        city_close = difflib.get_close_matches(needle, [n.lower().rsplit("/", 1)[-1] for n in names], n=5, cutoff=0.7)
        hits += [n for n in names if n.lower().rsplit("/", 1)[-1] in city_close and n not in hits]
    return hits[:limit]


def parse_timezone(text: str) -> str:
    """An IANA timezone name, case-insensitive; unknown names are refused with suggestions."""
    wanted = text.strip()
    by_lower = {n.lower(): n for n in zoneinfo.available_timezones()}
    found = by_lower.get(wanted.lower().replace(" ", "_"))
    if found:
        return found
    suggestions = timezone_suggestions(wanted, limit=3)
    hint = f" Did you mean {', '.join(f'`{s}`' for s in suggestions)}?" if suggestions else ""
    raise InvalidInput(f"`{text}` is not a known timezone. Use an IANA name like `Europe/Berlin`.{hint}")


def parse_minutes(text: str, *, low: int, high: int, what: str) -> int:
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise InvalidInput(f"{what} must be a whole number of minutes from {low} to {high}.")
    return int(text)
