"""What the focus services hand to the cogs: frozen plain values, no rows, no Discord."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.focus.timeline import CatchUp, Phase, Plan

FINISH_ANSWERS = ("yes", "partly", "no")


@dataclass(frozen=True)
class SprintView:
    id: int
    guild_id: int
    circle_id: int | None
    circle_name: str
    channel_id: int
    voice_channel_id: int
    starter_user_id: int | None
    plan: Plan
    status: str  # running, ended, stopped
    ended_at: datetime | None
    message_id: int | None


@dataclass(frozen=True)
class ParticipantView:
    user_id: int
    intention: str | None
    tag: str | None
    present: bool  # in the room now, or joined by button/command and not left
    focus_minutes: int


@dataclass(frozen=True)
class SprintCard:
    """A sprint as its announcement embed and `/sprint status` show it."""

    sprint: SprintView
    phase: Phase
    participants: tuple[ParticipantView, ...]

    @property
    def present_ids(self) -> tuple[int, ...]:
        return tuple(p.user_id for p in self.participants if p.present)


@dataclass(frozen=True)
class SprintStarted:
    card: SprintCard
    defaulted_intention: bool  # the intention came from today's standup


@dataclass(frozen=True)
class Joined:
    card: SprintCard
    intention: str | None
    tag: str | None
    defaulted_intention: bool


@dataclass(frozen=True)
class PhaseClaim:
    """A phase change this process won: post one short message, edit the announcement."""

    change_id: int
    card: SprintCard
    catch_up: CatchUp
    recovered: bool  # taken over from a process that died half-way
    # The sprint's last message recorded before this claim: a recovery looks for its own message after it.
    after_message_id: int | None = None


@dataclass(frozen=True)
class Recap:
    change_id: int
    sprint: SprintView
    participants: tuple[ParticipantView, ...]
    stopped_by: int | None  # None: it ran to its end
    late: bool
    recovered: bool = False
    after_message_id: int | None = None


@dataclass(frozen=True)
class FinishRecorded:
    sprint_id: int
    answer: str


@dataclass(frozen=True)
class SprintScheduleView:
    circle_id: int
    circle_name: str
    days: frozenset[int]
    start_minute: int
    timezone: str
    focus_minutes: int
    break_minutes: int
    rounds: int
    next_at: datetime | None


@dataclass(frozen=True)
class HeadsUp:
    slot_row_id: int
    circle_name: str
    channel_id: int
    voice_channel_id: int | None
    slot_at: datetime
    plan: Plan


@dataclass(frozen=True)
class FocusSince:
    """For the standup form: what a member focused on since a moment."""

    minutes: int
    sprints: int
