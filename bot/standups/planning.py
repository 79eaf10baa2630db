"""Which standup wake-ups the database implies: openings, reminders, closes and recoveries.

Planning runs for every owned circle after READY and for one circle after a change. It takes a handful
of queries whatever the number of circles, and records a standup whose whole window passed while the
bot was down as missed (never opened late).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.circles.models import Circle
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import LIVE, Claims
from bot.db.claims import OccurrenceStatus as Status
from bot.db.engine import insert_or_ignore
from bot.scheduling import PlanScope, Scheduler
from bot.standups.activities import StandupActivities
from bot.standups.answers import StandupAnswers
from bot.standups.common import SCHEDULE_COLUMNS, OpenStandup, schedule_view
from bot.standups.models import StandupOccurrence, StandupSchedule, StandupSkip
from bot.standups.results import ScheduleView
from bot.standups.schedule import ScheduleSpec, Slot, current_or_next, local_day, next_opening, slot_for
from bot.standups.wakeups import StandupClose, StandupOpening, StandupRecovery, StandupReminder, opening_job_id

MISSED_LOOKBACK_DAYS = 7
SUMMARY_RETRY_LIMIT = timedelta(days=1)


def occurrence_values(view: ScheduleView, slot: Slot) -> dict[str, Any]:
    """The columns of a new occurrence of this schedule's slot (the claim columns come from Claims)."""
    return {
        "circle_id": view.circle_id,
        "guild_id": view.guild_id,
        "local_date": slot.local_date,
        "opens_at": slot.opens_at,
        "closes_at": slot.closes_at,
        "reminder_at": slot.reminder_at,
        "questions": list(view.questions),
        "channel_id": 0,
        "excused": [],
    }


def upcoming(
    spec: ScheduleSpec, now: datetime, skips: frozenset[date], held: set[tuple[int, date]], circle_id: int
) -> Slot | None:
    """The slot to open next: the current window if it has no occurrence yet (catch-up), else the next."""
    slot = current_or_next(spec, now, skips)
    while slot is not None and (circle_id, slot.local_date) in held:
        slot = next_opening(spec, slot.opens_at, skips)
    return slot


