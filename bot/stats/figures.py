"""Circle figures: the cooperative goal, the leaderboard and the weekly digest's numbers. Pure; no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.stats.days import monday_of

# The cooperative goal: there is no command to set it (SPEC has none), so the target is a rule written
# in docs/STATS.md: two focus hours a week per member, and never less than five hours for the circle.
GOAL_HOURS_PER_MEMBER = 2
GOAL_MIN_HOURS = 5
LEADERBOARD_SIZE = 10
STREAKS_SHOWN = 3

# The digest: Monday 09:00 circle time; after downtime over the slot it is posted late until 12 hours
# after the slot (Monday 21:00), and recorded as missed after that (a digest on Tuesday reads as noise).
DIGEST_WEEKDAY = 0
DIGEST_TIME = time(9, 0)
DIGEST_LATE_LIMIT = timedelta(hours=12)


def goal_target_hours(member_count: int) -> int:
    return max(GOAL_MIN_HOURS, GOAL_HOURS_PER_MEMBER * member_count)


@dataclass(frozen=True)
class GoalBar:
    hours: float
    target_hours: int

    @property
    def fraction(self) -> float:
        return min(1.0, self.hours / self.target_hours) if self.target_hours else 0.0

    @property
    def reached(self) -> bool:
        return self.hours >= self.target_hours

    def text(self, width: int = 20) -> str:
        """``▰▰▰▰▱▱▱… 12.5 / 20 h``: a bar screen readers can skip, then the figures."""
        filled = round(self.fraction * width)
        return f"{'▰' * filled}{'▱' * (width - filled)} {self.hours:.1f} / {self.target_hours} h"


@dataclass(frozen=True)
class Ranked:
    user_id: int
    value: int  # focus minutes on a leaderboard, standups in a streak


def leaderboard(minutes_by_member: Mapping[int, int], hidden: set[int], size: int = LEADERBOARD_SIZE) -> list[Ranked]:
    """The top members by focus minutes: only those with time, never those who hid themselves.
    Ties are broken by user id so the order is stable; there is no bottom list."""
    ranked = [Ranked(uid, mins) for uid, mins in minutes_by_member.items() if mins > 0 and uid not in hidden]
    ranked.sort(key=lambda r: (-r.value, r.user_id))
    return ranked[:size]


def digest_slot(week_monday: date, zone: ZoneInfo) -> datetime:
    """Monday 09:00 in the circle's zone, as UTC."""
    return datetime.combine(week_monday, DIGEST_TIME, tzinfo=zone).astimezone(UTC)


def current_digest_monday(now: datetime, zone: ZoneInfo) -> date:
    return monday_of(now.astimezone(zone).date())


@dataclass(frozen=True)
class DigestFigures:
    week_monday: date  # the Monday of the week the digest reports on (the one that just ended)
    minutes: int
    previous_minutes: int
    daily_minutes: tuple[int, ...]  # Monday … Sunday of the reported week
    previous_daily_minutes: tuple[int, ...]
    standups_held: int
    answers: int
    expected_answers: int
    goals_done: int
    streaks: tuple[Ranked, ...]  # longest current standup streaks (visible members), in standups
    new_members: tuple[int, ...]  # user ids of members who joined that week, by join time
    members: int

    @property
    def response_rate(self) -> float | None:
        return min(1.0, self.answers / self.expected_answers) if self.expected_answers else None

    @property
    def change_percent(self) -> int | None:
        if self.previous_minutes == 0:
            return None
        return round((self.minutes - self.previous_minutes) * 100 / self.previous_minutes)


def longest_streaks(streaks: Mapping[int, int], hidden: set[int], size: int = STREAKS_SHOWN) -> tuple[Ranked, ...]:
    top = [Ranked(uid, n) for uid, n in streaks.items() if n > 0 and uid not in hidden]
    top.sort(key=lambda r: (-r.value, r.user_id))
    return tuple(top[:size])


def daily(minutes_by_day: Mapping[date, int], monday: date) -> tuple[int, ...]:
    return tuple(int(minutes_by_day.get(monday + timedelta(days=i), 0)) for i in range(7))


def expected_answers(
    member_joins: Mapping[int, datetime], occurrences: Sequence[tuple[datetime, Sequence[int]]]
) -> int:
    """Answers a held standup could have had: members who had joined by its opening and were not away."""
    return sum(
        1
        for opens_at, excused in occurrences
        for uid, joined in member_joins.items()
        if joined <= opens_at and uid not in excused
    )
