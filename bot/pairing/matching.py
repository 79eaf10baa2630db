"""Who meets whom: pairing as an optimisation, not a shuffle. Pure: no I/O, no clock, no randomness but the seed.

The objective, compared in this order:

1. **Placed members**: as many members as possible are in a group; a member sits out only when the avoid
   lists leave them nobody to be grouped with (reported to hosts, never in public).
2. **Previous partners**: the fewest groups-mates who were in a member's most recent group; when any
   assignment without them exists, it is chosen.
3. **Fit**: the sum over groups of each pair's fit, normalised by group size so a trio is worth as much per
   member as a pair. A pair's fit is a base, plus the minutes their working hours overlap (capped at a full
   working day), minus a recency-weighted penalty for each earlier round they met in (halving every two rounds).

Avoid lists are hard constraints: no group ever holds two members when either avoids the other.

Methods: size 2 uses networkx's exact maximum-weight matching (Edmonds' blossom algorithm) on integer
weights, over every compatible pair up to ``FULL_GRAPH_LIMIT`` members; above it (blossom in pure Python
grows too slow), over every compatible pair within blocks of ``BLOCK`` members who are neighbours by
working hours, then over everyone the blocks left unplaced. Odd pools get one trio:
exhaustively chosen up to ``EXACT_LIMIT`` members, else by attaching the leftover to the pair it fits best.
Sizes 3–4 use an exhaustive search up to ``EXACT_LIMIT`` members and a seeded local search (pair swaps
between groups) above it. Ties are broken by the seed, so the same seed always gives the same round.
"""

from __future__ import annotations

import collections
import itertools
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

import networkx as nx

from bot.pairing.overlap import Hours, windows

MIN_SIZE, MAX_SIZE = 2, 4
BASE_FIT = 1000
OVERLAP_CAP = 480  # minutes: a full shared working day is as good as it gets
RECENCY_PENALTY = 700  # for meeting in the last round; halves every two rounds further back
HISTORY_ROUNDS = 26
PREVIOUS = 10**12  # one previous partner outweighs any amount of fit
EXACT_LIMIT = 12
FULL_GRAPH_LIMIT = 200
BLOCK = 32  # above FULL_GRAPH_LIMIT, pairs are matched exactly within blocks this big (by working hours)
LOCAL_SEARCH_TRIALS = 100  # swap trials per member at most (the search usually settles well before)
LOCAL_SEARCH_PASSES = 8  # passes over everyone, each with fresh random candidates
SWAP_ALL_LIMIT = 80  # up to this many members a sweep tries every swap
SWAP_NEIGHBOURS, SWAP_RANDOM = 5, 6
RESTARTS = 6  # extra seeded starts on pools up to 80 members
GREEDY_WINDOW = 24


