"""The sprint timeline as data: phases from start, focus, break and rounds. Pure; no I/O.

A sprint of ``rounds`` rounds is focus 1, break 1, focus 2, … focus N, then the end (no break after
the last focus). A break of 0 minutes leaves the breaks out. Phase *changes* are numbered by the index
of the phase they start: index 0 is the first focus (the announcement itself), 1 … are the changes the
bot marks with a message, and the last index is the end. A stop ends the timeline early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.errors import InvalidInput

FOCUS_MIN, FOCUS_MAX, FOCUS_DEFAULT = 5, 180, 25
BREAK_MIN, BREAK_MAX, BREAK_DEFAULT = 0, 60, 5
ROUNDS_MIN, ROUNDS_MAX, ROUNDS_DEFAULT = 1, 12, 4


class PhaseKind(StrEnum):
    FOCUS = "focus"
    BREAK = "break"
    DONE = "done"


@dataclass(frozen=True)
class Plan:
    started_at: datetime
    focus_minutes: int = FOCUS_DEFAULT
    break_minutes: int = BREAK_DEFAULT
    rounds: int = ROUNDS_DEFAULT

    @property
    def ends_at(self) -> datetime:
        focus = self.rounds * self.focus_minutes
        breaks = (self.rounds - 1) * self.break_minutes
        return self.started_at + timedelta(minutes=focus + breaks)


@dataclass(frozen=True)
class Phase:
    index: int  # position in the timeline; the end is the last index
    kind: PhaseKind
    round: int  # 1-based; the end carries the last round
    starts_at: datetime
    ends_at: datetime | None  # None for the end

    @property
    def is_done(self) -> bool:
        return self.kind is PhaseKind.DONE


def validate(focus: int | None, break_: int | None, rounds: int | None) -> tuple[int, int, int]:
    """The sprint's lengths with defaults filled in, or an error naming what is accepted."""
    f = FOCUS_DEFAULT if focus is None else focus
    b = BREAK_DEFAULT if break_ is None else break_
    r = ROUNDS_DEFAULT if rounds is None else rounds
    if not FOCUS_MIN <= f <= FOCUS_MAX:
        raise InvalidInput(f"`focus` must be from {FOCUS_MIN} to {FOCUS_MAX} minutes (default {FOCUS_DEFAULT}).")
    if not BREAK_MIN <= b <= BREAK_MAX:
        raise InvalidInput(f"`break` must be from {BREAK_MIN} to {BREAK_MAX} minutes (default {BREAK_DEFAULT}).")
    if not ROUNDS_MIN <= r <= ROUNDS_MAX:
        raise InvalidInput(f"`rounds` must be from {ROUNDS_MIN} to {ROUNDS_MAX} (default {ROUNDS_DEFAULT}).")
    return f, b, r


def phases(plan: Plan) -> list[Phase]:
    """Every phase in order, ending with the end (DONE)."""
    out: list[Phase] = []
    at = plan.started_at
    focus, pause = timedelta(minutes=plan.focus_minutes), timedelta(minutes=plan.break_minutes)
    for round_no in range(1, plan.rounds + 1):
        out.append(Phase(len(out), PhaseKind.FOCUS, round_no, at, at + focus))
        at += focus
        if round_no < plan.rounds and plan.break_minutes > 0:
            out.append(Phase(len(out), PhaseKind.BREAK, round_no, at, at + pause))
            at += pause
    out.append(Phase(len(out), PhaseKind.DONE, plan.rounds, at, None))
    return out


def phase_at(plan: Plan, when: datetime) -> Phase:
    """The phase running at an instant (the first focus before the start, the end after it)."""
    current = phases(plan)[0]
    for phase in phases(plan):
        if phase.starts_at <= when:
            current = phase
        else:
            break
    return current


def changes_between(plan: Plan, after: datetime, upto: datetime) -> list[Phase]:
    """The phase changes that fall in (after, upto], in order (never the first focus: that is the start)."""
    return [p for p in phases(plan)[1:] if after < p.starts_at <= upto]


def next_change(plan: Plan, after: datetime) -> Phase | None:
    """The first phase change strictly after an instant; None once the sprint has ended."""
    for phase in phases(plan)[1:]:
        if phase.starts_at > after:
            return phase
    return None


@dataclass(frozen=True)
class CatchUp:
    """What to post at a phase change: the current phase, and the changes missed since the last post."""

    current: Phase
    missed: tuple[Phase, ...]  # changes after the last posted one and before ``current``
    late: bool  # the current phase started more than the grace before now


LATE_GRACE = timedelta(seconds=60)


def catch_up(plan: Plan, last_posted: int, now: datetime) -> CatchUp | None:
    """After a wake-up (on time, or late after a restart): post once for the current phase, saying in one
    line what was missed, or None when nothing after ``last_posted`` has started yet."""
    current = phase_at(plan, now)
    if current.index <= last_posted:
        return None
    missed = tuple(p for p in phases(plan) if last_posted < p.index < current.index)
    return CatchUp(current, missed, late=now - current.starts_at > LATE_GRACE or bool(missed))


def focus_intervals(plan: Plan, until: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """The focus phases as (start, end), cut at ``until`` (a stop)."""
    out: list[tuple[datetime, datetime]] = []
    for phase in phases(plan):
        if phase.kind is not PhaseKind.FOCUS or phase.ends_at is None:
            continue
        end = phase.ends_at if until is None else min(phase.ends_at, until)
        if end > phase.starts_at:
            out.append((phase.starts_at, end))
    return out


def focus_total(plan: Plan, until: datetime | None = None) -> timedelta:
    return sum((end - start for start, end in focus_intervals(plan, until)), timedelta())
