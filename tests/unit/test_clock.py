"""Clocks: the system clock is aware UTC; the test clock stands still until told to move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.clock import Clock, FixedClock, SystemClock
from bot.timefmt import discord_ts


def test_system_clock_is_aware_utc_and_current() -> None:
    clock: Clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    after = datetime.now(UTC)
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_fixed_clock_stands_still_and_moves_when_told() -> None:
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    clock = FixedClock(start)
    assert clock.now() == start
    assert clock.now() == start
    clock.advance(timedelta(hours=1, minutes=15))
    assert clock.now() == datetime(2026, 3, 29, 1, 45, tzinfo=UTC)
    clock.set(datetime(2026, 10, 25, 3, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    # Whatever zone it is given, it answers in UTC (Berlin is back on CET, UTC+1, at 03:00 that day).
    assert clock.now() == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fixed_clock_normalises_its_start_to_utc() -> None:
    clock = FixedClock(datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=9))))
    assert clock.now() == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fixed_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2026, 1, 1, 9, 0))


def test_discord_timestamps() -> None:
    when = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert discord_ts(when) == "<t:1795680000:f>"
    assert discord_ts(when.astimezone(ZoneInfo("Asia/Tokyo")), "R") == "<t:1795680000:R>"
    with pytest.raises(ValueError, match="aware"):
        discord_ts(datetime(2026, 11, 26, 8, 0))