def group_sizes(placed: int, size: int) -> tuple[int, ...]:
    """The group sizes for ``placed`` members: size 2 → pairs and one trio for an odd count; sizes 3–4 →
    as few groups as fit, as even as possible (7 at size 4 → 4 + 3; 5 at size 4 → 3 + 2)."""
    if placed < 2:
        return ()
    if size == 2:
        return (3,) + (2,) * ((placed - 3) // 2) if placed % 2 else (2,) * (placed // 2)
    count = -(-placed // size)
    small, extra = divmod(placed, count)
    return (small + 1,) * extra + (small,) * (count - extra)


@dataclass(frozen=True)
class Problem:
    """One round's input. ``history`` holds earlier rounds' groups, newest first; ``avoid`` the unordered
    pairs that must never share a group (from either member's list)."""

    members: tuple[int, ...]
    size: int
    seed: int
    hours: Mapping[int, Hours]
    reference: date
    history: tuple[tuple[frozenset[int], ...], ...] = ()
    avoid: frozenset[frozenset[int]] = frozenset()
    _cache: dict[tuple[int, int], int | None] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"group size must be {MIN_SIZE}–{MAX_SIZE}, not {self.size}")
        if len(set(self.members)) != len(self.members):
            raise ValueError("members must be distinct")

    @cached_property
    def _last_group(self) -> dict[int, frozenset[int]]:
        last: dict[int, frozenset[int]] = {}
        for past in self.history:
            for group in past:
                for member in group:
                    last.setdefault(member, group - {member})
        return last

    @cached_property
    def _recency(self) -> dict[tuple[int, int], int]:
        penalty: dict[tuple[int, int], float] = {}
        for ago, past in enumerate(self.history[:HISTORY_ROUNDS]):
            weight = RECENCY_PENALTY * 0.5 ** (ago / 2)
            for group in past:
                for key in itertools.combinations(sorted(group), 2):
                    penalty[key] = penalty.get(key, 0.0) + weight
        return {key: round(value) for key, value in penalty.items()}

    @cached_property
    def _avoid_keys(self) -> set[tuple[int, int]]:
        return {(min(pair), max(pair)) for pair in self.avoid if len(pair) == 2}

    @cached_property
    def _classes(self) -> tuple[dict[int, int], list[Hours]]:
        """Members with the same hours share one class, so overlap is computed once per pair of classes."""
        index: dict[Hours, int] = {}
        of: dict[int, int] = {}
        for member in self.members:
            hours = self.hours.get(member, Hours("UTC"))
            of[member] = index.setdefault(hours, len(index))
        return of, list(index)

    @cached_property
    def _overlaps(self) -> dict[tuple[int, int], int]:
        return {}

    @cached_property
    def _windows(self) -> list[list[tuple[int, int]]]:
        """Each hours class's working windows on the reference UTC day, as minutes after its midnight."""
        start = datetime.combine(self.reference, time(0), tzinfo=UTC)
        return [
            [(int((lo - start).total_seconds()) // 60, int((hi - start).total_seconds()) // 60) for lo, hi in spans]
            for spans in (windows(hours, start, start + timedelta(days=1)) for hours in self._classes[1])
        ]

    def overlap(self, a: int, b: int) -> int:
        """Minutes both work on the reference day (as ``overlap.overlap_minutes``, on precomputed windows)."""
        of, _ = self._classes
        ka, kb = of[a], of[b]
        key = (ka, kb) if ka <= kb else (kb, ka)
        found = self._overlaps.get(key)
        if found is None:
            found = 0
            for lo, hi in self._windows[ka]:
                for lo2, hi2 in self._windows[kb]:
                    found += max(0, min(hi, hi2) - max(lo, lo2))
            self._overlaps[key] = found
        return found

    def compatible(self, a: int, b: int) -> bool:
        return ((a, b) if a < b else (b, a)) not in self._avoid_keys

    def previous(self, a: int, b: int) -> bool:
        return b in self._last_group.get(a, ()) or a in self._last_group.get(b, ())

    def fit(self, a: int, b: int) -> int:
        key = (a, b) if a < b else (b, a)
        return BASE_FIT + min(self.overlap(a, b), OVERLAP_CAP) - self._recency.get(key, 0)

    def value(self, a: int, b: int) -> int | None:
        """A pair's worth (fit minus PREVIOUS when they were just together), or None when forbidden."""
        key = (a, b) if a < b else (b, a)
        if key in self._cache:
            return self._cache[key]
        found = None if not self.compatible(a, b) else self.fit(a, b) - (PREVIOUS if self.previous(a, b) else 0)
        self._cache[key] = found
        return found

    def group_value(self, group: Sequence[int]) -> int | None:
        total = 0
        for a, b in itertools.combinations(group, 2):
            v = self.value(a, b)
            if v is None:
                return None
            total += v
        return total * (12 // (len(group) - 1))


@dataclass(frozen=True, order=True)
class Score:
    placed: int
    repeats: int  # pairs of previous partners inside groups (lower is better; compared negated in key)
    fit: int

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.placed, -self.repeats, self.fit)


@dataclass(frozen=True)
class Matching:
    groups: tuple[tuple[int, ...], ...]
    unplaced: tuple[int, ...]  # members the avoid lists left with nobody (hosts see them in the record)
    score: Score
    method: str  # "matching", "exact", "local search", …


def evaluate(problem: Problem, groups: Iterable[Sequence[int]]) -> Score | None:
    """The objective of a set of groups, or None when a group breaks an avoid pair."""
    placed = repeats = fit = 0
    for group in groups:
        if len(group) < 2:
            continue
        placed += len(group)
        scale = 12 // (len(group) - 1)
        for a, b in itertools.combinations(group, 2):
            if not problem.compatible(a, b):
                return None
            repeats += problem.previous(a, b)
            fit += scale * problem.fit(a, b)
    return Score(placed, repeats, fit)


def match(problem: Problem, method: str = "auto") -> Matching:
    """The round's groups. ``method`` forces one ("matching", "exact", "local search") for tests and benches."""
    order = list(problem.members)
    random.Random(problem.seed).shuffle(order)
    chosen = method
    if method == "auto":
        small = len(order) <= EXACT_LIMIT
        chosen = "matching" if problem.size == 2 and (len(order) % 2 == 0 or not small) else "exact"
        if problem.size > 2 and not small:
            chosen = "local search"
    if chosen == "matching":
        groups = _pairs(problem, order)
    elif chosen == "exact":
        groups = _exact(problem, order)
    elif chosen == "local search":
        groups = _local_search(problem, order)
    else:
        raise ValueError(f"unknown method {method!r}")
    return _result(problem, groups, chosen)


def _result(problem: Problem, groups: list[tuple[int, ...]], method: str) -> Matching:
    placed = {m for g in groups for m in g}
    ordered = tuple(sorted(tuple(sorted(g)) for g in groups))
    score = evaluate(problem, ordered)
    assert score is not None, "a matcher produced a forbidden group"
    unplaced = tuple(sorted(m for m in problem.members if m not in placed))
    return Matching(ordered, unplaced, score, method)


# --- exhaustive search (small pools) ---------------------------------------------------------------


def _exact(problem: Problem, order: list[int]) -> list[tuple[int, ...]]:
    n = len(order)
    memo: dict[tuple[int, tuple[int, ...], int], tuple[tuple[int, int], list[tuple[int, ...]]] | None] = {}
    neg = -(10**30)

    def search(mask: int, sizes: tuple[int, ...], out: int) -> tuple[tuple[int, int], list[tuple[int, ...]]] | None:
        if mask == 0:
            return ((0, 0), []) if not sizes and out == 0 else None
        key = (mask, sizes, out)
        if key in memo:
            return memo[key]
        first = (mask & -mask).bit_length() - 1
        rest = mask & ~(1 << first)
        best: tuple[tuple[int, int], list[tuple[int, ...]]] | None = None
        best_key = (neg, neg)
        if out > 0:
            found = search(rest, sizes, out - 1)
            if found is not None and found[0] > best_key:
                best, best_key = found, found[0]
        others = [i for i in range(n) if rest >> i & 1]
        for k in sorted(set(sizes)):
            remaining = list(sizes)
            remaining.remove(k)
            left = tuple(remaining)
            for combo in itertools.combinations(others, k - 1):
                group = (order[first], *(order[i] for i in combo))
                repeats = sum(problem.previous(a, b) for a, b in itertools.combinations(group, 2))
                value = problem.group_value(group)
                if value is None:
                    continue
                sub_mask = rest
                for i in combo:
                    sub_mask &= ~(1 << i)
                found = search(sub_mask, left, out)
                if found is None:
                    continue
                fit = value + PREVIOUS * repeats * (12 // (k - 1))
                candidate = ((found[0][0] - repeats, found[0][1] + fit), [group, *found[1]])
                if candidate[0] > best_key:
                    best, best_key = candidate, candidate[0]
        memo[key] = best
        return best

    full = (1 << n) - 1
    for placed in range(n, 1, -1):
        sizes = group_sizes(placed, problem.size)
        found = search(full, sizes, n - placed)
        if found is not None:
            return found[1]
    return []


# --- size 2: maximum-weight matching -------------------------------------------------------------


def _by_hours(problem: Problem, order: list[int]) -> list[int]:
    """Members ordered by the middle of their working day in UTC (seeded order among equals)."""
    of, classes = problem._classes
    middle = [_midpoint(problem, hours) for hours in classes]
    rank = {m: i for i, m in enumerate(order)}
    return sorted(order, key=lambda m: (middle[of[m]], rank[m]))


def _midpoint(problem: Problem, hours: Hours) -> float:
    start = datetime.combine(problem.reference, time(0), tzinfo=UTC)
    spans = windows(hours, start, start + timedelta(days=1))
    if not spans:
        return 0.0
    lo, hi = max(spans, key=lambda s: s[1] - s[0])
    return ((lo - start).total_seconds() + (hi - lo).total_seconds() / 2) / 60


def _max_weight_pairs(problem: Problem, members: list[int]) -> list[tuple[int, ...]]:
    """Exact maximum-weight matching (most pairs first, then the least repeats, then fit) over every
    compatible pair of ``members``: networkx's blossom algorithm on integer weights."""
    graph: nx.Graph[int] = nx.Graph()
    graph.add_nodes_from(members)
    for a, b in itertools.combinations(members, 2):
        value = problem.value(a, b)
        if value is not None:
            graph.add_edge(a, b, weight=2 * PREVIOUS + value)
    return [tuple(sorted(p)) for p in nx.max_weight_matching(graph, maxcardinality=True)]


def _pairs(problem: Problem, order: list[int]) -> list[tuple[int, ...]]:
    """Pairs, and one trio for an odd pool. Exact over the whole pool up to ``FULL_GRAPH_LIMIT`` members;
    above it, exact within blocks of ``BLOCK`` members who are neighbours by working hours (where the
    best partners are), then exact again over everyone a block could not place."""
    if len(order) <= FULL_GRAPH_LIMIT:
        pairs = _max_weight_pairs(problem, order)
    else:
        by_hours = _by_hours(problem, order)
        pairs = []
        for start in range(0, len(by_hours), BLOCK):
            pairs += _max_weight_pairs(problem, by_hours[start : start + BLOCK])
        matched = {m for p in pairs for m in p}
        pairs += _max_weight_pairs(problem, [m for m in order if m not in matched])
    matched = {m for p in pairs for m in p}
    left = [m for m in order if m not in matched]
    groups: list[tuple[int, ...]] = list(pairs)
    best: tuple[tuple[int, int], int, int] | None = None  # (gain key, leftover, pair index)
    for u in left:
        for index, pair in enumerate(groups):
            trio_value = problem.group_value((*pair, u))
            pair_value = problem.group_value(pair)
            if trio_value is None or pair_value is None:
                continue
            gain = (1, trio_value - pair_value)
            if best is None or gain > best[0]:
                best = (gain, u, index)
    if best is not None:
        _, u, index = best
        groups[index] = (*groups[index], u)
    return groups


# --- sizes 3–4 on large pools: seeded local search ------------------------------------------------


def _local_search(problem: Problem, order: list[int]) -> list[tuple[int, ...]]:
    rng = random.Random(problem.seed)
    by_hours = _by_hours(problem, order)
    sizes = group_sizes(len(by_hours), problem.size)
    starts = [_windowed_greedy(problem, by_hours, sizes)]
    starts += [_cut(rng.sample(by_hours, len(by_hours)), sizes) for _ in range(RESTARTS if len(order) <= 80 else 0)]
    best: tuple[int, list[list[int]]] | None = None
    for start in starts:
        groups = [list(g) for g in start]
        total = _climb(problem, by_hours, groups, rng)
        if best is None or total > best[0]:
            best = (total, groups)
    assert best is not None
    groups = best[1]
    # Whatever the avoid lists still break: the member with most conflicts steps out, then may join a
    # group that has room and accepts them.
    out: list[int] = []
    for group in groups:
        while len(group) >= 2 and problem.group_value(group) is None:
            worst = max(group, key=lambda m: sum(not problem.compatible(m, o) for o in group if o != m))
            group.remove(worst)
            out.append(worst)
    for member in out:
        room = [g for g in groups if 2 <= len(g) < problem.size and problem.group_value([*g, member]) is not None]
        if room:
            min(room, key=len).append(member)
    return [tuple(g) for g in groups if len(g) >= 2]


def _windowed_greedy(problem: Problem, by_hours: list[int], sizes: tuple[int, ...]) -> list[tuple[int, ...]]:
    """A start for the climb: in working-hours order, each group's first free member takes the best
    partners among the next ``GREEDY_WINDOW`` free members (cheap, and close to a full greedy)."""
    free = dict.fromkeys(by_hours)
    groups: list[tuple[int, ...]] = []
    for k in sizes:
        first = next(iter(free))
        del free[first]
        group = [first]
        while len(group) < k:
            window = list(itertools.islice(free, GREEDY_WINDOW))
            pick = max(window, key=lambda m: sum((problem.value(m, o) or -PREVIOUS * 1000) for o in group))
            group.append(pick)
            del free[pick]
        groups.append(tuple(group))
    return groups


def _climb(problem: Problem, by_hours: list[int], groups: list[list[int]], rng: random.Random) -> int:
    """Hill-climbs ``groups`` in place by swapping two members (or moving one to a group one smaller,
    which keeps the sizes) while that improves the objective; returns the final value. Members whose
    group did not change since they were last looked at are not looked at again."""
    violation = PREVIOUS * 1000

    def cost(group: Sequence[int]) -> int:
        total = 0
        scale = 12 // (len(group) - 1)
        for a, b in itertools.combinations(group, 2):
            v = problem.value(a, b)
            total += scale * (v if v is not None else -violation)
        return total

    values = [cost(g) for g in groups]
    where = {m: gi for gi, g in enumerate(groups) for m in g}
    position = {m: i for i, m in enumerate(by_hours)}
    budget = LOCAL_SEARCH_TRIALS * len(by_hours)
    for _ in range(LOCAL_SEARCH_PASSES if len(groups) >= 2 else 0):
        # A pass looks at everyone (with fresh random candidates); it ends when nothing changed since.
        found = _climb_pass(by_hours, groups, values, where, position, cost, rng, budget)
        budget -= found[1]
        if not found[0] or budget <= 0:
            break
    return sum(values)


def _climb_pass(
    by_hours: list[int],
    groups: list[list[int]],
    values: list[int],
    where: dict[int, int],
    position: dict[int, int],
    cost: Callable[[Sequence[int]], int],
    rng: random.Random,
    budget: int,
) -> tuple[bool, int]:
    """One pass of the climb: everyone is looked at, then only members whose group just changed;
    (whether anything improved, trials used)."""
    n = len(by_hours)
    queue = collections.deque(by_hours)
    queued = set(queue)
    used = 0
    any_better = False
    while queue and used < budget:
        a = queue.popleft()
        queued.discard(a)
        if n <= SWAP_ALL_LIMIT:
            others = by_hours
        else:  # neighbours by working hours (where the good swaps are) and seeded random others
            pos = position[a]
            others = [by_hours[(pos + d) % n] for d in range(-SWAP_NEIGHBOURS, SWAP_NEIGHBOURS + 1)]
            others += rng.sample(by_hours, SWAP_RANDOM)
        for b in others:
            gi, gj = where[a], where[b]
            if gi == gj:
                continue
            used += 1
            improved = False
            i, j = groups[gi].index(a), groups[gj].index(b)
            groups[gi][i], groups[gj][j] = b, a
            new_i, new_j = cost(groups[gi]), cost(groups[gj])
            if new_i + new_j > values[gi] + values[gj]:
                values[gi], values[gj] = new_i, new_j
                where[a], where[b] = gj, gi
                improved = True
            else:
                groups[gi][i], groups[gj][j] = a, b
                if len(groups[gi]) == len(groups[gj]) + 1 and len(groups[gi]) > 2:
                    groups[gi].remove(a)
                    groups[gj].append(a)
                    new_i, new_j = cost(groups[gi]), cost(groups[gj])
                    if new_i + new_j > values[gi] + values[gj]:
                        values[gi], values[gj] = new_i, new_j
                        where[a] = gj
                        improved = True
                    else:
                        groups[gj].remove(a)
                        groups[gi].insert(i, a)
            if improved:
                any_better = True
                for member in (*groups[gi], *groups[gj]):
                    if member not in queued:
                        queue.append(member)
                        queued.add(member)
                break
    return any_better, used


# --- baselines (benchmarks) ---------------------------------------------------------------------


def shuffled(problem: Problem) -> list[tuple[int, ...]]:
    """A random shuffle cut into groups, as simple pairing bots do (avoid lists ignored)."""
    order = list(problem.members)
    random.Random(problem.seed).shuffle(order)
    return _cut(order, group_sizes(len(order), problem.size))


def greedy(problem: Problem) -> list[tuple[int, ...]]:
    """Each member in turn takes the best remaining compatible partner(s)."""
    order = list(problem.members)
    random.Random(problem.seed).shuffle(order)
    free = dict.fromkeys(order)
    groups: list[tuple[int, ...]] = []
    for k in group_sizes(len(order), problem.size):
        if not free:
            break
        group = [next(iter(free))]
        del free[group[0]]
        while len(group) < k and free:
            scored = [(sum(problem.value(m, o) or -PREVIOUS * 1000 for o in group), m) for m in free]
            _, pick = max(scored)
            group.append(pick)
            del free[pick]
        groups.append(tuple(group))
    return groups


def _cut(order: list[int], sizes: Iterable[int]) -> list[tuple[int, ...]]:
    groups, at = [], 0
    for k in sizes:
        groups.append(tuple(order[at : at + k]))
        at += k
    return groups
