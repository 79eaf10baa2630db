"""Plain results the standup service hands to the cog (frozen dataclasses; no discord, no ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from bot.standups.schedule import ScheduleSpec, Slot


@dataclass(frozen=True)
class ScheduleView:
    circle_id: int
    guild_id: int
    circle_name: str
    open_time: time
    days: frozenset[int]
    timezone: str  # effective: the schedule's own, else the circle's
    follows_circle_timezone: bool
    window_hours: int
    reminder_minutes: int | None
    questions: tuple[str, ...]
    paused: bool
    updated_at: datetime

    @property
    def spec(self) -> ScheduleSpec:
        return ScheduleSpec(self.open_time, self.days, self.timezone, self.window_hours, self.reminder_minutes)


@dataclass(frozen=True)
class ScheduleChange:
    schedule: ScheduleView
    next_opens_at: datetime | None
    opens_now: bool = False  # today's window is open and has no standup yet: it opens right away


@dataclass(frozen=True)
class OpeningClaim:
    """The right (and duty) to open one standup. ``thread_id`` is set when recovering a half-done opening."""

    occurrence_id: int
    circle_id: int
    circle_name: str
    guild_id: int
    channel_id: int
    local_date: date
    opens_at: datetime
    closes_at: datetime
    reminder_at: datetime | None
    questions: tuple[str, ...]
    thread_id: int | None
    message_id: int | None
    next_opening: Slot | None  # worked out while claiming, so opening needs no planning queries
    recovered: bool = False  # taken over from a claimer that died: parts of the opening may already exist


@dataclass(frozen=True)
class ReminderClaim:
    occurrence_id: int
    thread_id: int
    closes_at: datetime
    user_ids: tuple[int, ...]  # who to mention: members who have not answered, are not away, want reminders


@dataclass(frozen=True)
class BlockerLink:
    user_id: int
    message_id: int | None
    text: str


@dataclass(frozen=True)
class CloseSummary:
    occurrence_id: int
    circle_id: int
    guild_id: int
    circle_name: str
    channel_id: int
    thread_id: int | None
    local_date: date
    answered: tuple[int, ...]  # user ids, in answer order
    expected: int
    blockers: tuple[BlockerLink, ...]
    streaks: dict[int, int]
    next_opens_at: datetime | None


@dataclass(frozen=True)
class AnswerForm:
    """What the modal needs: questions, the member's current answers when editing, yesterday's plan."""

    occurrence_id: int
    local_date: date
    questions: tuple[str, ...]
    current: tuple[str, ...] | None
    yesterday_plan: str | None
    closes_at: datetime
    focused: tuple[int, int] | None = None  # focus minutes and sprints since the previous answer (bot.focus)


@dataclass(frozen=True)
class AnswerPosted:
    answer_id: int
    occurrence_id: int
    guild_id: int
    thread_id: int
    user_id: int
    questions: tuple[str, ...]
    answers: tuple[str, ...]
    blocker: bool
    previous_message_id: int | None  # set when editing: that message is replaced


@dataclass(frozen=True)
class HistoryEntry:
    circle_name: str
    local_date: date
    questions: tuple[str, ...]
    answers: tuple[str, ...]
    blocker: bool
