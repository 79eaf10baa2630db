"""A standup's life, claimed step by step: the opening, the reminder and the close.

Every wake-up first *claims* its step through the shared claims (bot/db/claims.py): a unique occurrence
row for the opening, a compare-and-set for the reminder and the close, a take-over when the claimer died
half-way. Only the winner talks to Discord, after the claim committed.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.circles.models import Circle, CircleMember
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import Claims
from bot.db.claims import OccurrenceStatus as Status
from bot.profiles.service import ProfileService
from bot.scheduling import PlanScope, Scheduler
from bot.standups import questions as q
from bot.standups.answers import StandupAnswers, member_streak
from bot.standups.common import OpenStandup, schedule_view
from bot.standups.models import StandupAnswer, StandupOccurrence, StandupSchedule, StandupSkip
from bot.standups.planning import StandupPlanner, occurrence_values
from bot.standups.results import BlockerLink, CloseSummary, OpeningClaim, ReminderClaim
from bot.standups.schedule import next_opening, slot_for
from bot.standups.wakeups import StandupClose, StandupOpening, StandupReminder

# Hot writes of an opening, built once (Database.write).
RECORD_THREAD = (
    update(StandupOccurrence)
    .where(StandupOccurrence.id == bindparam("occurrence"))
    .values(thread_id=bindparam("thread"))
)
MARK_OPEN = (
    update(StandupOccurrence)
    .where(StandupOccurrence.id == bindparam("occurrence"))
    .values(message_id=bindparam("message"), status=Status.OPEN, reminder_at=bindparam("reminder"))
)


class StandupLifecycle:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Scheduler,
        claims: Claims,
        profiles: ProfileService,
        answers: StandupAnswers,
        planner: StandupPlanner,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.claims = claims
        self.profiles = profiles
        self.answers = answers
        self.planner = planner

    # ----- the opening -------------------------------------------------------------------------------

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
                return await self._recover(session, circle_id, local_date)
            slot = slot_for(view.spec, local_date)
            if now < slot.opens_at - timedelta(minutes=1):
                return None  # woken early (clock change): the planner will wake us again
            late = now >= slot.closes_at
            values = occurrence_values(view, slot)
            values["channel_id"] = circle.channel_id
            inserted = await self.claims.insert(
                session,
                StandupOccurrence,
                ["circle_id", "local_date"],
                values,
                status=Status.MISSED if late else Status.CLAIMED,
            )
            if inserted is None:
                return await self._recover(session, circle_id, local_date)
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

    async def _recover(self, session: AsyncSession, circle_id: int, local_date: date) -> OpeningClaim | None:
        """Take over an opening whose claimer died before finishing it."""
        existing = await session.scalar(
            select(StandupOccurrence).where(
                StandupOccurrence.circle_id == circle_id, StandupOccurrence.local_date == local_date
            )
        )
        if existing is None or existing.status != Status.CLAIMED:
            return None
        if self.clock.now() >= existing.closes_at:
            # Too late to open: whoever takes it over records it as missed.
            await self.claims.take_over(session, StandupOccurrence, existing, status=Status.MISSED)
            return None
        if not await self.claims.take_over(session, StandupOccurrence, existing):
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
        """Remember the thread as soon as it exists (or is found again), so a later takeover reuses it."""
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
            self.scheduler.at(StandupReminder(occurrence), reminder_at)
        self.scheduler.at(StandupClose(occurrence), claim.closes_at)
        if claim.next_opening is None:
            await self.planner.plan(PlanScope(owned_guilds=lambda _g: True, circle_id=claim.circle_id))
        else:
            # Skips are not consulted here: a wake-up on a skipped day finds the skip and re-plans.
            wake = StandupOpening(claim.circle_id, claim.next_opening.local_date)
            self.scheduler.at(wake, claim.next_opening.opens_at)

    # ----- the reminder ------------------------------------------------------------------------------

    async def claim_reminder(self, occurrence_id: int) -> ReminderClaim | None:
        now = self.clock.now()
        async with self.db.transaction() as session:
            claimed = await self.claims.advance(
                session,
                StandupOccurrence,
                occurrence_id,
                Status.OPEN,
                Status.OPEN,
                where=[StandupOccurrence.reminder_sent_at.is_(None)],
                reminder_sent_at=now,
            )
            if not claimed:
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

    # ----- the close ---------------------------------------------------------------------------------

    async def claim_close(self, occurrence_id: int) -> CloseSummary | None:
        await self.answers.flush_message_ids()  # the summary links blockers to their messages
        now = self.clock.now()
        async with self.db.transaction() as session:
            claimed = await self.claims.advance(
                session, StandupOccurrence, occurrence_id, Status.OPEN, Status.CLOSING, closed_at=now
            )
            self.answers.forget_open(occurrence_id)
            occurrence = await session.get(StandupOccurrence, occurrence_id)
            if not claimed:
                # A close whose summary never went out (Discord refused, or the process died) is taken
                # over once its holder is gone, like an unfinished opening.
                if occurrence is None or occurrence.status != Status.CLOSING:
                    return None
                if not await self.claims.take_over(session, StandupOccurrence, occurrence, closed_at=now):
                    return None
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
        next_slot = await self.planner.next_slot(view, now) if view and not view.paused else None
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
                .values(summary_message_id=message_id, status=Status.CLOSED)
            )

    # ----- helpers -----------------------------------------------------------------------------------

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
