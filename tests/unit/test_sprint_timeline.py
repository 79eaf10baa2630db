from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.focus.service import next_slot
from bot.focus.timeline import (
    PhaseKind,
    Plan,
    catch_up,
    changes_between,
    focus_intervals,
    focus_total,
    next_change,
    phase_at,
    phases,
    validate,
)
from bot.timeparse import parse_days

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe/Berlin springs forward: UTC keeps going
plans = st.builds(
    Plan,
    started_at=st.just(T0),
    focus_minutes=st.integers(5, 180),
    break_minutes=st.integers(0, 60),
    rounds=st.integers(1, 12),
)


def test_defaults_are_25_5_4() -> None:
    assert validate(None, None, None) == (25, 5, 4)
    plan = Plan(T0)
    kinds = [(p.kind, p.round) for p in phases(plan)]
    assert kinds == [
        (PhaseKind.FOCUS, 1),
        (PhaseKind.BREAK, 1),
        (PhaseKind.FOCUS, 2),
        (PhaseKind.BREAK, 2),
        (PhaseKind.FOCUS, 3),
        (PhaseKind.BREAK, 3),
        (PhaseKind.FOCUS, 4),
        (PhaseKind.DONE, 4),
    ]
    assert plan.ends_at == T0 + timedelta(minutes=4 * 25 + 3 * 5)


@pytest.mark.parametrize(
    ("focus", "break_", "rounds", "named"),
    [
        (4, 5, 4, "focus"),
        (181, 5, 4, "focus"),
        (0, 5, 4, "focus"),
        (25, 61, 4, "break"),
        (25, -1, 4, "break"),
        (25, 5, 0, "rounds"),
        (25, 5, 13, "rounds"),
    ],
)
def test_out_of_range_is_refused_naming_the_range(focus: int, break_: int, rounds: int, named: str) -> None:
    with pytest.raises(InvalidInput, match=f"`{named}` must be from"):
        validate(focus, break_, rounds)


@pytest.mark.parametrize(("focus", "break_", "rounds"), [(5, 0, 1), (180, 60, 12), (5, 60, 2)])
def test_bounds_are_accepted(focus: int, break_: int, rounds: int) -> None:
    assert validate(focus, break_, rounds) == (focus, break_, rounds)


def test_a_zero_break_has_no_break_phases() -> None:
    plan = Plan(T0, 10, 0, 3)
    assert [p.kind for p in phases(plan)] == [PhaseKind.FOCUS] * 3 + [PhaseKind.DONE]
    assert plan.ends_at == T0 + timedelta(minutes=30)


@given(plans)
def test_phases_tile_the_sprint(plan: Plan) -> None:
    ps = phases(plan)
    assert ps[0].starts_at == plan.started_at and ps[-1].kind is PhaseKind.DONE
    assert ps[-1].starts_at == plan.ends_at
    for before, after in itertools.pairwise(ps):
        assert before.ends_at == after.starts_at
        assert before.kind != after.kind or plan.break_minutes == 0
    assert [p.index for p in ps] == list(range(len(ps)))
    assert sum(p.kind is PhaseKind.FOCUS for p in ps) == plan.rounds
    assert focus_total(plan) == timedelta(minutes=plan.rounds * plan.focus_minutes)


@given(plans, st.integers(-10, 4000))
def test_phase_at_contains_the_instant(plan: Plan, minute: int) -> None:
    when = T0 + timedelta(minutes=minute, seconds=7)
    phase = phase_at(plan, when)
    if when < plan.started_at:
        assert phase.index == 0
    elif phase.ends_at is None:
        assert when >= plan.ends_at
    else:
        assert phase.starts_at <= when < phase.ends_at


@given(plans, st.integers(0, 4000), st.integers(0, 4000))
def test_changes_between_splits_cleanly(plan: Plan, a: int, b: int) -> None:
    lo, hi = sorted((T0 + timedelta(minutes=a), T0 + timedelta(minutes=b)))
    mid = lo + (hi - lo) / 2
    assert changes_between(plan, lo, hi) == changes_between(plan, lo, mid) + changes_between(plan, mid, hi)
    nxt = next_change(plan, lo)
    changes = changes_between(plan, lo, hi)
    if changes:
        assert changes[0] == nxt


def test_catch_up_on_time_is_not_late() -> None:
    plan = Plan(T0, 25, 5, 2)
    up = catch_up(plan, 0, T0 + timedelta(minutes=25, seconds=2))
    assert up is not None and up.current.kind is PhaseKind.BREAK and not up.late and up.missed == ()
    assert catch_up(plan, 1, T0 + timedelta(minutes=26)) is None  # already posted


def test_catch_up_after_downtime_posts_the_current_phase_once_with_what_was_missed() -> None:
    plan = Plan(T0, 25, 5, 3)
    # Down from minute 20 to minute 62: the break 1 (25), focus 2 (30) and break 2 (55) changes fell due.
    up = catch_up(plan, 0, T0 + timedelta(minutes=62))
    assert up is not None
    assert (up.current.kind, up.current.round) == (PhaseKind.FOCUS, 3)
    assert [(p.kind, p.round) for p in up.missed] == [(PhaseKind.BREAK, 1), (PhaseKind.FOCUS, 2), (PhaseKind.BREAK, 2)]
    assert up.late
    # The same catch-up again, after it was posted, posts nothing.
    assert catch_up(plan, up.current.index, T0 + timedelta(minutes=63)) is None


def test_catch_up_late_after_the_end_posts_only_the_end() -> None:
    plan = Plan(T0, 5, 0, 2)
    up = catch_up(plan, 0, T0 + timedelta(hours=3))
    assert up is not None and up.current.is_done and [p.round for p in up.missed] == [2] and up.late


@given(plans, st.integers(0, 4000))
def test_a_stop_cuts_focus_time(plan: Plan, minute: int) -> None:
    stop = T0 + timedelta(minutes=minute)
    cut = focus_total(plan, stop)
    assert timedelta() <= cut <= focus_total(plan)
    assert cut <= stop - T0
    assert all(end <= stop for _, end in focus_intervals(plan, stop))


def test_scheduled_slots_keep_local_time_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    after = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # Friday; clocks go forward on Sunday the 29th
    seen = []
    for _ in range(4):
        slot = next_slot(parse_days("daily"), 9 * 60 + 30, "Europe/Berlin", after)
        assert slot is not None
        seen.append(slot)
        after = slot
    assert [s.astimezone(berlin).strftime("%a %H:%M") for s in seen] == [
        "Sat 09:30",
        "Sun 09:30",
        "Mon 09:30",
        "Tue 09:30",
    ]
    assert [s.hour for s in seen] == [8, 7, 7, 7]  # UTC moves, local time does not
    assert next_slot(parse_days("mon"), 600, "UTC", datetime(2026, 12, 1, tzinfo=UTC)) == datetime(
        2026, 12, 7, 10, 0, tzinfo=UTC
    )
