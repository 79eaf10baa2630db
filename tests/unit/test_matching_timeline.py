"""When rounds happen and the cycle around them: local days across DST, biweekly parity, catch-up, quiet."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.pairing.timeline import (
    CATCH_UP,
    RoundSpec,
    cycle,
    first_day,
    is_quiet,
    slots,
    upcoming,
)

BERLIN = "Europe/Berlin"


def test_weekly_rounds_keep_their_local_time_across_dst() -> None:
    spec = RoundSpec(0, time(10, 0), 7, BERLIN, date(2026, 10, 19))
    after = datetime(2026, 10, 19, 12, 0, tzinfo=UTC)
    found = list(itertools.islice(slots(spec, after), 3))
    assert [s.local_date for s in found] == [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9)]
    # Clocks went back on Sunday 25 October: from then on 10:00 in Berlin is 09:00 UTC.
    assert all(s.starts_at.astimezone(ZoneInfo(BERLIN)).time() == time(10, 0) for s in found)
    assert found[0].starts_at == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_biweekly_rounds_fall_an_even_number_of_weeks_from_the_anchor() -> None:
    spec = RoundSpec(3, time(9, 0), 14, "UTC", date(2026, 12, 3))
    found = list(itertools.islice(slots(spec, datetime(2026, 12, 1, tzinfo=UTC)), 3))
    assert [s.key for s in found] == ["2026-12-03", "2026-12-17", "2026-12-31"]


def test_first_day_is_the_next_such_weekday_still_ahead() -> None:
    thursday_morning = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert first_day(3, time(9, 0), "UTC", thursday_morning) == date(2026, 12, 3)
    assert first_day(3, time(7, 0), "UTC", thursday_morning) == date(2026, 12, 10)
    assert first_day(0, time(9, 0), "UTC", thursday_morning) == date(2026, 12, 7)


def test_a_round_missed_a_little_is_caught_up_once_and_an_old_one_skipped() -> None:
    spec = RoundSpec(3, time(9, 0), 7, "UTC", date(2026, 12, 3))
    late = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # six hours after 09:00
    assert upcoming(spec, late, set()).key == "2026-12-03"
    assert upcoming(spec, late, {"2026-12-03"}).key == "2026-12-10"
    too_late = datetime(2026, 12, 3, 9, 0, tzinfo=UTC) + CATCH_UP + timedelta(minutes=1)
    assert upcoming(spec, too_late, set()).key == "2026-12-10"


@given(st.integers(0, 6), st.integers(0, 23), st.sampled_from([7, 14]), st.integers(0, 400))
def test_slots_are_on_the_weekday_in_order(weekday: int, hour: int, days: int, ahead: int) -> None:
    anchor = date(2026, 1, 5) + timedelta(days=weekday)
    spec = RoundSpec(weekday, time(hour, 30), days, BERLIN, anchor)
    after = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=ahead, hours=hour)
    found = list(itertools.islice(slots(spec, after), 4))
    assert all(s.starts_at > after for s in found)
    assert all(s.local_date.weekday() == weekday and (s.local_date - anchor).days % days == 0 for s in found)
    assert [s.starts_at for s in found] == sorted(s.starts_at for s in found)
    assert all((b.local_date - a.local_date).days == days for a, b in itertools.pairwise(found))


def test_the_cycle_checks_in_halfway_and_closes_a_day_before_its_end() -> None:
    start = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    week = cycle(start, 7)
    assert week.checkin_at == start + timedelta(days=3, hours=12)
    assert week.ends_at == start + timedelta(days=6)
    assert cycle(start, 14).ends_at == start + timedelta(days=13)


def test_quiet_means_three_days_without_activity_in_a_round_that_old() -> None:
    start = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    checkin = start + timedelta(days=3, hours=12)
    assert is_quiet(None, start, checkin)
    assert is_quiet(start, start, checkin)
    assert not is_quiet(checkin - timedelta(days=1), start, checkin)
    assert not is_quiet(None, start, start + timedelta(days=2))  # the round is too young to tell
