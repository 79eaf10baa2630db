"""Parsers for what people type: times, dates, weekday patterns, timezones."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput, UserError
from bot.timeparse import (
    days_to_mask,
    format_days,
    format_hhmm,
    mask_to_days,
    parse_days,
    parse_hhmm,
    parse_local_date,
    parse_minutes,
    parse_timezone,
    timezone_suggestions,
)

THURSDAY = date(2026, 11, 26)


# --- times -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30", time(9, 30)),
        ("9:30", time(9, 30)),
        ("0:00", time(0, 0)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("17:05", time(17, 5)),
        (" 08:15 ", time(8, 15)),
    ],
)
def test_parse_hhmm_accepts_24_hour_times(text: str, expected: time) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize(
    "text",
    ["25:00", "24:00", "9:60", "930", "09:3", "9", "", "ab:cd", "9.30", "-1:00", "09:30pm", "9:30:00", "09:30\n1"],
)
def test_parse_hhmm_rejects_everything_else(text: str) -> None:
    with pytest.raises(InvalidInput, match="HH:MM") as info:
        parse_hhmm(text)
    # The message is for a user: it names what was typed and what is accepted.
    assert isinstance(info.value, UserError)


@given(st.integers(0, 23), st.integers(0, 59))
def test_format_and_parse_hhmm_round_trip(hour: int, minute: int) -> None:
    value = time(hour, minute)
    text = format_hhmm(value)
    assert len(text) == 5
    assert parse_hhmm(text) == value


# --- dates -----------------------------------------------------------------------------------------


def test_parse_iso_date() -> None:
    assert parse_local_date("2026-12-24", THURSDAY) == date(2026, 12, 24)
    assert parse_local_date(" 2027-01-01 ", THURSDAY) == date(2027, 1, 1)


def test_today_and_tomorrow_are_relative_to_the_given_local_day() -> None:
    assert parse_local_date("today", THURSDAY) == THURSDAY
    assert parse_local_date("Tomorrow", THURSDAY) == date(2026, 11, 27)
    # Month and year boundaries.
    assert parse_local_date("tomorrow", date(2026, 12, 31)) == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("friday", date(2026, 11, 27)),
        ("Fri", date(2026, 11, 27)),
        ("saturday", date(2026, 11, 28)),
        ("sunday", date(2026, 11, 29)),
        ("monday", date(2026, 11, 30)),
        ("wed", date(2026, 12, 2)),
        # The same weekday as today means next week's, never today.
        ("thursday", date(2026, 12, 3)),
        ("THU", date(2026, 12, 3)),
    ],
)
def test_weekday_names_mean_the_next_such_day(word: str, expected: date) -> None:
    assert parse_local_date(word, THURSDAY) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 6))
def test_weekday_is_always_one_to_seven_days_ahead(today: date, weekday: int) -> None:
    name = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[weekday]
    result = parse_local_date(name, today)
    assert result.weekday() == weekday
    assert 1 <= (result - today).days <= 7


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "26-11-27", "27/11/2026", "next week", "", "fridayy"])
def test_bad_dates_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidInput, match="YYYY-MM-DD") as info:
        parse_local_date(text, THURSDAY)
    assert "tomorrow" in str(info.value)


# --- weekday patterns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("mon,wed,fri", {0, 2, 4}),
        ("Mon, Wed, Fri", {0, 2, 4}),
        ("daily", set(range(7))),
        ("weekdays", {0, 1, 2, 3, 4}),
        ("weekends", {5, 6}),
        ("fri-mon", {4, 5, 6, 0}),
        ("sat-sun", {5, 6}),
        ("sun-tue", {6, 0, 1}),
        ("tue", {1}),
        ("monday-wednesday", {0, 1, 2}),
        ("mon-tue,thu", {0, 1, 3}),
    ],
)
def test_parse_days(text: str, expected: set[int]) -> None:
    assert parse_days(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text", ["", "never", "mon-", "-fri", "mon-xyz", "mon;wed", "mon-tue-wed", "1-5", ",", "mon,x"]
)
def test_parse_days_rejects_garbage(text: str) -> None:
    with pytest.raises(InvalidInput, match="mon-fri"):
        parse_days(text)


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (frozenset(range(7)), "daily"),
        (frozenset(range(5)), "mon-fri"),
        (frozenset({0, 2, 4}), "mon,wed,fri"),
        (frozenset({5, 6}), "sat,sun"),
        (frozenset({3}), "thu"),
    ],
)
def test_format_days_is_short_and_readable(days: frozenset[int], text: str) -> None:
    assert format_days(days) == text


@given(st.frozensets(st.integers(0, 6), min_size=1))
def test_format_days_round_trips(days: frozenset[int]) -> None:
    assert parse_days(format_days(days)) == days


@given(st.frozensets(st.integers(0, 6)))
def test_day_masks_round_trip(days: frozenset[int]) -> None:
    mask = days_to_mask(days)
    assert 0 <= mask < 128
    assert mask_to_days(mask) == days


# --- timezones -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("  America/New_York ", "America/New_York"),
        ("america/new york", "America/New_York"),
        ("utc", "UTC"),
    ],
)
def test_parse_timezone_is_case_insensitive(text: str, expected: str) -> None:
    assert parse_timezone(text) == expected


def test_unknown_timezone_is_refused_with_suggestions() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_timezone("Europe/Berln")
    message = str(info.value)
    assert "`Europe/Berln` is not a known timezone" in message
    assert "Did you mean" in message and "`Europe/Berlin`" in message


@pytest.mark.parametrize("text", ["Mars/Olympus", "", "Berlin/Europe"])
def test_nonsense_timezones_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="IANA name"):
        parse_timezone(text)


def test_timezone_suggestions_for_autocomplete() -> None:
    assert timezone_suggestions("berlin")[0] == "Europe/Berlin"
    assert "Europe/Berlin" in timezone_suggestions("Europe/Berln")
    assert "America/New_York" in timezone_suggestions("new york")
    # Autocomplete offers at most 25 choices (Discord's limit), and only canonical Area/City names or UTC.
    everything = timezone_suggestions("")
    assert len(everything) == 25
    assert len(timezone_suggestions("a", limit=25)) == 25
    assert all("/" in name or name == "UTC" for name in timezone_suggestions("u"))


# --- minutes ---------------------------------------------------------------------------------------


def test_parse_minutes_bounds() -> None:
    assert parse_minutes("25", low=5, high=180, what="Focus") == 25
    assert parse_minutes("5", low=5, high=180, what="Focus") == 5
    for bad in ("4", "181", "-5", "ten", ""):
        with pytest.raises(InvalidInput, match="Focus must be a whole number of minutes from 5 to 180"):
            parse_minutes(bad, low=5, high=180, what="Focus")