class StandupPlanner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Scheduler,
        claims: Claims,
        answers: StandupAnswers,
        activities: StandupActivities,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.claims = claims
        self.answers = answers
        self.activities = activities

    async def plan(self, scope: PlanScope) -> None:
        """(Re)schedule every wake-up in scope with a handful of queries, whatever the number of circles."""
        now = self.clock.now()
        self.activities.forget(scope.circle_id)
        async with self.db.transaction() as session:
            query = select(*SCHEDULE_COLUMNS, Circle.guild_id.label("circle_guild")).join(
                Circle, Circle.id == StandupSchedule.circle_id
            )
            live_query = select(StandupOccurrence).where(StandupOccurrence.status.in_(LIVE))
            skip_query = select(StandupSkip).where(StandupSkip.local_date >= (now - timedelta(days=2)).date())
            recent_query = select(StandupOccurrence.circle_id, StandupOccurrence.local_date).where(
                StandupOccurrence.local_date >= (now - timedelta(days=MISSED_LOOKBACK_DAYS + 1)).date()
            )
            if scope.circle_id is not None:
                query = query.where(StandupSchedule.circle_id == scope.circle_id)
                live_query = live_query.where(StandupOccurrence.circle_id == scope.circle_id)
                skip_query = skip_query.where(StandupSkip.circle_id == scope.circle_id)
                recent_query = recent_query.where(StandupOccurrence.circle_id == scope.circle_id)
            schedules = [
                schedule_view(row)
                for row in (await session.execute(query)).all()
                if scope.covers(row.circle_guild, row.circle_id)
            ]
            live = [o for o in await session.scalars(live_query) if scope.owned_guilds(o.guild_id)]
            skips: dict[int, set[date]] = {}
            for skip in await session.scalars(skip_query):
                skips.setdefault(skip.circle_id, set()).add(skip.local_date)
            held: set[tuple[int, date]] = {(cid, day) for cid, day in (await session.execute(recent_query)).all()}

            unfinished = [o for o in live if o.status in (Status.CLAIMED, Status.CLOSING)]
            recovery = await self.claims.recovery_times(session, unfinished)
            for occurrence in live:
                self._plan_occurrence(occurrence, recovery.get(occurrence.id))
                if occurrence.status == Status.OPEN and occurrence.thread_id is not None:
                    self.answers.remember_open(OpenStandup.of(occurrence))
            planned = {s.circle_id for s in schedules}
            if scope.circle_id is not None and scope.circle_id not in planned:
                self.scheduler.cancel(opening_job_id(scope.circle_id))
            missed: list[dict[str, Any]] = []
            for view in schedules:
                circle_skips = frozenset(skips.get(view.circle_id, ()))
                missed += self._missed(view, now, circle_skips, held)
                slot = None if view.paused else upcoming(view.spec, now, circle_skips, held, view.circle_id)
                if slot is None:
                    self.scheduler.cancel(opening_job_id(view.circle_id))
                else:
                    self.scheduler.at(StandupOpening(view.circle_id, slot.local_date), max(slot.opens_at, now))
            if missed:
                # One statement for all of them (after downtime that may be every circle); a claim that
                # raced us to a row keeps it.
                statement = insert_or_ignore(self.db, StandupOccurrence, ["circle_id", "local_date"])
                await session.execute(statement, missed)

    def _missed(
        self, view: ScheduleView, now: datetime, skips: frozenset[date], held: set[tuple[int, date]]
    ) -> list[dict[str, Any]]:
        """A standup whose whole window passed while the bot was down is recorded, never opened late."""
        if view.paused:
            return []
        today = local_day(now, view.timezone)
        for back in range(MISSED_LOOKBACK_DAYS + 1):
            day = today - timedelta(days=back)
            if day.weekday() not in view.days or day in skips:
                continue
            slot = slot_for(view.spec, day)
            if slot.closes_at > now:
                continue
            # A slot from before the schedule was last set was never promised, so it is not "missed".
            if (view.circle_id, day) not in held and slot.opens_at >= view.updated_at:
                held.add((view.circle_id, day))
                return [{**occurrence_values(view, slot), **self.claims.stamp(Status.MISSED)}]
            return []  # only the latest passed slot: older gaps are history, not news
        return []

    def _plan_occurrence(self, occurrence: StandupOccurrence, recover_at: datetime | None) -> None:
        now = self.clock.now()
        if occurrence.status == Status.CLOSING:
            if now - occurrence.closes_at > SUMMARY_RETRY_LIMIT:
                return  # Discord has refused this summary for a day: stop trying (answers stay refused)
            assert recover_at is not None
            self.scheduler.at(StandupClose(occurrence.id), max(recover_at, now))
            return
        if occurrence.status == Status.CLAIMED:
            # A claim never finished (crash between claim and post): recover it once its holder is gone.
            assert recover_at is not None
            wake = StandupRecovery(occurrence.circle_id, occurrence.local_date, occurrence.id)
            self.scheduler.at(wake, max(recover_at, now))
            return
        if occurrence.reminder_at is not None and occurrence.reminder_sent_at is None:
            self.scheduler.at(StandupReminder(occurrence.id), occurrence.reminder_at)
        self.scheduler.at(StandupClose(occurrence.id), occurrence.closes_at)

    async def next_slot(self, view: ScheduleView, after: datetime) -> Slot | None:
        async with self.db.reader() as session:
            skips = frozenset(
                await session.scalars(
                    select(StandupSkip.local_date).where(
                        StandupSkip.circle_id == view.circle_id, StandupSkip.local_date >= after.date() - timedelta(1)
                    )
                )
            )
            held = {
                (view.circle_id, d)
                for d in await session.scalars(
                    select(StandupOccurrence.local_date).where(
                        StandupOccurrence.circle_id == view.circle_id,
                        StandupOccurrence.local_date >= after.date() - timedelta(1),
                    )
                )
            }
        return upcoming(view.spec, after, skips, held, view.circle_id)
