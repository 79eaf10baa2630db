from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.standups.schedule import (
    ScheduleSpec,
    current_or_next,
    default_reminder,
    local_instant,
    next_opening,
    slot_for,
    thread_name,
)
from bot.timeparse import parse_days

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC", "Pacific/Auckland"]


def spec(days: str = "daily", at: time = time(9, 0), zone: str = "Europe/Berlin", window: int = 8) -> ScheduleSpec:
    return ScheduleSpec(at, parse_days(days), zone, window, default_reminder(window))


@pytest.mark.parametrize("pattern", ["daily", "weekdays", "mon-fri", "mon,wed,fri", "sat,sun", "fri-mon", "tue"])
@pytest.mark.parametrize("zone", ZONES)
def test_next_opening_is_on_a_scheduled_day_at_local_time(pattern: str, zone: str) -> None:
    s = spec(pattern, time(9, 30), zone)
    after = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    seen = 0
    # Walk two months across the March DST changes of both hemispheres.
    while seen < 40:
        slot = next_opening(s, after)
        assert slot is not None
        local = slot.opens_at.astimezone(ZoneInfo(zone))
        assert local.weekday() in s.days
        assert (local.hour, local.minute) == (9, 30)
        assert local.date() == slot.local_date
        assert slot.opens_at > after
        # Nothing scheduled was skipped between `after` and the slot.
        day = after.astimezone(ZoneInfo(zone)).date()
        while day < slot.local_date:
            if day.weekday() in s.days:
                assert slot_for(s, day).opens_at <= after
            day += timedelta(days=1)
        after = slot.opens_at
        seen += 1


def test_berlin_spring_forward_keeps_local_time() -> None:
    s = spec("daily", time(9, 0))
    before = slot_for(s, date(2026, 3, 28))  # Saturday, CET (UTC+1)
    after = slot_for(s, date(2026, 3, 29))  # Sunday, clocks went forward: CEST (UTC+2)
    assert before.opens_at == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert after.opens_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert after.opens_at - before.opens_at == timedelta(hours=23)


def test_berlin_fall_back_keeps_local_time() -> None:
    s = spec("daily", time(9, 0))
    assert slot_for(s, date(2026, 10, 24)).opens_at == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)
    assert slot_for(s, date(2026, 10, 25)).opens_at == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_nonexistent_local_time_moves_forward_by_the_gap() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; the wall clock reads 03:30 at that instant.
    opens = local_instant(date(2026, 3, 29), time(2, 30), "Europe/Berlin")
    assert opens == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert opens.astimezone(ZoneInfo("Europe/Berlin")).hour == 3


def test_ambiguous_local_time_takes_the_first() -> None:
    opens = local_instant(date(2026, 10, 25), time(2, 30), "Europe/Berlin")
    assert opens == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first of the two


def test_window_is_elapsed_hours_across_dst() -> None:
    s = spec("daily", time(0, 30), window=8)
    slot = slot_for(s, date(2026, 3, 29))
    assert slot.closes_at - slot.opens_at == timedelta(hours=8)
    assert slot.reminder_at == slot.opens_at + timedelta(minutes=360)


def test_current_or_next_returns_the_open_window() -> None:
    s = spec("daily", time(9, 0))
    inside = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 13:00 Berlin, window 09:00–17:00
    slot = current_or_next(s, inside)
    assert slot is not None and slot.local_date == date(2026, 11, 27)
    later = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 18:00 Berlin: closed, next is tomorrow
    slot = current_or_next(s, later)
    assert slot is not None and slot.local_date == date(2026, 11, 28)


def test_skips_are_passed_over() -> None:
    s = spec("daily", time(9, 0))
    after = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    slot = next_opening(s, after, frozenset({date(2026, 11, 27)}))
    assert slot is not None and slot.local_date == date(2026, 11, 28)


def test_window_crossing_midnight_is_current_next_morning() -> None:
    s = spec("daily", time(22, 0), zone="UTC", window=8)
    slot = current_or_next(s, datetime(2026, 11, 27, 3, 0, tzinfo=UTC))
    assert slot is not None and slot.local_date == date(2026, 11, 26)


def test_thread_name() -> None:
    assert thread_name(date(2026, 11, 27)) == "Standup · Fri 27 Nov"
    assert thread_name(date(2026, 12, 3)) == "Standup · Thu 3 Dec"


@given(
    zone=st.sampled_from(ZONES),
    minute=st.integers(0, 24 * 60 - 1),
    days=st.sets(st.integers(0, 6), min_size=1),
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)),
)
def test_next_opening_properties(zone: str, minute: int, days: set[int], start: datetime) -> None:
    s = ScheduleSpec(time(minute // 60, minute % 60), frozenset(days), zone, 8, None)
    after = start.replace(tzinfo=UTC)
    slot = next_opening(s, after)
    assert slot is not None
    assert after < slot.opens_at <= after + timedelta(days=8)
    assert slot.local_date.weekday() in days
    assert slot.reminder_at is None
