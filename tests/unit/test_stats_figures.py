"""Heat-map cells, the timesheet CSV (round trip through the csv module), per-tag totals, circle figures."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.stats.days import bucket_by_day, minutes
from bot.stats.figures import (
    DigestFigures,
    GoalBar,
    Ranked,
    current_digest_monday,
    digest_slot,
    expected_answers,
    goal_target_hours,
    leaderboard,
    longest_streaks,
)
from bot.stats.heatmap import heatmap_cells
from bot.stats.timesheet import HEADER, NO_TAG, SPRINT, VOICE, Activity, rows_of, sessions_csv, tag_totals, totals_csv

BERLIN = ZoneInfo("Europe/Berlin")


def at(d: int, h: int, mi: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, d, h, mi, tzinfo=BERLIN).astimezone(UTC)


def test_heatmap_cells_are_minutes_per_local_day_and_blank_after_today() -> None:
    today = date(2026, 11, 26)  # a Thursday
    spans = [(at(26, 23, 30), at(27, 0, 30)), (at(23, 9), at(23, 10, 15)), (at(2, 8, month=9), at(2, 9, month=9))]
    by_day = {d: minutes(v) for d, v in bucket_by_day(spans, BERLIN).items()}
    heat = heatmap_cells(by_day, today)
    assert heat.weeks == 12
    assert heat.first_monday == date(2026, 9, 7)  # 11 weeks before this Monday
    assert heat.cells[3][11] == 30  # Thursday of this week: 23:30-24:00
    assert heat.cells[4][11] is None  # Friday is tomorrow: blank, not zero
    assert heat.cells[0][11] == 75  # Monday 23 Nov, 09:00-10:15
    assert heat.cells[2][0] == 0  # Wednesday 9 Sep, the first column: nothing that day
    assert heat.total_minutes == 105  # the 27th (tomorrow) and 2 Sep (before the grid) are outside
    assert heat.active_days == 2
    assert heat.max_minutes == 75
    assert heat.week_labels[0] == "7 Sep" and heat.week_labels[-1] == "23 Nov"
    assert heat.day_of(3, 11) == today


def test_timesheet_rows_split_at_midnight_and_round_trip_through_csv() -> None:
    activities = [
        Activity(VOICE, at(26, 23, 30), at(27, 0, 30), "EU mornings", None),
        Activity(SPRINT, at(26, 9), at(26, 10, 45), "Writers, Inc", 'Acme "GmbH"', 100),
        Activity(VOICE, at(26, 9), at(26, 10, 45), "=HYPERLINK(evil)", None),
    ]
    rows = rows_of(activities, BERLIN)
    text = sessions_csv(rows, "Europe/Berlin")
    assert text.startswith("\ufeff")  # byte order mark: spreadsheets read UTF-8 right
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert tuple(parsed[0]) == HEADER
    body = parsed[1:]
    assert [r[0] for r in body] == ["2026-11-26", "2026-11-26", "2026-11-26", "2026-11-27"]
    # The same start: the sprint row first (kinds in alphabetical order), then the voice row.
    assert body[0][1:7] == ["2026-11-26 09:00", "2026-11-26 10:45", "100", "Writers, Inc", 'Acme "GmbH"', "sprint"]
    assert body[1][1:4] == ["2026-11-26 09:00", "2026-11-26 10:45", "105"]
    assert body[1][4] == "'=HYPERLINK(evil)"  # shown as text, never run as a formula
    assert body[2][1:4] == ["2026-11-26 23:30", "2026-11-27 00:00", "30"]
    assert body[3][1:4] == ["2026-11-27 00:00", "2026-11-27 00:30", "30"]
    assert {r[7] for r in body} == {"Europe/Berlin"}
    assert sum(int(r[3]) for r in body if r[6] == "voice") == 165


def test_tag_totals_are_sprint_minutes_by_iso_week() -> None:
    activities = [
        Activity(SPRINT, at(23, 9), at(23, 10), "C", "acme", 50),
        Activity(SPRINT, at(29, 9), at(29, 10), "C", "acme", 25),  # Sunday: same ISO week
        Activity(SPRINT, at(30, 9), at(30, 10), "C", "acme", 45),  # Monday: next week
        Activity(SPRINT, at(24, 9), at(24, 10), "C", None, 20),
        Activity(VOICE, at(24, 9), at(24, 12), "C", None),  # voice time is not invoiced by tag
    ]
    totals = tag_totals(rows_of(activities, BERLIN))
    assert [(t.week, t.week_start, t.tag, t.minutes, t.hours) for t in totals] == [
        ("2026-W48", "2026-11-23", NO_TAG, 20, "0.33"),
        ("2026-W48", "2026-11-23", "acme", 75, "1.25"),
        ("2026-W49", "2026-11-30", "acme", 45, "0.75"),
    ]
    parsed = list(csv.DictReader(io.StringIO(totals_csv(totals).lstrip("\ufeff"))))
    assert parsed[1] == {
        "week": "2026-W48",
        "week_start": "2026-11-23",
        "tag": "acme",
        "minutes": "75",
        "hours": "1.25",
    }


def test_goal_target_and_bar() -> None:
    assert goal_target_hours(0) == 5 and goal_target_hours(2) == 5 and goal_target_hours(10) == 20
    bar = GoalBar(12.5, 20)
    assert bar.text(10) == "▰▰▰▰▰▰▱▱▱▱ 12.5 / 20 h"
    assert not bar.reached and GoalBar(21, 20).reached and GoalBar(21, 20).fraction == 1.0


def test_leaderboard_leaves_out_hidden_members_and_nobody_is_ranked_for_nothing() -> None:
    ranked = leaderboard({1: 30, 2: 90, 3: 0, 4: 90, 5: 200}, hidden={5})
    assert ranked == [Ranked(2, 90), Ranked(4, 90), Ranked(1, 30)]
    assert longest_streaks({1: 3, 2: 7, 3: 0, 4: 9}, hidden={4}) == (Ranked(2, 7), Ranked(1, 3))


def test_digest_slot_is_monday_nine_circle_time_across_dst() -> None:
    assert digest_slot(date(2026, 11, 30), BERLIN) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert digest_slot(date(2026, 6, 1), BERLIN) == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    # Sunday 23:30 UTC is already Monday in Berlin.
    assert current_digest_monday(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), BERLIN) == date(2026, 11, 30)


def test_digest_figures_response_rate_and_change() -> None:
    opens = at(24, 9)
    joins = {1: opens - timedelta(days=5), 2: opens - timedelta(days=1), 3: opens + timedelta(hours=1)}
    # Member 3 joined after the opening; member 2 was away (excused): one answer was expected.
    assert expected_answers(joins, [(opens, (2,))]) == 1
    fig = DigestFigures(date(2026, 11, 23), 90, 60, (0,) * 7, (0,) * 7, 1, 1, 1, 0, (), (3,), 3)
    assert fig.response_rate == 1.0 and fig.change_percent == 50
    assert DigestFigures(date(2026, 11, 23), 90, 0, (0,) * 7, (0,) * 7, 0, 0, 0, 0, (), (), 0).change_percent is None
