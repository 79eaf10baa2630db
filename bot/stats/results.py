"""What the stats services hand to the cogs: frozen plain values, no rows, no Discord."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.stats.days import Period
from bot.stats.figures import DigestFigures, GoalBar, Ranked
from bot.stats.heatmap import HeatMap


@dataclass(frozen=True)
class MemberStats:
    guild_id: int
    user_id: int
    timezone: str
    period: Period
    since: date | None  # the first local day counted (None: all)
    today: date
    focus_minutes: int  # time in circle rooms and in sprints joined, overlaps once
    sprint_minutes: int  # focus minutes sprints credited (breaks excluded)
    sprints_joined: int
    streak: int  # current standup streak, in the member's best circle
    goals_done: int
    heatmap: HeatMap  # always the last 12 weeks, whatever the period


@dataclass(frozen=True)
class WeekBar:
    label: str  # the week's Monday, e.g. "7 Sep"
    hours: float


@dataclass(frozen=True)
class CircleStats:
    guild_id: int
    circle_id: int
    circle_name: str
    timezone: str
    period: Period
    since: date | None
    today: date
    focus_minutes: int
    active_members: int  # members with any focus time in the period
    members: int
    sprints: int
    standups_held: int
    answers: int
    goals_done: int
    goal: GoalBar  # this ISO week, circle time
    leaderboard: tuple[Ranked, ...]
    weeks: tuple[WeekBar, ...]  # the last 12 weeks, for the chart


@dataclass(frozen=True)
class Timesheet:
    timezone: str
    first: date
    last: date
    rows: int
    voice_minutes: int
    sprint_minutes: int
    sessions_csv: str
    totals_csv: str
    tags: int  # distinct (week, tag) totals

    @property
    def filename_stub(self) -> str:
        return f"cowork-{self.first.isoformat()}-to-{self.last.isoformat()}"


@dataclass(frozen=True)
class DigestClaim:
    """A weekly digest this process won: render, post once, record."""

    digest_id: int
    guild_id: int
    circle_id: int
    circle_name: str
    channel_id: int
    iso_week: str
    slot_at: datetime
    late: bool
    recovered: bool  # taken over from a process that died half-way: look for its message first
    figures: DigestFigures
