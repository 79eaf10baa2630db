"""Standup use cases: schedules, planning, exactly-once openings, the reminder and the close.

Members' answers live in ``bot/standups/answers.py`` (``StandupService.answers``).

Exactly once: every wake-up first *claims* its step in the database (a unique occurrence row for the
opening; a conditional UPDATE for the reminder and the close) and only the winner talks to Discord. The
claim commits before anything is sent, so restarts, retries and several processes cannot double a post.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actors import Actor
from bot.circles.activity import Activity
from bot.circles.models import Circle, CircleMember
from bot.circles.service import CircleService, CircleView, require_host
from bot.clock import Clock
from bot.db import Database
from bot.db.engine import insert_or_ignore
from bot.errors import Conflict, InvalidInput, NotFound
from bot.profiles.service import ProfileService
from bot.scheduling import PlanScope, Scheduler
from bot.standups import questions as q
from bot.standups.answers import StandupAnswers, member_streak
from bot.standups.common import (
    CLAIM_LEASE,
    LIVE,
    STATUS_CLAIMED,
    STATUS_CLOSED,
    STATUS_CLOSING,
    STATUS_MISSED,
    STATUS_OPEN,
    OpenStandup,
    load_circle,
    schedule_view,
)
from bot.standups.models import StandupAnswer, StandupOccurrence, StandupSchedule, StandupSkip
from bot.standups.schedule import (
    ScheduleSpec,
    Slot,
    current_or_next,
    default_reminder,
    local_day,
    next_opening,
    slot_for,
)
from bot.standups.views import (
    BlockerLink,
    CloseSummary,
    OpeningClaim,
    ReminderClaim,
    ScheduleChange,
    ScheduleView,
)
from bot.timeparse import days_to_mask, format_days, format_hhmm, parse_timezone

OPEN_HANDLER = "standup.open"
REMIND_HANDLER = "standup.remind"
CLOSE_HANDLER = "standup.close"
MISSED_LOOKBACK_DAYS = 7
SUMMARY_RETRY_LIMIT = timedelta(days=1)
# Hot writes of an opening, built once (Database.write).
RECORD_THREAD = (
    update(StandupOccurrence)
    .where(StandupOccurrence.id == bindparam("occurrence"))
    .values(thread_id=bindparam("thread"))
)
MARK_OPEN = (
    update(StandupOccurrence)
    .where(StandupOccurrence.id == bindparam("occurrence"))
    .values(message_id=bindparam("message"), status=STATUS_OPEN, reminder_at=bindparam("reminder"))
)


def open_job_id(circle_id: int) -> str:
    return f"standup-open:{circle_id}"


def recover_job_id(occurrence_id: int) -> str:
    return f"standup-recover:{occurrence_id}"


def remind_job_id(occurrence_id: int) -> str:
    return f"standup-remind:{occurrence_id}"


def close_job_id(occurrence_id: int) -> str:
    return f"standup-close:{occurrence_id}"


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


class StandupService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Scheduler,
        circles: CircleService,
        profiles: ProfileService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.circles = circles
        self.profiles = profiles
        self.answers = StandupAnswers(db, clock, circles, profiles)
        # Schedules as activities() shows them, dropped whenever planning runs for their circle.
        self._schedules: dict[int, tuple[ScheduleView, frozenset[date]] | None] = {}
        # What activities() last showed for a circle, reused until its next opening has passed.
        self._shown: dict[int, Activity] = {}

    # ----- host: schedules -------------------------------------------------------------------------

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
            require_host(actor, self._circle_view(circle))
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
            require_host(actor, self._circle_view(circle))
            row = await self._schedule_row(session, circle)
            row.paused = paused
            row.updated_at = self.clock.now()
            view = schedule_view(row, circle)
        return await self._replanned(view)

    async def skip(self, actor: Actor, circle_id: int, day: date) -> ScheduleChange:
        async with self.db.transaction() as session:
            circle = await load_circle(session, actor.guild_id, circle_id)
            require_host(actor, self._circle_view(circle))
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
            if held is not None and held != STATUS_MISSED:
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
        await self.plan(PlanScope(owned_guilds=lambda _g: True, circle_id=view.circle_id))
        now = self.clock.now()
        slot = None if view.paused else await self._next_slot(view, now)
        return ScheduleChange(
            view, slot.opens_at if slot else None, opens_now=slot is not None and slot.opens_at <= now
        )

    # ----- planning: which wake-ups the database implies ------------------------------------------------

    async def plan(self, scope: PlanScope) -> None:
        """(Re)schedule every wake-up in scope with a handful of queries, whatever the number of circles."""
        now = self.clock.now()
        # Planning follows every schedule or circle change: what activities() cached is stale now.
        if scope.circle_id is None:
            self._schedules.clear()
            self._shown.clear()
        else:
            self._schedules.pop(scope.circle_id, None)
            self._shown.pop(scope.circle_id, None)
        async with self.db.transaction() as session:
            query = select(StandupSchedule, Circle).join(Circle, Circle.id == StandupSchedule.circle_id)
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
                schedule_view(row, circle)
                for row, circle in (await session.execute(query)).all()
                if scope.covers(circle.guild_id, circle.id)
            ]
            live = [o for o in await session.scalars(live_query) if scope.owned_guilds(o.guild_id)]
            skips: dict[int, set[date]] = {}
            for skip in await session.scalars(skip_query):
                skips.setdefault(skip.circle_id, set()).add(skip.local_date)
            held: set[tuple[int, date]] = {(cid, day) for cid, day in (await session.execute(recent_query)).all()}

            for occurrence in live:
                self._plan_occurrence(occurrence)
                if occurrence.status == STATUS_OPEN and occurrence.thread_id is not None:
                    self.answers.remember_open(OpenStandup.of(occurrence))
            planned = {s.circle_id for s in schedules}
            if scope.circle_id is not None and scope.circle_id not in planned:
                self.scheduler.cancel(open_job_id(scope.circle_id))
            for view in schedules:
                circle_skips = frozenset(skips.get(view.circle_id, ()))
                self._record_missed(session, view, now, circle_skips, held)
                slot = None if view.paused else self._upcoming(view.spec, now, circle_skips, held, view.circle_id)
                if slot is None:
                    self.scheduler.cancel(open_job_id(view.circle_id))
                else:
                    self.scheduler.at(
                        open_job_id(view.circle_id),
                        max(slot.opens_at, now),
                        OPEN_HANDLER,
                        circle_id=view.circle_id,
                        local_date=slot.local_date.isoformat(),
                    )

    @staticmethod
    def _upcoming(
        spec: ScheduleSpec, now: datetime, skips: frozenset[date], held: set[tuple[int, date]], circle_id: int
    ) -> Slot | None:
        """The slot to open next: the current window if it has no occurrence yet (catch-up), else the next."""
        slot = current_or_next(spec, now, skips)
        while slot is not None and (circle_id, slot.local_date) in held:
            slot = next_opening(spec, slot.opens_at, skips)
        return slot

    def _record_missed(
        self,
        session: AsyncSession,
        view: ScheduleView,
        now: datetime,
        skips: frozenset[date],
        held: set[tuple[int, date]],
    ) -> None:
        """A standup whose whole window passed while the bot was down is recorded, never opened late."""
        if view.paused:
            return
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
                session.add(StandupOccurrence(**self._occurrence_values(view, slot, STATUS_MISSED, now)))
                held.add((view.circle_id, day))
            return  # only the latest passed slot: older gaps are history, not news

    def _plan_occurrence(self, occurrence: StandupOccurrence) -> None:
        if occurrence.status == STATUS_CLOSING:
            assert occurrence.closed_at is not None
            if self.clock.now() - occurrence.closes_at > SUMMARY_RETRY_LIMIT:
                return  # Discord has refused this summary for a day: stop trying (answers stay refused)
            self.scheduler.at(
                close_job_id(occurrence.id),
                max(occurrence.closed_at + CLAIM_LEASE, self.clock.now()),
                CLOSE_HANDLER,
                occurrence_id=occurrence.id,
            )
            return
        if occurrence.status == STATUS_CLAIMED:
            # A claim never finished (crash between claim and post): wake up after the lease to recover it.
            self.scheduler.at(
                recover_job_id(occurrence.id),
                max(occurrence.claimed_at + CLAIM_LEASE, self.clock.now()),
                OPEN_HANDLER,
                circle_id=occurrence.circle_id,
                local_date=occurrence.local_date.isoformat(),
            )
            return
        if occurrence.reminder_at is not None and occurrence.reminder_sent_at is None:
            self.scheduler.at(
                remind_job_id(occurrence.id), occurrence.reminder_at, REMIND_HANDLER, occurrence_id=occurrence.id
            )
        self.scheduler.at(close_job_id(occurrence.id), occurrence.closes_at, CLOSE_HANDLER, occurrence_id=occurrence.id)

    async def _next_slot(self, view: ScheduleView, after: datetime) -> Slot | None:
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
        return self._upcoming(view.spec, after, skips, held, view.circle_id)

    @staticmethod
    def _occurrence_values(view: ScheduleView, slot: Slot, status: str, now: datetime) -> dict[str, Any]:
        return {
            "circle_id": view.circle_id,
            "guild_id": view.guild_id,
            "local_date": slot.local_date,
            "opens_at": slot.opens_at,
            "closes_at": slot.closes_at,
            "reminder_at": slot.reminder_at,
            "questions": list(view.questions),
            "status": status,
            "claimed_at": now,
            "channel_id": 0,
            "excused": [],
        }

    # ----- wake-ups: claim, then (only the winner) talk to Discord -------------------------------------------

    async def claim_opening(self, circle_id: int, local_date: date) -> OpeningClaim | None:
        """Claim the standup of (circle, day). None when it is not due, or someone else has it.

        This is the hot path when many circles open in the same minute: one read (schedule, circle and
        any skip together) and one INSERT … ON CONFLICT DO NOTHING that is the claim itself.
        """
        now = self.clock.now()
        async with self.db.transaction() as session:
            found = (
                await session.execute(
                    select(StandupSchedule, Circle, StandupSkip.local_date)
                    .join(Circle, Circle.id == StandupSchedule.circle_id)
                    .outerjoin(
                        StandupSkip,
                        (StandupSkip.circle_id == StandupSchedule.circle_id) & (StandupSkip.local_date == local_date),
                    )
                    .where(StandupSchedule.circle_id == circle_id)
                )
            ).first()
            if found is None:
                return None
            row, circle, skipped = found
            view = schedule_view(row, circle)
            if view.paused or skipped is not None or local_date.weekday() not in view.days:
                return await self._recover(session, circle_id, local_date, now)
            slot = slot_for(view.spec, local_date)
            if now < slot.opens_at - timedelta(minutes=1):
                return None  # woken early (clock change): the planner will wake us again
            late = now >= slot.closes_at
            values = self._occurrence_values(view, slot, STATUS_MISSED if late else STATUS_CLAIMED, now)
            values["channel_id"] = circle.channel_id
            inserted = await session.scalar(
                insert_or_ignore(self.db, StandupOccurrence, ["circle_id", "local_date"])
                .values(**values)
                .returning(StandupOccurrence.id)
            )
            if inserted is None:
                return await self._recover(session, circle_id, local_date, now)
            if late:
                return None
            return OpeningClaim(
                occurrence_id=inserted,
                circle_id=circle.id,
                circle_name=circle.name,
                guild_id=circle.guild_id,
                channel_id=circle.channel_id,
                local_date=local_date,
                opens_at=slot.opens_at,
                closes_at=slot.closes_at,
                reminder_at=slot.reminder_at,
                questions=view.questions,
                thread_id=None,
                message_id=None,
                next_opening=next_opening(view.spec, slot.opens_at),
            )

    async def _recover(
        self, session: AsyncSession, circle_id: int, local_date: date, now: datetime
    ) -> OpeningClaim | None:
        """Take over an opening whose claimer died before posting, once its lease has run out."""
        existing = await session.scalar(
            select(StandupOccurrence).where(
                StandupOccurrence.circle_id == circle_id, StandupOccurrence.local_date == local_date
            )
        )
        if existing is None or existing.status != STATUS_CLAIMED or existing.claimed_at > now - CLAIM_LEASE:
            return None
        if now >= existing.closes_at:
            existing.status = STATUS_MISSED
            return None
        taken = await session.execute(
            update(StandupOccurrence)
            .where(StandupOccurrence.id == existing.id, StandupOccurrence.claimed_at == existing.claimed_at)
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) != 1:
            return None
        circle = await session.get(Circle, circle_id)
        assert circle is not None
        return OpeningClaim(
            occurrence_id=existing.id,
            circle_id=circle.id,
            circle_name=circle.name,
            guild_id=circle.guild_id,
            channel_id=existing.channel_id or circle.channel_id,
            local_date=existing.local_date,
            opens_at=existing.opens_at,
            closes_at=existing.closes_at,
            reminder_at=existing.reminder_at,
            questions=tuple(existing.questions),
            thread_id=existing.thread_id,
            message_id=existing.message_id,
            next_opening=None,  # the planner works it out after this opening
            recovered=True,
        )

    async def record_thread(self, occurrence_id: int, thread_id: int) -> None:
        """Remember the thread as soon as it exists, so a crash after this point reuses it."""
        await self.db.write(RECORD_THREAD, {"occurrence": occurrence_id, "thread": thread_id})

    async def mark_open(self, claim: OpeningClaim, thread_id: int, message_id: int) -> None:
        """The opening message is out: the standup is open. Plans its reminder, its close and the next one."""
        now = self.clock.now()
        reminder_at = claim.reminder_at
        if reminder_at is not None and reminder_at <= now:
            # Opened late (after downtime): the nudge comes at 75 % of what is left, not right away.
            reminder_at = now + (claim.closes_at - now) * 3 / 4
        await self.db.write(
            MARK_OPEN, {"occurrence": claim.occurrence_id, "message": message_id, "reminder": reminder_at}
        )
        occurrence = claim.occurrence_id
        self.answers.remember_open(
            OpenStandup(occurrence, claim.circle_id, claim.guild_id, claim.closes_at, thread_id, claim.questions)
        )
        if reminder_at is not None:
            self.scheduler.at(remind_job_id(occurrence), reminder_at, REMIND_HANDLER, occurrence_id=occurrence)
        self.scheduler.at(close_job_id(occurrence), claim.closes_at, CLOSE_HANDLER, occurrence_id=occurrence)
        if claim.next_opening is None:
            await self.plan(PlanScope(owned_guilds=lambda _g: True, circle_id=claim.circle_id))
        else:
            # Skips are not consulted here: a wake-up on a skipped day finds the skip and re-plans.
            self.scheduler.at(
                open_job_id(claim.circle_id),
                claim.next_opening.opens_at,
                OPEN_HANDLER,
                circle_id=claim.circle_id,
                local_date=claim.next_opening.local_date.isoformat(),
            )

    async def claim_reminder(self, occurrence_id: int) -> ReminderClaim | None:
        now = self.clock.now()
        async with self.db.transaction() as session:
            claimed = await session.execute(
                update(StandupOccurrence)
                .where(
                    StandupOccurrence.id == occurrence_id,
                    StandupOccurrence.status == STATUS_OPEN,
                    StandupOccurrence.reminder_sent_at.is_(None),
                )
                .values(reminder_sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return None
            occurrence = await session.get(StandupOccurrence, occurrence_id)
            assert occurrence is not None and occurrence.thread_id is not None
            if now >= occurrence.closes_at:
                return None  # too late to nudge anyone; the claim still stops any retry
            members = await self._member_ids(session, occurrence.circle_id)
            answered = await self._answered_ids(session, occurrence_id)
            profiles = await self.profiles.get_many(occurrence.guild_id, members)
            remind = tuple(
                uid
                for uid in members
                if uid not in answered
                and profiles[uid].standup_reminders
                and not profiles[uid].is_away_on(occurrence.local_date)
            )
            return ReminderClaim(occurrence_id, occurrence.thread_id, occurrence.closes_at, remind)

    async def claim_close(self, occurrence_id: int) -> CloseSummary | None:
        await self.answers.flush_message_ids()  # the summary links blockers to their messages
        now = self.clock.now()
        async with self.db.transaction() as session:
            claimed = await session.execute(
                update(StandupOccurrence)
                .where(
                    StandupOccurrence.id == occurrence_id,
                    (StandupOccurrence.status == STATUS_OPEN)
                    # A close whose summary never went out (Discord refused, or the process died) is
                    # taken over once its lease runs out, like an unfinished opening.
                    | (
                        (StandupOccurrence.status == STATUS_CLOSING) & (StandupOccurrence.closed_at < now - CLAIM_LEASE)
                    ),
                )
                .values(status=STATUS_CLOSING, closed_at=now)
                .execution_options(synchronize_session=False)
            )
            self.answers.forget_open(occurrence_id)
            if getattr(claimed, "rowcount", 0) != 1:
                return None
            occurrence = await session.get(StandupOccurrence, occurrence_id)
            assert occurrence is not None
            circle = await session.get(Circle, occurrence.circle_id)
            assert circle is not None
            answers = list(
                await session.scalars(
                    select(StandupAnswer)
                    .where(StandupAnswer.occurrence_id == occurrence_id)
                    .order_by(StandupAnswer.created_at)
                )
            )
            members = await self._member_ids(session, occurrence.circle_id)
            profiles = await self.profiles.get_many(occurrence.guild_id, members)
            answered = [a.user_id for a in answers]
            excused = [
                uid for uid in members if uid not in answered and profiles[uid].is_away_on(occurrence.local_date)
            ]
            occurrence.excused = excused
            expected = len(set(members) - set(excused) | set(answered))
            blocker_at = q.blocker_index(tuple(occurrence.questions))
            blockers = tuple(
                BlockerLink(a.user_id, a.message_id, a.answers[blocker_at] if blocker_at is not None else "")
                for a in answers
                if a.blocker
            )
            await session.flush()
            streaks = {
                uid: await member_streak(session, occurrence.guild_id, uid, occurrence.circle_id, now)
                for uid in answered
            }
            schedule = await session.get(StandupSchedule, occurrence.circle_id)
            view = schedule_view(schedule, circle) if schedule else None
        next_slot = await self._next_slot(view, now) if view and not view.paused else None
        return CloseSummary(
            occurrence_id=occurrence.id,
            circle_id=occurrence.circle_id,
            guild_id=occurrence.guild_id,
            circle_name=circle.name,
            channel_id=occurrence.channel_id,
            thread_id=occurrence.thread_id,
            local_date=occurrence.local_date,
            answered=tuple(answered),
            expected=expected,
            blockers=blockers,
            streaks=streaks,
            next_opens_at=next_slot.opens_at if next_slot else None,
        )

    async def record_summary(self, occurrence_id: int, message_id: int) -> None:
        """The summary is out: the standup is closed for good."""
        async with self.db.transaction() as session:
            await session.execute(
                update(StandupOccurrence)
                .where(StandupOccurrence.id == occurrence_id)
                .values(summary_message_id=message_id, status=STATUS_CLOSED)
            )

    async def activities(self, circle_ids: list[int]) -> dict[int, list[Activity]]:
        """What `/circle list` and `/circle info` show: worked out from cached schedules, no query when warm."""
        now = self.clock.now()
        result: dict[int, list[Activity]] = {}
        for circle_id, known in (await self._schedules_of(circle_ids)).items():
            if known is None:
                continue
            shown = self._shown.get(circle_id)
            if shown is None or (shown.next_at is not None and now >= shown.next_at):
                view, skips = known
                slot = None if view.paused else next_opening(view.spec, now, skips)
                label = f"Standup {format_days(view.days)} {format_hhmm(view.open_time)} ({view.timezone})"
                shown = self._shown[circle_id] = Activity(label, slot.opens_at if slot else None, view.paused)
            result[circle_id] = [shown]
        return result

    async def _schedules_of(self, circle_ids: list[int]) -> dict[int, tuple[ScheduleView, frozenset[date]] | None]:
        missing = [cid for cid in circle_ids if cid not in self._schedules]
        if missing:
            async with self.db.reader() as session:
                found = {
                    row.circle_id: schedule_view(row, circle)
                    for row, circle in await session.execute(
                        select(StandupSchedule, Circle)
                        .join(Circle, Circle.id == StandupSchedule.circle_id)
                        .where(StandupSchedule.circle_id.in_(missing))
                    )
                }
                skips: dict[int, set[date]] = {}
                for cid, day in await session.execute(
                    select(StandupSkip.circle_id, StandupSkip.local_date).where(StandupSkip.circle_id.in_(missing))
                ):
                    skips.setdefault(cid, set()).add(day)
            for cid in missing:
                view = found.get(cid)
                self._schedules[cid] = None if view is None else (view, frozenset(skips.get(cid, ())))
        return {cid: self._schedules[cid] for cid in circle_ids}

    # ----- helpers --------------------------------------------------------------------------------------

    @staticmethod
    async def _member_ids(session: AsyncSession, circle_id: int) -> list[int]:
        return list(
            await session.scalars(
                select(CircleMember.user_id).where(CircleMember.circle_id == circle_id).order_by(CircleMember.joined_at)
            )
        )

    @staticmethod
    async def _answered_ids(session: AsyncSession, occurrence_id: int) -> set[int]:
        return set(
            await session.scalars(select(StandupAnswer.user_id).where(StandupAnswer.occurrence_id == occurrence_id))
        )

    @staticmethod
    def _circle_view(circle: Circle) -> CircleView:
        return CircleView.of(circle)

    @staticmethod
    async def _schedule_row(session: AsyncSession, circle: Circle) -> StandupSchedule:
        row = await session.get(StandupSchedule, circle.id)
        if row is None:
            raise NotFound(f"**{circle.name}** has no standup yet. Set one up with `/standup schedule`.")
        return row
