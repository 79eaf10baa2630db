"""Local-day bucketing across midnight and DST, periods and ISO weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.stats.days import (
    Period,
    bucket_by_day,
    iso_week_key,
    local_midnight,
    parse_period,
    period_start,
    split_by_day,
    week_monday,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def berlin(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=BERLIN).astimezone(UTC)


def test_a_session_from_23_30_to_00_30_splits_across_two_local_days() -> None:
    spans = [(berlin(2026, 11, 26, 23, 30), berlin(2026, 11, 27, 0, 30))]
    assert bucket_by_day(spans, BERLIN) == {
        date(2026, 11, 26): timedelta(minutes=30),
        date(2026, 11, 27): timedelta(minutes=30),
    }


def test_the_same_session_is_one_day_in_another_zone() -> None:
    # 22:30-23:30 UTC: one day in UTC, two in Berlin, one (the 26th) in New York.
    spans = [(berlin(2026, 11, 26, 23, 30), berlin(2026, 11, 27, 0, 30))]
    assert bucket_by_day(spans, ZoneInfo("UTC")) == {date(2026, 11, 26): timedelta(hours=1)}
    assert bucket_by_day(spans, NEW_YORK) == {date(2026, 11, 26): timedelta(hours=1)}


def test_spring_forward_day_has_23_hours_and_fall_back_25() -> None:
    # Berlin: 29 March 2026 (02:00 → 03:00) and 25 October 2026 (03:00 → 02:00).
    march = [(local_midnight(date(2026, 3, 29), BERLIN), local_midnight(date(2026, 3, 30), BERLIN))]
    october = [(local_midnight(date(2026, 10, 25), BERLIN), local_midnight(date(2026, 10, 26), BERLIN))]
    assert bucket_by_day(march, BERLIN) == {date(2026, 3, 29): timedelta(hours=23)}
    assert bucket_by_day(october, BERLIN) == {date(2026, 10, 25): timedelta(hours=25)}


def test_a_night_across_the_dst_change_splits_at_local_midnight() -> None:
    start = datetime(2026, 10, 24, 23, 0, tzinfo=BERLIN).astimezone(UTC)  # CEST, +02:00
    end = datetime(2026, 10, 25, 4, 0, tzinfo=BERLIN).astimezone(UTC)  # CET, +01:00: 6 real hours
    assert bucket_by_day([(start, end)], BERLIN) == {
        date(2026, 10, 24): timedelta(hours=1),
        date(2026, 10, 25): timedelta(hours=5),
    }


def test_overlapping_presence_counts_once() -> None:
    a = berlin(2026, 11, 26, 10)
    spans = [(a, a + timedelta(hours=1)), (a + timedelta(minutes=30), a + timedelta(hours=2))]
    assert bucket_by_day(spans, BERLIN) == {date(2026, 11, 26): timedelta(hours=2)}


@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    length=st.integers(min_value=0, max_value=4 * 24 * 60),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "UTC"]),
)
def test_pieces_cover_the_interval_exactly_each_inside_its_local_day(start: datetime, length: int, zone: str) -> None:
    tz = ZoneInfo(zone)
    end = start + timedelta(minutes=length)
    pieces = list(split_by_day(start, end, tz))
    assert sum((p.end - p.start for p in pieces), timedelta()) == end - start
    for piece in pieces:
        assert local_midnight(piece.day, tz) <= piece.start < piece.end <= local_midnight(piece.day + timedelta(1), tz)
    assert [p.day for p in pieces] == sorted({p.day for p in pieces})


def test_periods() -> None:
    thursday = date(2026, 11, 26)
    assert parse_period(None) is Period.WEEK
    assert parse_period(" Month ") is Period.MONTH
    assert period_start(Period.WEEK, thursday) == date(2026, 11, 23)
    assert period_start(Period.MONTH, thursday) == date(2026, 11, 1)
    assert period_start(Period.ALL, thursday) is None
    with pytest.raises(InvalidInput, match=r"`year` is not a period\. Use `week`"):
        parse_period("year")


def test_iso_weeks_across_new_year() -> None:
    assert iso_week_key(date(2026, 11, 30)) == "2026-W49"
    assert iso_week_key(date(2027, 1, 1)) == "2026-W53"  # a Friday of ISO year 2026
    assert week_monday("2026-W53") == date(2026, 12, 28)
    assert week_monday(iso_week_key(date(2027, 1, 4))) == date(2027, 1, 4)
