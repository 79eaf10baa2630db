"""Hosts' side of standups: setting, pausing and skipping a circle's schedule (each change re-plans)."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actors import Actor
from bot.circles.models import Circle
from bot.circles.service import CircleView, require_host
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import OccurrenceStatus as Status
from bot.errors import Conflict, InvalidInput, NotFound
from bot.scheduling import PlanScope
from bot.standups import questions as q
from bot.standups.common import load_circle, schedule_view
from bot.standups.models import StandupOccurrence, StandupSchedule, StandupSkip
from bot.standups.planning import StandupPlanner
from bot.standups.results import ScheduleChange, ScheduleView
from bot.standups.schedule import default_reminder, local_day
from bot.timeparse import days_to_mask, parse_timezone


def parse_reminder(text: str | None, window_hours: int) -> int | None:
    """Minutes after opening, or ``off``; default 75 % of the window. Must fall inside the window."""
    if text is None or not text.strip():
        return default_reminder(window_hours)
    word = text.strip().lower()
    if word in ("off", "none", "no"):
        return None
    if not word.isdigit() or not 1 <= int(word) < window_hours * 60:
        raise InvalidInput(
            f"`reminder` is minutes after opening (1–{window_hours * 60 - 1} for a {window_hours} h window) or `off`."
        )
    return int(word)


class StandupSchedules:
    def __init__(self, db: Database, clock: Clock, planner: StandupPlanner) -> None:
        self.db = db
        self.clock = clock
        self.planner = planner

    async def set_schedule(
        self,
        actor: Actor,
        circle_id: int,
        *,
        open_time: time,
        days: frozenset[int],
        timezone: str | None = None,
        window_hours: int | None = None,
        reminder: str | None = None,
        questions: str | None = None,
    ) -> ScheduleChange:
        window = 8 if window_hours is None else window_hours
        if not 1 <= window <= 23:
            raise InvalidInput("`window_hours` must be from 1 to 23 hours (default 8).")
        reminder_minutes = parse_reminder(reminder, window)
        question_list = q.parse_questions(questions)
        tz = parse_timezone(timezone) if timezone else None
        async with self.db.transaction() as session:
            circle = await load_circle(session, actor.guild_id, circle_id)
            require_host(actor, CircleView.of(circle))
            row = await session.get(StandupSchedule, circle_id)
            if row is None:
                row = StandupSchedule(circle_id=circle_id, guild_id=actor.guild_id, paused=False)
                session.add(row)
            row.open_minute = open_time.hour * 60 + open_time.minute
            row.days_mask = days_to_mask(days)
            row.timezone = tz
            row.window_hours = window
            row.reminder_minutes = reminder_minutes
            row.questions = list(question_list)
            row.updated_at = self.clock.now()
            await session.flush()
            view = schedule_view(row, circle)
        return await self._replanned(view)

    async def set_paused(self, actor: Actor, circle_id: int, paused: bool) -> ScheduleChange:
        async with self.db.transaction() as session:
            circle = await load_circle(session, actor.guild_id, circle_id)
            require_host(actor, CircleView.of(circle))
            row = await self._schedule_row(session, circle)
            row.paused = paused
            row.updated_at = self.clock.now()
            view = schedule_view(row, circle)
        return await self._replanned(view)

    async def skip(self, actor: Actor, circle_id: int, day: date) -> ScheduleChange:
        async with self.db.transaction() as session:
            circle = await load_circle(session, actor.guild_id, circle_id)
            require_host(actor, CircleView.of(circle))
            view = schedule_view(await self._schedule_row(session, circle), circle)
            today = local_day(self.clock.now(), view.timezone)
            if day < today:
                raise InvalidInput("That day has passed. Give today or a later date.")
            if day > today + timedelta(days=366):
                raise InvalidInput("Skips can be set up to a year ahead.")
            held = await session.scalar(
                select(StandupOccurrence.status).where(
                    StandupOccurrence.circle_id == circle_id, StandupOccurrence.local_date == day
                )
            )
            if held is not None and held != Status.MISSED:
                raise Conflict(f"The standup of {day:%a %d %b} has already opened; it can't be skipped now.")
            if await session.get(StandupSkip, (circle_id, day)) is None:
                session.add(StandupSkip(circle_id=circle_id, local_date=day))
        return await self._replanned(view)

    async def get_schedule(self, guild_id: int, circle_id: int) -> ScheduleView | None:
        async with self.db.reader() as session:
            circle = await load_circle(session, guild_id, circle_id)
            row = await session.get(StandupSchedule, circle_id)
            return schedule_view(row, circle) if row else None

    async def _replanned(self, view: ScheduleView) -> ScheduleChange:
        # The next slot is worked out before planning: an opening due now may fire as soon as it is
        # planned, and would then hold today's slot by the time we looked.
        now = self.clock.now()
        slot = None if view.paused else await self.planner.next_slot(view, now)
        await self.planner.plan(PlanScope(owned_guilds=lambda _g: True, circle_id=view.circle_id))
        return ScheduleChange(
            view, slot.opens_at if slot else None, opens_now=slot is not None and slot.opens_at <= now
        )

    @staticmethod
    async def _schedule_row(session: AsyncSession, circle: Circle) -> StandupSchedule:
        row = await session.get(StandupSchedule, circle.id)
        if row is None:
            raise NotFound(f"**{circle.name}** has no standup yet. Set one up with `/standup schedule`.")
        return row
