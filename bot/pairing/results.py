"""What the pairing service hands to the cogs: plain frozen values, no database rows, no discord objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ScheduleView:
    circle_id: int
    circle_name: str
    weekday: int
    at_text: str  # "10:00"
    cadence: str
    size: int
    timezone: str
    next_round_at: datetime


@dataclass(frozen=True)
class MemberCard:
    """What the intro says about a member: from their /profile in this guild."""

    user_id: int
    timezone: str
    hours_text: str | None
    offers: str | None
    asks: str | None


@dataclass(frozen=True)
class GroupPlan:
    """One group of a claimed round and what is already done for it (checkpoints)."""

    group_id: int
    position: int
    members: tuple[MemberCard, ...]
    common_hours: tuple[tuple[datetime, datetime], ...]  # the next 24 hours when everyone works
    thread_id: int | None
    members_added: bool
    intro_message_id: int | None

    @property
    def user_ids(self) -> tuple[int, ...]:
        return tuple(m.user_id for m in self.members)


@dataclass(frozen=True)
class SatOut:
    user_id: int
    reason: str  # "snoozed", "away", "no compatible partner this round", "too few in the pool"


@dataclass(frozen=True)
class RoundClaim:
    round_id: int
    circle_id: int
    circle_name: str
    guild_id: int
    channel_id: int
    starts_at: datetime
    checkin_at: datetime
    ends_at: datetime
    claimed_at: datetime
    groups: tuple[GroupPlan, ...]
    sat_out: tuple[SatOut, ...]
    recovered: bool = False


@dataclass(frozen=True)
class Nudge:
    """A gentle "we miss you": to ``partner_ids``, about ``quiet_user_id``, in their private thread."""

    quiet_user_id: int
    partner_ids: tuple[int, ...]


@dataclass(frozen=True)
class CheckinGroup:
    group_id: int
    thread_id: int
    user_ids: tuple[int, ...]
    nudges: tuple[Nudge, ...]
    ends_at: datetime


@dataclass(frozen=True)
class GoalView:
    id: int
    user_id: int
    text: str
    due: date | None
    status: str
    outcome: str | None
    confirmed_by: int | None


@dataclass(frozen=True)
class CloseGroup:
    group_id: int
    thread_id: int
    user_ids: tuple[int, ...]
    goals: tuple[GoalView, ...]


@dataclass(frozen=True)
class CloseClaim:
    round_id: int
    groups: tuple[CloseGroup, ...]  # those still waiting for their "Did you meet?"
    recovered: bool  # taken over from a process that died half-way: look for messages it sent


@dataclass(frozen=True)
class GoalChange:
    goal: GoalView
    thread_id: int | None  # the member's current pair thread, for the "done" note


@dataclass(frozen=True)
class Partnership:
    """A member's current group in one circle (for /pair status)."""

    circle_id: int
    circle_name: str
    partners: tuple[MemberCard, ...]
    thread_id: int | None
    ends_at: datetime


@dataclass(frozen=True)
class PairStatus:
    partnerships: tuple[Partnership, ...]
    pool_circles: tuple[str, ...]
    snoozed_until: date | None
    next_rounds: tuple[tuple[str, datetime], ...]  # (circle name, when)


@dataclass(frozen=True)
class HistoryEntry:
    circle_name: str
    started_at: datetime
    partner_ids: tuple[int, ...]
    met: str  # "met (confirmed)", "met", "didn't meet", "no answer"
    goals_done: int
    goals_total: int


@dataclass(frozen=True)
class MetAnswer:
    group_id: int
    met: bool
    confirmed: bool  # a partner answered the same way
