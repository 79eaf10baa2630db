from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.focus.presence import (
    Closed,
    Opened,
    OpenSession,
    Room,
    counted_room,
    overlap,
    reconcile_end,
    transition,
    union,
    whole_minutes,
)
from bot.focus.timeline import Plan, focus_intervals, focus_total

T0 = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
minutes = st.integers(-30, 600)
intervals = st.lists(st.tuples(minutes, st.integers(0, 200)), max_size=8).map(
    lambda raw: [(T0 + timedelta(minutes=s), T0 + timedelta(minutes=s + d)) for s, d in raw]
)
plans = st.builds(
    Plan,
    started_at=st.just(T0),
    focus_minutes=st.integers(5, 180),
    break_minutes=st.integers(0, 60),
    rounds=st.integers(1, 12),
)


@given(intervals, plans)
def test_focus_minutes_never_exceed_focus_time_and_are_never_negative(presence: list, plan: Plan) -> None:
    got = overlap(presence, focus_intervals(plan))
    assert timedelta() <= got <= focus_total(plan)
    assert 0 <= whole_minutes(got) <= plan.rounds * plan.focus_minutes


@given(intervals, plans, st.integers(0, 7), st.floats(0.01, 0.99))
def test_splitting_a_presence_interval_changes_nothing(presence: list, plan: Plan, which: int, at: float) -> None:
    if not presence:
        return
    start, end = presence[which % len(presence)]
    cut = start + (end - start) * at
    split = [*presence[: which % len(presence)], (start, cut), (cut, end), *presence[which % len(presence) + 1 :]]
    assert overlap(split, focus_intervals(plan)) == overlap(presence, focus_intervals(plan))


@given(intervals, intervals)
def test_overlapping_presence_counts_once(a: list, b: list) -> None:
    focus = [(T0, T0 + timedelta(hours=20))]
    assert overlap(a + b, focus) <= overlap(a, focus) + overlap(b, focus)
    assert overlap(a + a, focus) == overlap(a, focus)
    merged = union(a + b)
    assert all(x[1] < y[0] for x, y in itertools.pairwise(merged))


def test_breaks_do_not_count() -> None:
    plan = Plan(T0, 25, 5, 2)  # focus 0-25, break 25-30, focus 30-55
    assert overlap([(T0 + timedelta(minutes=20), T0 + timedelta(minutes=35))], focus_intervals(plan)) == timedelta(
        minutes=10
    )


ROOM = Room(circle_id=1, channel_id=100)
OTHER = Room(circle_id=2, channel_id=200)
ROOMS = {100: ROOM, 200: OTHER}
AFK = 300


def test_afk_and_unknown_channels_never_count() -> None:
    assert counted_room(AFK, AFK, {**ROOMS, AFK: Room(3, AFK)}) is None
    assert counted_room(999, AFK, ROOMS) is None
    assert counted_room(None, AFK, ROOMS) is None
    assert counted_room(100, AFK, ROOMS) == ROOM


def test_join_move_toggle_leave() -> None:
    t = T0
    (opened,) = transition(None, ROOM, 9, 5, t)
    assert isinstance(opened, Opened) and opened.session == OpenSession(9, 5, 1, 100, t)
    # Deafening or muting in the same room: nothing changes (self-deafened time counts).
    assert transition(opened.session, ROOM, 9, 5, t + timedelta(minutes=1)) == []
    # A move to another circle's room: this session ends, one starts there (counted where they are).
    closed, moved = transition(opened.session, OTHER, 9, 5, t + timedelta(minutes=2))
    assert closed == Closed(opened.session, t + timedelta(minutes=2))
    assert isinstance(moved, Opened) and moved.session.circle_id == 2
    # A move to the AFK channel (no room) ends it.
    assert transition(moved.session, None, 9, 5, t + timedelta(minutes=3)) == [
        Closed(moved.session, t + timedelta(minutes=3))
    ]
    assert transition(None, None, 9, 5, t) == []


def test_reconcile_ends_at_the_alive_mark_never_before_the_start() -> None:
    start = T0
    assert reconcile_end(start, T0 + timedelta(minutes=7)) == T0 + timedelta(minutes=7)
    assert reconcile_end(start, T0 - timedelta(minutes=1)) == start
    assert reconcile_end(start, None) == start
