"""Matching: checked against an independent brute force over every partition of small pools."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.pairing.matching import (
    EXACT_LIMIT,
    Matching,
    Problem,
    Score,
    evaluate,
    greedy,
    group_sizes,
    match,
    shuffled,
)
from bot.pairing.overlap import Hours, common_windows, overlap_minutes

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Sydney"]
DAY = date(2026, 3, 10)


def partitions(items: list[int]) -> Iterator[list[list[int]]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for smaller in partitions(rest):
        yield [[first], *smaller]
        for i in range(len(smaller)):
            yield [*smaller[:i], [first, *smaller[i]], *smaller[i + 1 :]]


def brute_force(problem: Problem) -> Score | None:
    """The best score over every partition whose groups have the sizes asked (singletons sit out)."""
    best: Score | None = None
    for parts in partitions(list(problem.members)):
        groups = [p for p in parts if len(p) >= 2]
        placed = sum(len(g) for g in groups)
        if sorted(len(g) for g in groups) != sorted(group_sizes(placed, problem.size)):
            continue
        score = evaluate(problem, groups)
        if score is not None and (best is None or score.key > best.key):
            best = score
    return best


@st.composite
def problems(draw: st.DrawFn, max_members: int = 8, sizes: tuple[int, ...] = (2, 3, 4)) -> Problem:
    n = draw(st.integers(2, max_members))
    members = tuple(range(100, 100 + n))
    hours = {
        m: Hours(draw(st.sampled_from(ZONES)), time(draw(st.integers(5, 11)), 0), time(draw(st.integers(14, 22)), 30))
        for m in members
    }
    pairs = list(itertools.combinations(members, 2))
    avoid = frozenset(frozenset(p) for p in draw(st.lists(st.sampled_from(pairs), max_size=n)))
    history = []
    for _ in range(draw(st.integers(0, 3))):
        order = draw(st.permutations(members))
        history.append(tuple(frozenset(order[i : i + 2]) for i in range(0, n - 1, 2)))
    return Problem(
        members, draw(st.sampled_from(sizes)), draw(st.integers(0, 2**31)), hours, DAY, tuple(history), avoid
    )


def check_shape(problem: Problem, result: Matching) -> None:
    seen = [m for g in result.groups for m in g]
    assert len(seen) == len(set(seen))
    assert set(seen) | set(result.unplaced) == set(problem.members)
    assert sorted(len(g) for g in result.groups) == sorted(group_sizes(len(seen), problem.size))
    for group in result.groups:
        for a, b in itertools.combinations(group, 2):
            assert frozenset((a, b)) not in problem.avoid


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_small_pools_reach_the_brute_force_optimum(problem: Problem) -> None:
    result = match(problem)
    check_shape(problem, result)
    best = brute_force(problem)
    if best is None:
        assert result.groups == ()
    else:
        assert result.score.key == best.key


@settings(max_examples=60, deadline=None)
@given(problems(max_members=40, sizes=(2,)))
def test_pairs_never_break_avoid_lists_and_keep_sizes(problem: Problem) -> None:
    check_shape(problem, match(problem))


@settings(max_examples=40, deadline=None)
@given(problems(max_members=30))
def test_the_same_seed_gives_the_same_round(problem: Problem) -> None:
    assert match(problem) == match(problem)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 9, 17, 40, 41])
@pytest.mark.parametrize("size", [2, 3, 4])
def test_nobody_is_left_out_without_avoid_lists(n: int, size: int) -> None:
    members = tuple(range(n))
    result = match(Problem(members, size, 7, {}, DAY))
    assert result.unplaced == ()
    assert sum(map(len, result.groups)) == n
    if size == 2:
        assert sum(len(g) == 3 for g in result.groups) == n % 2


@pytest.mark.parametrize("n", [6, 13, 60, 61, 250])
def test_the_previous_partner_is_never_repeated_when_avoidable(n: int) -> None:
    members = tuple(range(n))
    last = tuple(frozenset(members[i : i + 2]) for i in range(0, n - 1, 2))
    result = match(Problem(members, 2, 3, {m: Hours("UTC") for m in members}, DAY, (last,)))
    assert result.score.repeats == 0
    assert result.unplaced == ()


def test_only_the_forced_repeat_remains() -> None:
    # 1 avoids 3 and 4; 2 avoids 3 and 4: the only full pairing is 1–2 and 3–4, both previous partners.
    avoid = frozenset(frozenset(p) for p in [(1, 3), (1, 4), (2, 3), (2, 4)])
    last = (frozenset((1, 2)), frozenset((3, 4)))
    result = match(Problem((1, 2, 3, 4), 2, 0, {}, DAY, (last,), avoid))
    assert result.groups == ((1, 2), (3, 4))
    assert result.score.repeats == 2


def test_a_member_everyone_avoids_sits_out_and_is_reported() -> None:
    avoid = frozenset(frozenset((9, m)) for m in (1, 2, 3, 4))
    result = match(Problem((1, 2, 3, 4, 9), 2, 0, {}, DAY, (), avoid))
    assert result.unplaced == (9,)
    assert len(result.groups) == 2


def test_overlapping_hours_are_preferred() -> None:
    hours = {
        1: Hours("Europe/Berlin", time(9), time(17)),
        2: Hours("Europe/Paris", time(9), time(17)),
        3: Hours("America/Los_Angeles", time(9), time(17)),
        4: Hours("America/Vancouver", time(9), time(17)),
    }
    result = match(Problem((1, 2, 3, 4), 2, 5, hours, DAY))
    assert result.groups == ((1, 2), (3, 4))


def test_overlap_minutes_cross_midnight_and_dst() -> None:
    berlin = Hours("Europe/Berlin", time(9), time(17))
    new_york = Hours("America/New_York", time(9), time(17))
    # 10 March 2026: New York is already on summer time (UTC-4), Berlin not yet (UTC+1): 5 hours apart.
    assert overlap_minutes(berlin, new_york, DAY) == 3 * 60
    night = Hours("UTC", time(22), time(2))
    assert overlap_minutes(night, Hours("UTC", time(0), time(8)), DAY) == 2 * 60
    assert overlap_minutes(berlin, Hours("Asia/Tokyo", time(9), time(12)), DAY) == 0
    assert common_windows([berlin, new_york], *_day()) != []


def _day() -> tuple[datetime, datetime]:
    start = datetime(2026, 3, 10, tzinfo=UTC)
    return start, start + timedelta(days=1)


def test_recent_partners_are_penalised_more_than_old_ones() -> None:
    members = (1, 2, 3, 4)
    old = (frozenset((1, 3)), frozenset((2, 4)))
    recent = (frozenset((1, 4)), frozenset((2, 3)))
    last = (frozenset((1, 2)), frozenset((3, 4)))
    # Newest first: the previous round, then the recent one, then an old one: the old pairing wins.
    result = match(Problem(members, 2, 1, {}, DAY, (last, recent, old)))
    assert result.groups == ((1, 3), (2, 4))


def test_local_search_gets_close_to_the_exact_optimum() -> None:
    ratios = []
    for seed in range(30):
        members = tuple(range(10))
        hours = {m: Hours(ZONES[(m * 7 + seed) % len(ZONES)], time(8 + m % 3), time(17)) for m in members}
        avoid = frozenset({frozenset((seed % 10, (seed + 3) % 10))})
        problem = Problem(members, 3 + seed % 2, seed, hours, DAY, (), avoid)
        exact, local = match(problem, "exact"), match(problem, "local search")
        check_shape(problem, local)
        assert local.score.placed == exact.score.placed
        ratios.append(local.score.fit / exact.score.fit)
    assert min(ratios) >= 0.98
    assert sum(ratios) / len(ratios) >= 0.995


def test_baselines_are_no_better_than_the_matcher() -> None:
    members = tuple(range(40))
    hours = {m: Hours(ZONES[m % len(ZONES)]) for m in members}
    problem = Problem(members, 2, 11, hours, DAY)
    best = match(problem).score
    for groups in (shuffled(problem), greedy(problem)):
        score = evaluate(problem, groups)
        assert score is not None
        assert score.key <= best.key


@pytest.mark.parametrize("size", [1, 5])
def test_sizes_outside_two_to_four_are_refused(size: int) -> None:
    with pytest.raises(ValueError):
        Problem((1, 2), size, 0, {}, DAY)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(problems(max_members=60, sizes=(3, 4)).filter(lambda p: len(p.members) > EXACT_LIMIT))
def test_local_search_on_larger_pools_never_breaks_avoid_lists(problem: Problem) -> None:
    result = match(problem)
    assert result.method == "local search"
    seen = [m for g in result.groups for m in g]
    assert len(seen) == len(set(seen)) and set(seen) | set(result.unplaced) == set(problem.members)
    for group in result.groups:
        assert 2 <= len(group) <= problem.size
        for a, b in itertools.combinations(group, 2):
            assert frozenset((a, b)) not in problem.avoid
    assert len(result.unplaced) <= len(problem.avoid)  # only the avoid lists can leave anyone out
