"""What the standup modules share: occurrence statuses, the schedule view of a row, loading a circle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.circles.models import Circle
from bot.errors import NotFound
from bot.standups.models import StandupOccurrence, StandupSchedule
from bot.standups.results import ScheduleView
from bot.timeparse import mask_to_days


@dataclass(frozen=True)
class OpenStandup:
    """What answering needs to know about an open standup, kept in memory by the process that opened it."""

    occurrence_id: int
    circle_id: int
    guild_id: int
    closes_at: datetime
    thread_id: int
    questions: tuple[str, ...]

    @classmethod
    def of(cls, row: StandupOccurrence) -> OpenStandup:
        assert row.thread_id is not None
        return cls(row.id, row.circle_id, row.guild_id, row.closes_at, row.thread_id, tuple(row.questions))


def schedule_view(row: StandupSchedule | Any, circle: Circle | None = None) -> ScheduleView:
    """The view of a schedule row with its circle's: ORM objects, or one row of ``SCHEDULE_COLUMNS``
    (planning reads thousands at start-up, where building ORM objects was most of the time)."""
    if circle is not None:
        name, circle_timezone = circle.name, circle.timezone
    else:
        joined: Any = row  # a row of SCHEDULE_COLUMNS
        name, circle_timezone = joined.circle_name, joined.circle_timezone
    return ScheduleView(
        circle_id=row.circle_id,
        guild_id=row.guild_id,
        circle_name=name,
        open_time=time(row.open_minute // 60, row.open_minute % 60),
        days=mask_to_days(row.days_mask),
        timezone=row.timezone or circle_timezone,
        follows_circle_timezone=row.timezone is None,
        window_hours=row.window_hours,
        reminder_minutes=row.reminder_minutes,
        questions=tuple(row.questions),
        paused=row.paused,
        updated_at=row.updated_at,
    )


# A schedule with what its view needs of the circle, as plain columns (join on the circle).
SCHEDULE_COLUMNS = (
    *StandupSchedule.__table__.columns,
    Circle.name.label("circle_name"),
    Circle.timezone.label("circle_timezone"),
)


async def load_circle(session: AsyncSession, guild_id: int, circle_id: int) -> Circle:
    circle = await session.get(Circle, circle_id)
    # Another guild's circle reads exactly like a missing one: nothing leaks across guilds.
    if circle is None or circle.guild_id != guild_id:
        raise NotFound("That circle does not exist (any more). `/circle list` shows the circles here.")
    return circle
