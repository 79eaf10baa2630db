"""Pairing and goals use cases: the pool, avoid lists, schedules, goals, status, history and privacy.

Rounds themselves (claim → match → record → threads → check-in → close) live in ``rounds.py``.
Avoid lists are private: no result built here ever carries another member's avoid list.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actors import Actor
from bot.circles.activity import Activity
from bot.circles.models import Circle
from bot.circles.service import CircleService, require_host
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import Claims
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.pairing.common import (
    card,
    check_size,
    clean_goal,
    goal_view,
    group_member_ids,
    live_groups,
    parse_cadence,
    parse_weekday,
    round_spec,
)
from bot.pairing.models import (
    Goal,
    GoalStatus,
    PairAvoid,
    PairGroup,
    PairGroupMember,
    PairPoolEntry,
    PairRound,
    PairSchedule,
    PairSettings,
)
from bot.pairing.results import (
    GoalChange,
    GoalView,
    HistoryEntry,
    PairStatus,
    Partnership,
    ScheduleView,
)
from bot.pairing.rounds import PairingRounds
from bot.pairing.timeline import first_day, upcoming
from bot.profiles.service import ProfileService
from bot.scheduling import Scheduler
from bot.timeparse import format_hhmm, parse_hhmm

SNOOZE_MAX_DAYS = 90
HISTORY_LIMIT = 15
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class PairingService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Scheduler,
        claims: Claims,
        circles: CircleService,
        profiles: ProfileService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.circles = circles
        self.profiles = profiles
        self.rounds = PairingRounds(db, clock, scheduler, claims, profiles)

    async def check_can_run_now(self, actor: Actor, circle_id: int) -> None:
        require_host(actor, await self.circles.get(actor.guild_id, circle_id))

    # ----- the pool --------------------------------------------------------------------------------

    async def opt_in(self, guild_id: int, user_id: int, circle_id: int) -> bool:
        """True when the member was not in the pool yet."""
        circle = await self.circles.get(guild_id, circle_id)
        if not await self.circles.is_member(guild_id, circle_id, user_id):
            raise InvalidInput(f"Join **{circle.name}** first (`/circle join`), then opt in to pairing there.")
        async with self.db.transaction() as session:
            if await session.get(PairPoolEntry, (circle_id, user_id)) is not None:
                return False
            session.add(
                PairPoolEntry(circle_id=circle_id, user_id=user_id, guild_id=guild_id, joined_at=self.clock.now())
            )
        return True

    async def opt_out(self, guild_id: int, user_id: int, circle_id: int) -> bool:
        await self.circles.get(guild_id, circle_id)
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(PairPoolEntry).where(PairPoolEntry.circle_id == circle_id, PairPoolEntry.user_id == user_id)
            )
            return bool(getattr(result, "rowcount", 0))

    async def snooze(self, guild_id: int, user_id: int, until: date) -> date:
        today = await self.profiles.local_today(guild_id, user_id)
        if until < today:
            raise InvalidInput("That date has passed. Give today or a later date, up to 90 days ahead.")
        if until > today + timedelta(days=SNOOZE_MAX_DAYS):
            limit = today + timedelta(days=SNOOZE_MAX_DAYS)
            raise InvalidInput(f"You can snooze pairing for at most {SNOOZE_MAX_DAYS} days (until {limit}).")
        async with self.db.transaction() as session:
            row = await session.get(PairSettings, (guild_id, user_id))
            if row is None:
                session.add(PairSettings(guild_id=guild_id, user_id=user_id, snoozed_until=until))
            else:
                row.snoozed_until = until
        return until

    async def avoid(self, guild_id: int, user_id: int, other_id: int) -> None:
        if other_id == user_id:
            raise InvalidInput("You can't avoid yourself. Pick another member.")
        async with self.db.transaction() as session:
            if await session.get(PairAvoid, (guild_id, user_id, other_id)) is None:
                session.add(
                    PairAvoid(guild_id=guild_id, user_id=user_id, avoided_user_id=other_id, created_at=self.clock.now())
                )

    async def unavoid(self, guild_id: int, user_id: int, other_id: int) -> None:
        if other_id == user_id:
            raise InvalidInput("You can't avoid yourself, so there is nothing to undo. Pick another member.")
        async with self.db.transaction() as session:
            await session.execute(
                delete(PairAvoid).where(
                    PairAvoid.guild_id == guild_id, PairAvoid.user_id == user_id, PairAvoid.avoided_user_id == other_id
                )
            )

    # ----- schedules -------------------------------------------------------------------------------

    async def set_schedule(
        self, actor: Actor, circle_id: int, day: str, at: str, cadence: str | None, size: int | None
    ) -> ScheduleView:
        weekday, start, kind, group_size = parse_weekday(day), parse_hhmm(at), parse_cadence(cadence), check_size(size)
        circle = await self.circles.get(actor.guild_id, circle_id)
        require_host(actor, circle)
        now = self.clock.now()
        anchor = first_day(weekday, start, circle.timezone, now)
        async with self.db.transaction() as session:
            row = await session.get(PairSchedule, circle_id)
            if row is None:
                row = PairSchedule(circle_id=circle_id, guild_id=actor.guild_id)
                session.add(row)
            row.weekday, row.minute, row.cadence, row.size = weekday, start.hour * 60 + start.minute, kind, group_size
            row.anchor, row.updated_at = anchor, now
            await session.flush()
            return await self._schedule_view(session, row, circle.name, circle.timezone)

    async def _schedule_view(self, session: AsyncSession, row: PairSchedule, name: str, timezone: str) -> ScheduleView:
        held = await self._held_slots(session, [row.circle_id])
        slot = upcoming(round_spec(row, timezone), self.clock.now(), held.get(row.circle_id, set()))
        return ScheduleView(
            row.circle_id,
            name,
            row.weekday,
            format_hhmm(time(row.minute // 60, row.minute % 60)),
            str(row.cadence),
            row.size,
            timezone,
            slot.starts_at,
        )

    async def _held_slots(self, session: AsyncSession, circle_ids: list[int]) -> dict[int, set[str]]:
        since = self.clock.now() - timedelta(days=2)
        rows = await session.execute(
            select(PairRound.circle_id, PairRound.slot).where(
                PairRound.circle_id.in_(circle_ids), PairRound.started_at >= since - timedelta(days=1)
            )
        )
        held: dict[int, set[str]] = {}
        for circle_id, slot in rows.all():
            held.setdefault(circle_id, set()).add(slot)
        return held

    async def activity(self, circle_ids: list[int]) -> dict[int, list[Activity]]:
        """For /circle list and /circle info: the pairing schedule and the next round."""
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(PairSchedule, Circle.timezone)
                    .join(Circle, Circle.id == PairSchedule.circle_id)
                    .where(PairSchedule.circle_id.in_(circle_ids))
                )
            ).all()
            held = await self._held_slots(session, [row.circle_id for row, _ in rows])
        found: dict[int, list[Activity]] = {}
        now = self.clock.now()
        for row, timezone in rows:
            slot = upcoming(round_spec(row, timezone), now, held.get(row.circle_id, set()))
            at = format_hhmm(time(row.minute // 60, row.minute % 60))
            label = f"Pairing {row.cadence} on {WEEKDAY_NAMES[row.weekday]} {at} ({timezone}), groups of {row.size}"
            found.setdefault(row.circle_id, []).append(Activity(label, slot.starts_at))
        return found

    # ----- goals -----------------------------------------------------------------------------------

    async def add_goal(
        self, guild_id: int, user_id: int, text: str, due: date | None, *, group_id: int | None = None
    ) -> GoalChange:
        """A goal, attached to the member's current group (or the one whose thread it was set from)."""
        cleaned = clean_goal(text)
        if due is not None and due < await self.profiles.local_today(guild_id, user_id):
            raise InvalidInput("That due date has passed. Give today or a later date, or leave `due` out.")
        async with self.db.transaction() as session:
            group: PairGroup | None
            if group_id is not None:
                if await session.get(PairGroupMember, (group_id, user_id)) is None:
                    raise Forbidden("Only the members of this group can set goals here. `/goal add` works anywhere.")
                group = await session.get(PairGroup, group_id)
            else:
                live = await live_groups(session, guild_id, user_id)
                group = live[0][0] if live else None
            row = Goal(
                guild_id=guild_id,
                user_id=user_id,
                text=cleaned,
                due=due,
                status=GoalStatus.OPEN,
                created_at=self.clock.now(),
                group_id=group.id if group else None,
            )
            session.add(row)
            await session.flush()
            return GoalChange(goal_view(row), group.thread_id if group else None)

    async def finish_goal(self, guild_id: int, user_id: int, ref: str, status: GoalStatus) -> GoalChange:
        """``done`` or ``drop`` one of the member's own open goals (``ref`` is its id, from autocomplete)."""
        async with self.db.transaction() as session:
            row = await session.get(Goal, int(ref)) if ref.strip().isdigit() else None
            if row is None or row.guild_id != guild_id or row.user_id != user_id or row.status != GoalStatus.OPEN:
                # Someone else's goal is reported exactly like a missing one.
                raise NotFound("That isn't one of your open goals. Pick one from the list (`/goal list` shows them).")
            row.status, row.closed_at = status, self.clock.now()
            groups = await live_groups(session, guild_id, user_id)
            thread_id = groups[0][0].thread_id if groups else None
            await session.flush()
            return GoalChange(goal_view(row), thread_id)

    async def goal_choices(self, guild_id: int, user_id: int, typed: str) -> list[GoalView]:
        needle = typed.strip().casefold()
        async with self.db.reader() as session:
            rows = await session.scalars(
                select(Goal)
                .where(Goal.guild_id == guild_id, Goal.user_id == user_id, Goal.status == GoalStatus.OPEN)
                .order_by(Goal.created_at.desc(), Goal.id.desc())
            )
            return [goal_view(r) for r in rows if needle in r.text.casefold()][:25]

    async def list_goals(self, guild_id: int, viewer_id: int, member_id: int) -> list[GoalView]:
        async with self.db.reader() as session:
            if member_id != viewer_id and member_id not in await self._partner_ids(session, guild_id, viewer_id):
                raise Forbidden("You can see another member's goals while you are their partner in a running round.")
            rows = await session.scalars(
                select(Goal)
                .where(Goal.guild_id == guild_id, Goal.user_id == member_id, Goal.status != GoalStatus.DROPPED)
                .order_by(Goal.status, Goal.created_at.desc(), Goal.id.desc())
                .limit(25)
            )
            return [goal_view(r) for r in rows]

    async def _partner_ids(self, session: AsyncSession, guild_id: int, user_id: int) -> set[int]:
        groups = await live_groups(session, guild_id, user_id)
        members = await group_member_ids(session, [g.id for g, _ in groups])
        return {uid for ids in members.values() for uid in ids if uid != user_id}

    # ----- status and history ----------------------------------------------------------------------

    async def status(self, guild_id: int, user_id: int) -> PairStatus:
        circle_names = {c.id: c.name for c in await self.circles.circles_of(guild_id, user_id)}
        async with self.db.reader() as session:
            groups = await live_groups(session, guild_id, user_id)
            members = await group_member_ids(session, [g.id for g, _ in groups])
            pool = list(
                await session.scalars(
                    select(PairPoolEntry.circle_id).where(
                        PairPoolEntry.guild_id == guild_id, PairPoolEntry.user_id == user_id
                    )
                )
            )
            settings = await session.get(PairSettings, (guild_id, user_id))
            schedules = (
                await session.execute(
                    select(PairSchedule, Circle)
                    .join(Circle, Circle.id == PairSchedule.circle_id)
                    .where(PairSchedule.circle_id.in_(pool))
                )
            ).all()
            held = await self._held_slots(session, [row.circle_id for row, _ in schedules])
        partner_ids = sorted({uid for ids in members.values() for uid in ids if uid != user_id})
        profiles = await self.profiles.get_many(guild_id, partner_ids)
        partnerships = []
        seen: set[int] = set()
        for group, round_ in groups:
            if round_.circle_id in seen:
                continue  # only the latest group per circle is current
            seen.add(round_.circle_id)
            partnerships.append(
                Partnership(
                    round_.circle_id,
                    circle_names.get(round_.circle_id, "a circle"),
                    tuple(card(profiles[uid]) for uid in members[group.id] if uid != user_id),
                    group.thread_id,
                    round_.ends_at,
                )
            )
        now = self.clock.now()
        next_rounds = tuple(
            (circle.name, upcoming(round_spec(row, circle.timezone), now, held.get(row.circle_id, set())).starts_at)
            for row, circle in schedules
        )
        names = tuple(circle_names[cid] for cid in pool if cid in circle_names)
        return PairStatus(tuple(partnerships), names, settings.snoozed_until if settings else None, next_rounds)

    async def history(self, guild_id: int, user_id: int) -> list[HistoryEntry]:
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(PairGroup, PairRound, Circle.name, PairGroupMember.met)
                    .join(PairRound, PairRound.id == PairGroup.round_id)
                    .join(Circle, Circle.id == PairRound.circle_id)
                    .join(PairGroupMember, PairGroupMember.group_id == PairGroup.id)
                    .where(PairGroupMember.guild_id == guild_id, PairGroupMember.user_id == user_id)
                    .order_by(PairRound.started_at.desc())
                    .limit(HISTORY_LIMIT)
                )
            ).all()
            group_ids = [g.id for g, _, _, _ in rows]
            members = await group_member_ids(session, group_ids)
            answers: dict[int, list[bool | None]] = {gid: [] for gid in group_ids}
            for gid, met in (
                await session.execute(
                    select(PairGroupMember.group_id, PairGroupMember.met).where(PairGroupMember.group_id.in_(group_ids))
                )
            ).all():
                answers[gid].append(met)
            goals = (
                await session.execute(
                    select(Goal.group_id, Goal.status).where(
                        Goal.guild_id == guild_id, Goal.user_id == user_id, Goal.group_id.in_(group_ids)
                    )
                )
            ).all()
        entries = []
        for group, round_, name, _own in rows:
            mine = [status for gid, status in goals if gid == group.id]
            entries.append(
                HistoryEntry(
                    name,
                    round_.started_at,
                    tuple(uid for uid in members[group.id] if uid != user_id),
                    met_outcome(answers[group.id]),
                    sum(s == GoalStatus.DONE for s in mine),
                    len(mine),
                )
            )
        return entries

    # ----- privacy ---------------------------------------------------------------------------------

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The member's own pairing data. Their own avoid list is theirs to see; nobody else's is here."""
        async with self.db.reader() as session:
            pool = (
                await session.execute(
                    select(Circle.name, PairPoolEntry.joined_at)
                    .join(Circle, Circle.id == PairPoolEntry.circle_id)
                    .where(PairPoolEntry.guild_id == guild_id, PairPoolEntry.user_id == user_id)
                )
            ).all()
            settings = await session.get(PairSettings, (guild_id, user_id))
            avoided = list(
                await session.scalars(
                    select(PairAvoid.avoided_user_id).where(
                        PairAvoid.guild_id == guild_id, PairAvoid.user_id == user_id
                    )
                )
            )
            goals = list(
                await session.scalars(
                    select(Goal).where(Goal.guild_id == guild_id, Goal.user_id == user_id).order_by(Goal.created_at)
                )
            )
        history = await self.history(guild_id, user_id)
        return {
            "pool": [{"circle": name, "joined_at": joined.isoformat()} for name, joined in pool],
            "snoozed_until": settings.snoozed_until.isoformat() if settings and settings.snoozed_until else None,
            "avoiding_user_ids": [str(uid) for uid in avoided],
            "rounds": [
                {
                    "circle": h.circle_name,
                    "started_at": h.started_at.isoformat(),
                    "partner_user_ids": [str(uid) for uid in h.partner_ids],
                    "met": h.met,
                }
                for h in history
            ],
            "goals": [
                {
                    "text": g.text,
                    "due": g.due.isoformat() if g.due else None,
                    "status": str(g.status),
                    "created_at": g.created_at.isoformat(),
                    "closed_at": g.closed_at.isoformat() if g.closed_at else None,
                    "outcome": str(g.outcome) if g.outcome else None,
                }
                for g in goals
            ],
        }

    async def forget_member(self, guild_id: int, user_id: int) -> list[tuple[int, int]]:
        """Deletes the member's pairing data; other members' history keeps their own rows intact.

        Another member's avoid entry naming this member is that member's private choice and stays.
        """
        async with self.db.transaction() as session:
            for model in (PairPoolEntry, PairSettings, PairGroupMember, Goal):
                await session.execute(delete(model).where(model.guild_id == guild_id, model.user_id == user_id))
            await session.execute(delete(PairAvoid).where(PairAvoid.guild_id == guild_id, PairAvoid.user_id == user_id))
            await session.execute(
                update(Goal)
                .where(Goal.guild_id == guild_id, Goal.confirmed_by_user_id == user_id)
                .values(confirmed_by_user_id=None)
            )
            for row in await session.scalars(select(PairRound).where(PairRound.guild_id == guild_id)):
                if user_id in row.pool or any(entry[0] == user_id for entry in row.sat_out):
                    row.pool = [uid for uid in row.pool if uid != user_id]
                    row.sat_out = [entry for entry in row.sat_out if entry[0] != user_id]
        return []


def met_outcome(answers: list[bool | None]) -> str:
    yes, no = answers.count(True), answers.count(False)
    if yes >= 2:
        return "met (confirmed)"
    if yes == 1 and no == 0:
        return "met"
    if no:
        return "didn't meet"
    return "no answer"
