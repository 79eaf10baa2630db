"""Focus sprint use cases: start, join, leave, stop, status, phase changes, the recap, schedules.

Exactly once: every phase change (the end included) is a row unique per (sprint, phase) claimed by
insert (``bot.db.claims``); only the winner talks to Discord, after the claim committed. A change that
fell due while no process was up is claimed late, once, for the phase running *now*, with the changes
missed on the way summed up in the same message (``timeline.catch_up``). Scheduled sprints claim each
slot's heads-up and start the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actors import Actor
from bot.circles.activity import Activity, CachedActivities
from bot.circles.models import Circle
from bot.circles.service import CircleService, CircleView, is_host, require_host
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import Claims, OccurrenceStatus
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.focus import presence
from bot.focus.models import (
    Sprint,
    SprintJoin,
    SprintParticipant,
    SprintPhaseChange,
    SprintSchedule,
    SprintSlot,
    VoiceSession,
)
from bot.focus.results import (
    FINISH_ANSWERS,
    FinishRecorded,
    FocusSince,
    HeadsUp,
    Joined,
    ParticipantView,
    PhaseClaim,
    Recap,
    SprintCard,
    SprintScheduleView,
    SprintStarted,
    SprintView,
)
from bot.focus.timeline import CatchUp, Plan, catch_up, focus_intervals, next_change, phase_at, phases, validate
from bot.focus.voice import VoicePresence
from bot.scheduling import PlanScope, Scheduler, WakeUp
from bot.standups import questions as q
from bot.standups.models import StandupAnswer, StandupOccurrence
from bot.standups.schedule import local_instant
from bot.timeparse import days_to_mask, format_days, mask_to_days

TAG_MAX = 40
INTENTION_MAX = 200
HEADS_UP = timedelta(minutes=5)
RUNNING, ENDED, STOPPED = "running", "ended", "stopped"
STEP_HEADS_UP, STEP_START = "headsup", "start"
SLOT_LOOKAHEAD_DAYS = 8
# A posted phase change: claimed → closed with its message (built once, for Database.write).
RECORD_CHANGE = (
    update(SprintPhaseChange)
    .where(SprintPhaseChange.id == bindparam("change"), SprintPhaseChange.status == OccurrenceStatus.CLAIMED)
    .values(status=OccurrenceStatus.CLOSED, message_id=bindparam("message"))
)
IN_FLIGHT = timedelta(minutes=2)  # a claim of our own younger than this is being posted right now
NO_RUNNING = "No sprint is running here. Start one with `/sprint start`."


@dataclass(frozen=True)
class SprintPhaseWake(WakeUp):
    sprint_id: int

    @property
    def job_id(self) -> str:
        return f"sprint-phase:{self.sprint_id}"


@dataclass(frozen=True)
class SprintHeadsUpWake(WakeUp):
    circle_id: int
    slot_at: datetime

    @property
    def job_id(self) -> str:
        return f"sprint-headsup:{self.circle_id}"


@dataclass(frozen=True)
class SprintSlotWake(WakeUp):
    circle_id: int
    slot_at: datetime

    @property
    def job_id(self) -> str:
        return f"sprint-slot:{self.circle_id}"


def clean_tag(tag: str | None) -> str | None:
    if tag is None:
        return None
    cleaned = " ".join(tag.split())
    if not 1 <= len(cleaned) <= TAG_MAX:
        raise InvalidInput(
            f"A tag must be 1–{TAG_MAX} characters, e.g. a client or project (yours has {len(cleaned)})."
        )
    return cleaned


def clean_intention(intention: str | None) -> str | None:
    if intention is None or not intention.strip():
        return None
    cleaned = " ".join(intention.split())
    if len(cleaned) > INTENTION_MAX:
        raise InvalidInput(f"An intention can be at most {INTENTION_MAX} characters (yours has {len(cleaned)}).")
    return cleaned


def plan_of(row: Sprint) -> Plan:
    return Plan(row.started_at, row.focus_minutes, row.break_minutes, row.rounds)


def view_of(row: Sprint) -> SprintView:
    return SprintView(
        id=row.id,
        guild_id=row.guild_id,
        circle_id=row.circle_id,
        circle_name=row.circle_name,
        channel_id=row.channel_id,
        voice_channel_id=row.voice_channel_id,
        starter_user_id=row.starter_user_id,
        plan=plan_of(row),
        status=row.status,
        ended_at=row.ended_at,
        message_id=row.message_id,
    )


def next_slot(days: frozenset[int], start_minute: int, zone: str, after: datetime) -> datetime | None:
    """The first scheduled start strictly after ``after`` (DST-correct: a local wall-clock time)."""
    at = time(start_minute // 60, start_minute % 60)
    today = after.astimezone(ZoneInfo(zone)).date()
    for offset in range(-1, SLOT_LOOKAHEAD_DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() in days:
            when = local_instant(day, at, zone)
            if when > after:
                return when
    return None


class SprintService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Scheduler,
        claims: Claims,
        circles: CircleService,
        voice: VoicePresence,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.claims = claims
        self.circles = circles
        self.voice = voice
        # What /circle list shows of sprints, read again only after a sprint starts or ends, a schedule
        # changes (each drops its circle once committed) or the phase it names is over.
        self.activity = CachedActivities(self.activities, clock)

    # ----- members: start, join, leave, status ----------------------------------------------------

    async def start(
        self,
        actor: Actor,
        circle_id: int,
        *,
        focus: int | None = None,
        break_: int | None = None,
        rounds: int | None = None,
        intention: str | None = None,
        tag: str | None = None,
    ) -> SprintStarted:
        f, b, r = validate(focus, break_, rounds)
        tag_ = clean_tag(tag)
        wanted = clean_intention(intention)
        circle = await self.circles.get(actor.guild_id, circle_id)
        if circle.voice_channel_id is None:
            raise InvalidInput(
                f"**{circle.name}** has no focus room yet: a host can add a voice channel with `/circle edit voice:`."
            )
        now = self.clock.now()
        await self.voice.settle()
        try:
            async with self.db.transaction() as session:
                await self._refuse_running(session, circle)
                row = self._new_sprint(circle, actor.user_id, now, f, b, r)
                session.add(row)
                await session.flush()
                chosen = wanted or await self._standup_focus(session, circle, actor.user_id, now)
                self._add_participant(session, row, actor.user_id, chosen, tag_, now)
                await session.flush()
                card = await self._card(session, row, now)
        except IntegrityError as exc:  # another start won the race for this circle
            raise Conflict(f"A sprint is already running in **{circle.name}**: join it with `/sprint join`.") from exc
        self.activity.drop(circle.id)
        self.plan_phase(card.sprint)
        return SprintStarted(card, defaulted_intention=wanted is None and chosen is not None)

    def _new_sprint(self, circle: CircleView, starter: int | None, now: datetime, f: int, b: int, r: int) -> Sprint:
        assert circle.voice_channel_id is not None
        return Sprint(
            guild_id=circle.guild_id,
            circle_id=circle.id,
            running_circle_id=circle.id,
            circle_name=circle.name,
            channel_id=circle.channel_id,
            voice_channel_id=circle.voice_channel_id,
            starter_user_id=starter,
            started_at=now,
            focus_minutes=f,
            break_minutes=b,
            rounds=r,
            status=RUNNING,
        )

    async def _refuse_running(self, session: AsyncSession, circle: CircleView) -> None:
        running = await session.scalar(select(Sprint.id).where(Sprint.running_circle_id == circle.id))
        if running is not None:
            raise Conflict(f"A sprint is already running in **{circle.name}**: join it with `/sprint join`.")

    def _add_participant(
        self, session: AsyncSession, row: Sprint, user_id: int, intention: str | None, tag: str | None, now: datetime
    ) -> None:
        session.add(
            SprintParticipant(
                sprint_id=row.id, user_id=user_id, guild_id=row.guild_id, intention=intention, tag=tag, joined_at=now
            )
        )
        session.add(SprintJoin(sprint_id=row.id, guild_id=row.guild_id, user_id=user_id, started_at=now))

    async def join(
        self,
        guild_id: int,
        user_id: int,
        *,
        sprint_id: int | None = None,
        channel_id: int | None = None,
        intention: str | None = None,
        tag: str | None = None,
    ) -> Joined:
        tag_ = clean_tag(tag)
        wanted = clean_intention(intention)
        now = self.clock.now()
        await self.voice.settle()
        async with self.db.transaction() as session:
            row = await self._running(session, guild_id, user_id, sprint_id, channel_id)
            circle = await self._circle_of(row)
            mine = await session.get(SprintParticipant, (row.id, user_id))
            open_join = await self._open_join(session, row.id, user_id)
            chosen = wanted
            if mine is None:
                chosen = wanted or await self._standup_focus(session, circle, user_id, now)
                self._add_participant(session, row, user_id, chosen, tag_, now)
            else:
                mine.left_at = None
                if wanted is not None:
                    mine.intention = wanted
                if tag_ is not None:
                    mine.tag = tag_
                chosen = mine.intention
                tag_ = mine.tag
                if open_join is None:
                    session.add(SprintJoin(sprint_id=row.id, guild_id=guild_id, user_id=user_id, started_at=now))
            await session.flush()
            card = await self._card(session, row, now)
        return Joined(card, chosen, tag_, defaulted_intention=wanted is None and chosen is not None and mine is None)

    async def leave(
        self, guild_id: int, user_id: int, *, sprint_id: int | None = None, channel_id: int | None = None
    ) -> SprintCard:
        now = self.clock.now()
        await self.voice.settle()
        async with self.db.transaction() as session:
            row = await self._running(session, guild_id, user_id, sprint_id, channel_id)
            mine = await session.get(SprintParticipant, (row.id, user_id))
            if mine is None and user_id in self.voice.members_in(guild_id, row.voice_channel_id):
                # In the room without having joined: leaving means no more mentions (the room still counts).
                mine = SprintParticipant(sprint_id=row.id, user_id=user_id, guild_id=guild_id, joined_at=now)
                session.add(mine)
            elif mine is None or mine.left_at is not None:
                raise NotFound("You are not in this sprint.")
            mine.left_at = now
            await session.execute(
                update(SprintJoin)
                .where(SprintJoin.sprint_id == row.id, SprintJoin.user_id == user_id, SprintJoin.ended_at.is_(None))
                .values(ended_at=now)
            )
            await session.flush()
            return await self._card(session, row, now)

    async def status(self, guild_id: int, circle_id: int) -> SprintCard | None:
        now = self.clock.now()
        await self.voice.settle()
        async with self.db.reader() as session:
            row = await session.scalar(
                select(Sprint).where(Sprint.running_circle_id == circle_id, Sprint.guild_id == guild_id)
            )
            return None if row is None else await self._card(session, row, now)

    async def card(self, sprint_id: int) -> SprintCard:
        now = self.clock.now()
        await self.voice.settle()
        async with self.db.reader() as session:
            row = await session.get(Sprint, sprint_id)
            if row is None:
                raise NotFound("That sprint no longer exists.")
            return await self._card(session, row, now)

    async def recent_tags(self, guild_id: int, user_id: int, typed: str, limit: int = 25) -> list[str]:
        async with self.db.reader() as session:
            rows = await session.execute(
                select(SprintParticipant.tag, func.max(SprintParticipant.joined_at).label("last"))
                .where(
                    SprintParticipant.guild_id == guild_id,
                    SprintParticipant.user_id == user_id,
                    SprintParticipant.tag.is_not(None),
                )
                .group_by(SprintParticipant.tag)
                .order_by(func.max(SprintParticipant.joined_at).desc())
                .limit(100)
            )
            tags = [tag for tag, _ in rows.all() if tag]
        typed = typed.strip().lower()
        return [t for t in tags if typed in t.lower()][:limit]

    async def record_announcement(self, sprint_id: int, message_id: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(Sprint).where(Sprint.id == sprint_id).values(message_id=message_id))

    # ----- stop and the end ---------------------------------------------------------------------

    async def stop(self, actor: Actor, *, sprint_id: int | None = None, channel_id: int | None = None) -> Recap:
        now = self.clock.now()
        await self.voice.settle()
        async with self.db.transaction() as session:
            row = await self._running(session, actor.guild_id, actor.user_id, sprint_id, channel_id)
            circle = await self._circle_of(row)
            if actor.user_id != row.starter_user_id and not is_host(actor, circle):
                raise Forbidden("Only the member who started this sprint or a host can stop it.")
            end = phases(plan_of(row))[-1]
            change_id = await self.claims.insert(
                session,
                SprintPhaseChange,
                ["sprint_id", "phase_index"],
                {"sprint_id": row.id, "phase_index": end.index, "due_at": now, "late": False, "missed": 0},
            )
            if change_id is None:
                raise Conflict("That sprint has just ended.")
            recap = await self._finish(session, row, change_id, now, STOPPED, actor.user_id, late=False)
        self.activity.drop(recap.sprint.circle_id)
        self.scheduler.cancel(SprintPhaseWake(row.id).job_id)
        return recap

    async def _finish(
        self,
        session: AsyncSession,
        row: Sprint,
        change_id: int,
        ended_at: datetime,
        status: str,
        stopped_by: int | None,
        *,
        late: bool,
    ) -> Recap:
        row.status = status
        row.ended_at = ended_at
        row.running_circle_id = None
        await session.flush()
        participants = await self._participants(session, row, ended_at, final=True)
        return Recap(change_id, view_of(row), participants, stopped_by, late)

    async def record_change_message(self, change_id: int, message_id: int) -> None:
        """The phase message is out: the claim is done (one hot statement, as many sprints change at once)."""
        await self.db.write(RECORD_CHANGE, {"change": change_id, "message": message_id})

    async def record_recap(self, change_id: int, sprint_id: int, message_id: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(Sprint).where(Sprint.id == sprint_id).values(recap_message_id=message_id))
            await self.claims.advance(
                session,
                SprintPhaseChange,
                change_id,
                OccurrenceStatus.CLAIMED,
                OccurrenceStatus.CLOSED,
                message_id=message_id,
            )

    async def record_finish(self, guild_id: int, user_id: int, sprint_id: int, answer: str) -> FinishRecorded:
        if answer not in FINISH_ANSWERS:
            raise InvalidInput("Answer yes, partly or no.")
        async with self.db.transaction() as session:
            mine = await session.get(SprintParticipant, (sprint_id, user_id))
            if mine is None or mine.guild_id != guild_id:
                raise NotFound("Only the sprint's participants can answer this one.")
            mine.finished = answer
        return FinishRecorded(sprint_id, answer)

    # ----- phase changes ------------------------------------------------------------------------

    async def claim_phase(self, sprint_id: int) -> PhaseClaim | Recap | None:
        """Claim the phase change due now (once, whoever else tries); None when nothing is due."""
        claimed = await self._claim_phase(sprint_id)
        if isinstance(claimed, Recap):
            self.activity.drop(claimed.sprint.circle_id)  # it ended (committed): no longer running there
        return claimed

    async def _claim_phase(self, sprint_id: int) -> PhaseClaim | Recap | None:
        now = self.clock.now()
        await self.voice.settle()
        async with self.db.transaction() as session:
            row = await session.get(Sprint, sprint_id)
            if row is None:
                return None
            # The sprint's few changes so far, in one query: the last one, and any claim left unfinished.
            changes = list(
                (
                    await session.scalars(
                        select(SprintPhaseChange)
                        .where(SprintPhaseChange.sprint_id == row.id)
                        .order_by(SprintPhaseChange.phase_index.desc())
                    )
                ).all()
            )
            stale = self._stale_claim(changes)
            if stale is not None:
                return await self._recover(session, row, stale, now)
            if row.status != RUNNING:
                return None
            plan = plan_of(row)
            up = catch_up(plan, changes[0].phase_index if changes else 0, now)
            if up is None:
                return None
            change_id = await self.claims.insert(
                session,
                SprintPhaseChange,
                ["sprint_id", "phase_index"],
                {
                    "sprint_id": row.id,
                    "phase_index": up.current.index,
                    "due_at": up.current.starts_at,
                    "late": up.late,
                    "missed": len(up.missed),
                },
            )
            if change_id is None:
                return None
            if up.current.is_done:
                return await self._finish(session, row, change_id, plan.ends_at, ENDED, None, late=up.late)
            card = await self._card(session, row, now)
            return PhaseClaim(change_id, card, up, recovered=False)

    def _stale_claim(self, changes: list[SprintPhaseChange]) -> SprintPhaseChange | None:
        """The latest change still only claimed, unless this process claimed it a moment ago (in flight)."""
        change = next((c for c in changes if c.status == OccurrenceStatus.CLAIMED), None)
        if change is None or (
            change.claimed_by == self.claims.holder and change.claimed_at > self.clock.now() - IN_FLIGHT
        ):
            return None
        return change

    async def _recover(
        self, session: AsyncSession, row: Sprint, change: SprintPhaseChange, now: datetime
    ) -> PhaseClaim | Recap | None:
        """A change claimed by a process that died before recording its message: take it over, once."""
        if not await self.claims.take_over(session, SprintPhaseChange, change):
            return None
        plan = plan_of(row)
        current = phases(plan)[change.phase_index]
        after = await self._last_message(session, row)
        if current.is_done:
            return Recap(
                change.id,
                view_of(row),
                await self._participants(session, row, row.ended_at or now, final=True),
                None,
                late=change.late,
                recovered=True,
                after_message_id=after,
            )
        missed = tuple(p for p in phases(plan) if change.phase_index - change.missed <= p.index < change.phase_index)
        return PhaseClaim(
            change.id,
            await self._card(session, row, now),
            CatchUp(current, missed, late=change.late),
            recovered=True,
            after_message_id=after,
        )

    async def _last_message(self, session: AsyncSession, row: Sprint) -> int | None:
        recorded = await session.scalar(
            select(func.max(SprintPhaseChange.message_id)).where(SprintPhaseChange.sprint_id == row.id)
        )
        ids = [i for i in (row.message_id, recorded) if i is not None]
        return max(ids) if ids else None

    # ----- planning -------------------------------------------------------------------------------

    def plan_phase(self, sprint: SprintView) -> None:
        nxt = next_change(sprint.plan, self.clock.now())
        if nxt is None:
            self.scheduler.at(SprintPhaseWake(sprint.id), self.clock.now())
        else:
            self.scheduler.at(SprintPhaseWake(sprint.id), nxt.starts_at)

    async def plan(self, scope: PlanScope) -> None:
        """Re-plan running sprints (their next phase change, or a recovery) and scheduled slots."""
        now = self.clock.now()
        async with self.db.reader() as session:
            running = (await session.scalars(select(Sprint).where(Sprint.status == RUNNING))).all()
            stale = (
                await session.scalars(
                    select(SprintPhaseChange).where(SprintPhaseChange.status == OccurrenceStatus.CLAIMED)
                )
            ).all()
            recover = await self.claims.recovery_times(session, stale)
            sprints_of_stale = {
                s.id: s
                for s in (
                    await session.scalars(select(Sprint).where(Sprint.id.in_([c.sprint_id for c in stale])))
                ).all()
            }
            schedules = (await session.execute(select(SprintSchedule, Circle).join(Circle))).all()
        for row in running:
            if row.circle_id is not None and scope.covers(row.guild_id, row.circle_id):
                plan = plan_of(row)
                nxt = next_change(plan, now)
                # Due changes while down: wake now (the catch-up posts once, late).
                last_due = phase_at(plan, now)
                when = now if last_due.index > 0 or nxt is None else nxt.starts_at
                self.scheduler.at(SprintPhaseWake(row.id), when)
        for change in stale:
            owner = sprints_of_stale.get(change.sprint_id)
            if owner is not None and owner.circle_id is not None and scope.covers(owner.guild_id, owner.circle_id):
                self.scheduler.at(SprintPhaseWake(owner.id), max(now, recover[change.id]))
        for schedule, circle in schedules:
            if scope.covers(circle.guild_id, circle.id):
                self._plan_slot(schedule, circle, now)

    def _plan_slot(
        self, schedule: SprintSchedule, circle: Circle, now: datetime, after: datetime | None = None
    ) -> None:
        days = mask_to_days(schedule.days_mask)
        length = timedelta(
            minutes=schedule.rounds * schedule.focus_minutes + (schedule.rounds - 1) * schedule.break_minutes
        )
        # A slot whose sprint would still be running counts (a restart during it starts it on its timeline).
        slot = next_slot(days, schedule.start_minute, circle.timezone, now - length)
        if slot is not None and after is not None and slot <= after:
            slot = next_slot(days, schedule.start_minute, circle.timezone, after)  # the slot just handled is done
        if slot is None:
            return
        if slot - HEADS_UP > now:
            self.scheduler.at(SprintHeadsUpWake(circle.id, slot), slot - HEADS_UP)
        else:
            self.scheduler.cancel(SprintHeadsUpWake(circle.id, slot).job_id)
        self.scheduler.at(SprintSlotWake(circle.id, slot), max(slot, now))

    # ----- schedules ------------------------------------------------------------------------------

    async def set_schedule(
        self,
        actor: Actor,
        circle_id: int,
        *,
        start: time,
        days: frozenset[int],
        focus: int | None = None,
        break_: int | None = None,
        rounds: int | None = None,
    ) -> SprintScheduleView:
        f, b, r = validate(focus, break_, rounds)
        circle = await self.circles.get(actor.guild_id, circle_id)
        require_host(actor, circle)
        if circle.voice_channel_id is None:
            raise InvalidInput(
                f"**{circle.name}** has no focus room yet: add a voice channel with `/circle edit voice:` first."
            )
        async with self.db.transaction() as session:
            row = await session.get(SprintSchedule, circle_id)
            if row is None:
                row = SprintSchedule(circle_id=circle_id, guild_id=actor.guild_id)
                session.add(row)
            row.start_minute = start.hour * 60 + start.minute
            row.days_mask = days_to_mask(days)
            row.focus_minutes, row.break_minutes, row.rounds = f, b, r
            row.updated_at = self.clock.now()
            await session.flush()
            circle_row = await session.get(Circle, circle_id)
            assert circle_row is not None
            self._plan_slot(row, circle_row, self.clock.now())
            view = self._schedule_view(row, circle)
        self.activity.drop(circle_id)
        return view

    async def unschedule(self, actor: Actor, circle_id: int) -> CircleView:
        circle = await self.circles.get(actor.guild_id, circle_id)
        require_host(actor, circle)
        async with self.db.transaction() as session:
            row = await session.get(SprintSchedule, circle_id)
            if row is None:
                raise NotFound(f"**{circle.name}** has no sprint schedule.")
            await session.delete(row)
        self.activity.drop(circle_id)
        self.scheduler.cancel(SprintHeadsUpWake(circle_id, self.clock.now()).job_id)
        self.scheduler.cancel(SprintSlotWake(circle_id, self.clock.now()).job_id)
        return circle

    def _schedule_view(self, row: SprintSchedule, circle: CircleView) -> SprintScheduleView:
        days = mask_to_days(row.days_mask)
        return SprintScheduleView(
            circle_id=circle.id,
            circle_name=circle.name,
            days=days,
            start_minute=row.start_minute,
            timezone=circle.timezone,
            focus_minutes=row.focus_minutes,
            break_minutes=row.break_minutes,
            rounds=row.rounds,
            next_at=next_slot(days, row.start_minute, circle.timezone, self.clock.now()),
        )

    async def claim_heads_up(self, circle_id: int, slot_at: datetime) -> HeadsUp | None:
        now = self.clock.now()
        if now >= slot_at:
            return None  # the slot itself has come: no heads-up after the fact
        async with self.db.transaction() as session:
            schedule = await session.get(SprintSchedule, circle_id)
            circle = await session.get(Circle, circle_id)
            if schedule is None or circle is None:
                return None
            slot_id = await self.claims.insert(
                session,
                SprintSlot,
                ["circle_id", "slot_at", "step"],
                {"circle_id": circle_id, "guild_id": circle.guild_id, "slot_at": slot_at, "step": STEP_HEADS_UP},
            )
            if slot_id is None:
                return None
            plan = Plan(slot_at, schedule.focus_minutes, schedule.break_minutes, schedule.rounds)
            return HeadsUp(slot_id, circle.name, circle.channel_id, circle.voice_channel_id, slot_at, plan)

    async def record_slot_message(self, slot_row_id: int, message_id: int) -> None:
        async with self.db.transaction() as session:
            await self.claims.advance(
                session,
                SprintSlot,
                slot_row_id,
                OccurrenceStatus.CLAIMED,
                OccurrenceStatus.CLOSED,
                message_id=message_id,
            )

    async def claim_slot(self, circle_id: int, slot_at: datetime) -> SprintCard | None:
        """Start the scheduled sprint of a slot, once; on its own timeline even when claimed late."""
        now = self.clock.now()
        await self.voice.settle()
        async with self.db.transaction() as session:
            schedule = await session.get(SprintSchedule, circle_id)
            if schedule is None:
                return None
            circle = await self.circles.get((await self._guild_of(session, circle_id)), circle_id)
            plan = Plan(slot_at, schedule.focus_minutes, schedule.break_minutes, schedule.rounds)
            if circle.voice_channel_id is None or now >= plan.ends_at:
                return None
            slot_id = await self.claims.insert(
                session,
                SprintSlot,
                ["circle_id", "slot_at", "step"],
                {"circle_id": circle_id, "guild_id": circle.guild_id, "slot_at": slot_at, "step": STEP_START},
            )
            if slot_id is None:
                return None
            if await session.scalar(select(Sprint.id).where(Sprint.running_circle_id == circle_id)) is not None:
                await self.claims.advance(
                    session, SprintSlot, slot_id, OccurrenceStatus.CLAIMED, OccurrenceStatus.MISSED
                )
                return None
            row = self._new_sprint(circle, None, slot_at, plan.focus_minutes, plan.break_minutes, plan.rounds)
            row.slot_at = slot_at
            session.add(row)
            await session.flush()
            await self.claims.advance(
                session, SprintSlot, slot_id, OccurrenceStatus.CLAIMED, OccurrenceStatus.CLOSED, sprint_id=row.id
            )
            card = await self._card(session, row, now)
        self.activity.drop(circle_id)
        self.plan_phase(card.sprint)
        return card

    async def replan_circle(self, circle_id: int, *, after: datetime | None = None) -> None:
        """Plan a circle's next scheduled slot (after the one just handled)."""
        async with self.db.reader() as session:
            schedule = await session.get(SprintSchedule, circle_id)
            circle = await session.get(Circle, circle_id)
        if schedule is not None and circle is not None:
            self._plan_slot(schedule, circle, self.clock.now(), after)

    async def replan_sprint(self, sprint_id: int) -> None:
        """After a phase wake-up: the next change of a sprint still running."""
        async with self.db.reader() as session:
            row = await session.get(Sprint, sprint_id)
        if row is not None and row.status == RUNNING:
            nxt = next_change(plan_of(row), self.clock.now())
            if nxt is not None:
                self.scheduler.at(SprintPhaseWake(row.id), nxt.starts_at)

    async def _guild_of(self, session: AsyncSession, circle_id: int) -> int:
        guild = await session.scalar(select(Circle.guild_id).where(Circle.id == circle_id))
        if guild is None:
            raise NotFound("That circle no longer exists.")
        return int(guild)

    # ----- /circle list and info --------------------------------------------------------------------

    async def activities(self, circle_ids: list[int]) -> dict[int, list[Activity]]:
        now = self.clock.now()
        found: dict[int, list[Activity]] = {}
        if not circle_ids:
            return found
        async with self.db.reader() as session:
            running = (await session.scalars(select(Sprint).where(Sprint.running_circle_id.in_(circle_ids)))).all()
            schedules = (
                await session.execute(
                    select(SprintSchedule, Circle.timezone)
                    .join(Circle, Circle.id == SprintSchedule.circle_id)
                    .where(SprintSchedule.circle_id.in_(circle_ids))
                )
            ).all()
        for row in running:
            phase = phase_at(plan_of(row), now)
            label = f"Sprint running: {phase.kind.value} {phase.round}/{row.rounds}"
            found.setdefault(row.running_circle_id or 0, []).append(Activity(label, phase.ends_at))
        for schedule, zone in schedules:
            days = mask_to_days(schedule.days_mask)
            hhmm = f"{schedule.start_minute // 60:02d}:{schedule.start_minute % 60:02d}"
            label = (
                f"Sprints {format_days(days)} {hhmm} ({zone}), "
                f"{schedule.rounds}×{schedule.focus_minutes}/{schedule.break_minutes} min"
            )
            found.setdefault(schedule.circle_id, []).append(
                Activity(label, next_slot(days, schedule.start_minute, zone, now))
            )
        return found

    # ----- the standup loop -----------------------------------------------------------------------

    async def _standup_focus(
        self, session: AsyncSession, circle: CircleView, user_id: int, now: datetime
    ) -> str | None:
        """The member's "focus today" answer from today's standup of this circle (the sprint's default)."""
        today = now.astimezone(ZoneInfo(circle.timezone)).date()
        row = (
            await session.execute(
                select(StandupOccurrence.questions, StandupAnswer.answers)
                .join(StandupAnswer, StandupAnswer.occurrence_id == StandupOccurrence.id)
                .where(
                    StandupOccurrence.circle_id == circle.id,
                    StandupOccurrence.local_date == today,
                    StandupAnswer.user_id == user_id,
                )
            )
        ).first()
        if row is None:
            return None
        questions, answers = tuple(row[0]), list(row[1])
        index = q.plan_index(questions)
        if index is None or index >= len(answers) or answers[index].strip().lower() in ("", "-"):
            return None
        text = " ".join(answers[index].split())
        return text if len(text) <= INTENTION_MAX else text[: INTENTION_MAX - 1] + "…"

    async def focus_since(self, guild_id: int, user_id: int, since: datetime) -> FocusSince:
        """Focus minutes and sprints of a member since an instant (the standup form shows them)."""
        async with self.db.reader() as session:
            minutes, count = (
                await session.execute(
                    select(func.coalesce(func.sum(SprintParticipant.focus_minutes), 0), func.count())
                    .join(Sprint, Sprint.id == SprintParticipant.sprint_id)
                    .where(
                        SprintParticipant.guild_id == guild_id,
                        SprintParticipant.user_id == user_id,
                        Sprint.started_at >= since,
                        SprintParticipant.focus_minutes > 0,
                    )
                )
            ).one()
        return FocusSince(int(minutes or 0), int(count))

    async def focus_summary(self, guild_id: int, user_id: int, since: datetime) -> tuple[int, int]:
        """``focus_since`` as the standup form takes it: (minutes, sprints)."""
        found = await self.focus_since(guild_id, user_id, since)
        return found.minutes, found.sprints

    # ----- privacy --------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        await self.voice.settle()
        async with self.db.reader() as session:
            sessions = (
                await session.scalars(
                    select(VoiceSession)
                    .where(VoiceSession.guild_id == guild_id, VoiceSession.user_id == user_id)
                    .order_by(VoiceSession.started_at)
                )
            ).all()
            sprints = (
                await session.execute(
                    select(SprintParticipant, Sprint)
                    .join(Sprint, Sprint.id == SprintParticipant.sprint_id)
                    .where(SprintParticipant.guild_id == guild_id, SprintParticipant.user_id == user_id)
                    .order_by(Sprint.started_at)
                )
            ).all()
            joins = (
                await session.scalars(
                    select(SprintJoin).where(SprintJoin.guild_id == guild_id, SprintJoin.user_id == user_id)
                )
            ).all()
            started = (
                await session.scalars(
                    select(Sprint.id).where(Sprint.guild_id == guild_id, Sprint.starter_user_id == user_id)
                )
            ).all()
        return {
            "voice_sessions": [
                {
                    "channel_id": str(s.channel_id),
                    "start": s.started_at.isoformat(),
                    "end": s.ended_at.isoformat() if s.ended_at else None,
                }
                for s in sessions
            ],
            "sprints": [
                {
                    "circle": sprint.circle_name,
                    "start": sprint.started_at.isoformat(),
                    "intention": part.intention,
                    "tag": part.tag,
                    "focus_minutes": part.focus_minutes,
                    "finished": part.finished,
                    "started_by_me": sprint.id in started,
                }
                for part, sprint in sprints
            ],
            "sprint_joins": [
                {
                    "sprint": j.sprint_id,
                    "start": j.started_at.isoformat(),
                    "end": j.ended_at.isoformat() if j.ended_at else None,
                }
                for j in joins
            ],
        }

    async def forget_member(self, guild_id: int, user_id: int) -> list[tuple[int, int]]:
        await self.voice.settle()
        async with self.db.transaction() as session:
            await session.execute(
                delete(VoiceSession).where(VoiceSession.guild_id == guild_id, VoiceSession.user_id == user_id)
            )
            await session.execute(
                delete(SprintJoin).where(SprintJoin.guild_id == guild_id, SprintJoin.user_id == user_id)
            )
            await session.execute(
                delete(SprintParticipant).where(
                    SprintParticipant.guild_id == guild_id, SprintParticipant.user_id == user_id
                )
            )
            await session.execute(
                update(Sprint)
                .where(Sprint.guild_id == guild_id, Sprint.starter_user_id == user_id)
                .values(starter_user_id=None)
            )
        return []  # sprint messages name many members; they stay (their names are mentions that resolve to nobody)

    # ----- helpers --------------------------------------------------------------------------------

    async def _running(
        self, session: AsyncSession, guild_id: int, user_id: int, sprint_id: int | None, channel_id: int | None
    ) -> Sprint:
        """The sprint a command or button is about: the button's, else the one here, else the only one."""
        if sprint_id is not None:
            row = await session.get(Sprint, sprint_id)
            if row is None or row.guild_id != guild_id:
                raise NotFound("That sprint no longer exists.")
            if row.status != RUNNING:
                raise Conflict("That sprint has ended. Start a new one with `/sprint start`.")
            return row
        rows = list(
            (
                await session.scalars(
                    select(Sprint).where(Sprint.guild_id == guild_id, Sprint.running_circle_id.is_not(None))
                )
            ).all()
        )
        if not rows:
            raise NotFound(NO_RUNNING)
        if len(rows) == 1:
            return rows[0]
        here = [r for r in rows if r.channel_id == channel_id or r.voice_channel_id == channel_id]
        if not here:
            voice = {
                s.channel_id for s in self.voice.open_sessions() if s.guild_id == guild_id and s.user_id == user_id
            }
            here = [r for r in rows if r.voice_channel_id in voice]
        if len(here) == 1:
            return here[0]
        names = ", ".join(f"**{r.circle_name}**" for r in rows)
        raise InvalidInput(f"Several sprints are running ({names}): use this command in the circle's channel.")

    async def _circle_of(self, row: Sprint) -> CircleView:
        if row.circle_id is None:
            raise NotFound("That sprint's circle no longer exists.")
        return await self.circles.get(row.guild_id, row.circle_id)

    async def _open_join(self, session: AsyncSession, sprint_id: int, user_id: int) -> int | None:
        found: int | None = await session.scalar(
            select(SprintJoin.id).where(
                SprintJoin.sprint_id == sprint_id, SprintJoin.user_id == user_id, SprintJoin.ended_at.is_(None)
            )
        )
        return found

    async def _card(self, session: AsyncSession, row: Sprint, now: datetime) -> SprintCard:
        plan = plan_of(row)
        until = min(now, row.ended_at) if row.ended_at else now
        return SprintCard(
            view_of(row), phase_at(plan, until), await self._participants(session, row, until, final=False)
        )

    async def _participants(
        self, session: AsyncSession, row: Sprint, until: datetime, *, final: bool
    ) -> tuple[ParticipantView, ...]:
        """Everyone in the room during a focus phase, and everyone who joined; focus minutes up to ``until``.

        With ``final`` (the recap) voice-only participants get a row and everyone's minutes are stored.
        """
        plan = plan_of(row)
        end = min(until, plan.ends_at)
        focus = focus_intervals(plan, end)
        sessions = (
            await session.execute(
                select(VoiceSession.user_id, VoiceSession.started_at, VoiceSession.ended_at).where(
                    VoiceSession.channel_id == row.voice_channel_id,
                    VoiceSession.guild_id == row.guild_id,
                    VoiceSession.started_at < end,
                    (VoiceSession.ended_at.is_(None)) | (VoiceSession.ended_at > row.started_at),
                )
            )
        ).all()
        joins = (
            await session.execute(
                select(SprintJoin.user_id, SprintJoin.started_at, SprintJoin.ended_at).where(
                    SprintJoin.sprint_id == row.id
                )
            )
        ).all()
        rows = {
            p.user_id: p
            for p in (
                await session.scalars(select(SprintParticipant).where(SprintParticipant.sprint_id == row.id))
            ).all()
        }
        spans: dict[int, list[presence.Interval]] = {}
        for user_id, start, stop in [*sessions, *joins]:
            spans.setdefault(user_id, []).append((start, min(stop or end, end)))
        in_room = self.voice.members_in(row.guild_id, row.voice_channel_id)
        open_joins = {user_id for user_id, _, stop in joins if stop is None}
        out: list[ParticipantView] = []
        for user_id in sorted(set(spans) | set(rows), key=lambda u: (rows[u].joined_at if u in rows else end, u)):
            part = rows.get(user_id)
            overlap = presence.overlap(spans.get(user_id, []), focus)
            if part is None and overlap <= timedelta():
                continue  # in the room only during breaks (or before the start): not a participant
            minutes = presence.whole_minutes(overlap)
            if final:
                if part is None:
                    part = SprintParticipant(
                        sprint_id=row.id, user_id=user_id, guild_id=row.guild_id, joined_at=row.started_at
                    )
                    session.add(part)
                part.focus_minutes = minutes
            left = part is not None and part.left_at is not None
            out.append(
                ParticipantView(
                    user_id=user_id,
                    intention=part.intention if part else None,
                    tag=part.tag if part else None,
                    present=not final and not left and (user_id in in_room or user_id in open_joins),
                    focus_minutes=minutes,
                )
            )
        return tuple(out)
