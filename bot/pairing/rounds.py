"""A pairing round's life, claimed step by step through the shared claims (bot/db/claims.py).

1. **Claim**: the round's unique (circle, slot) row, inserted together with its seed, pool, groups and who
   sat out and why, in one transaction, before anything is said on Discord. A second claimer (another
   process, a retry) inserts nothing and walks away.
2. **Threads** (the cog, through bot/checkpoints.py): per group a private thread → its members added → the
   intro; each recorded before the next step. A claimer that died half-way is taken over once its process
   is gone, and the takeover finds what was already made.
3. **Open**: every group has its intro; the check-in and the close are planned.
4. **Check-in** (compare-and-set on ``checkin_sent_at``) with the gentle "we miss you" nudges.
5. **Close** (open → closing → closed): "Did you meet?" and the goals to confirm, per group.
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.circles.models import Circle, CircleMember
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import LIVE, Claims
from bot.db.claims import OccurrenceStatus as Status
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.pairing import matching
from bot.pairing.common import card, goal_view, group_member_ids, round_spec
from bot.pairing.models import (
    Cadence,
    Goal,
    GoalOutcome,
    PairAvoid,
    PairGroup,
    PairGroupMember,
    PairPoolEntry,
    PairRound,
    PairSchedule,
    PairSettings,
)
from bot.pairing.overlap import Hours, common_windows
from bot.pairing.quiet import last_activity
from bot.pairing.results import (
    CheckinGroup,
    CloseClaim,
    CloseGroup,
    GroupPlan,
    MetAnswer,
    Nudge,
    RoundClaim,
    SatOut,
)
from bot.pairing.timeline import CATCH_UP, DEFAULT_CYCLE_DAYS, cycle, is_quiet, local_instant, upcoming
from bot.pairing.wakeups import PairCheckin, PairClose, PairRoundDue, PairRoundRecovery, round_job_id
from bot.profiles.models import Profile
from bot.profiles.service import ProfileService, ProfileView
from bot.scheduling import PlanScope, Scheduler

NO_PARTNER = "no compatible partner this round"
TOO_FEW = "too few members in the pool this round"
# Above this many members the matching runs in a worker thread, so the event loop keeps answering.
THREAD_MATCHING_FROM = 60
CONCURRENT_CLAIMS = 4
RECOVERY_LIMIT = timedelta(days=1)


class PairingRounds:
    def __init__(
        self, db: Database, clock: Clock, scheduler: Scheduler, claims: Claims, profiles: ProfileService
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.claims = claims
        self.profiles = profiles
        self._claiming = asyncio.Semaphore(CONCURRENT_CLAIMS)

    # ----- claiming a round --------------------------------------------------------------------------

    async def claim_scheduled(self, circle_id: int, slot: str) -> RoundClaim | None:
        """The scheduled round of (circle, slot), or None when not due, skipped, or someone else has it."""
        now = self.clock.now()
        async with self.db.reader() as session:
            found = (
                await session.execute(
                    select(PairSchedule, Circle)
                    .join(Circle, Circle.id == PairSchedule.circle_id)
                    .where(PairSchedule.circle_id == circle_id)
                )
            ).first()
        if found is None:
            return None
        schedule, circle = found
        try:
            day = date.fromisoformat(slot)
        except ValueError:
            return None
        spec = round_spec(schedule, circle.timezone)
        starts = local_instant(day, spec.at, spec.timezone)
        if now < starts - timedelta(minutes=1) or now > starts + CATCH_UP:
            return await self.recover_slot(circle_id, slot)
        return await self._claim(circle, slot, schedule.size, Cadence(schedule.cadence).days)

    async def claim_now(self, circle_id: int) -> RoundClaim:
        """`/pair now` (the caller is a host: checked by the service before)."""
        async with self.db.reader() as session:
            circle = await session.get(Circle, circle_id)
            schedule = await session.get(PairSchedule, circle_id)
        if circle is None:
            raise NotFound("That circle does not exist (any more).")
        size = schedule.size if schedule else matching.MIN_SIZE
        days = Cadence(schedule.cadence).days if schedule else DEFAULT_CYCLE_DAYS
        slot = f"now:{self.clock.now():%Y-%m-%dT%H:%M}"
        claim = await self._claim(circle, slot, size, days)
        if claim is None:
            raise Conflict("A round for this circle started a moment ago. `/pair status` shows it.")
        return claim

    async def _claim(self, circle: Circle, slot: str, size: int, cadence_days: int) -> RoundClaim | None:
        # Many circles' rounds start in the same minute: a few claims at a time finish (and start
        # talking to Discord) quickly, where 200 interleaved claims would all finish together at the end.
        async with self._claiming:
            return await self._claim_one(circle, slot, size, cadence_days)

    async def _claim_one(self, circle: Circle, slot: str, size: int, cadence_days: int) -> RoundClaim | None:
        now = self.clock.now()
        # One session at a time, never one inside another: 200 rounds at once must not drain the pool.
        async with self.db.reader() as session:
            exists = await session.scalar(
                select(PairRound.id).where(PairRound.circle_id == circle.id, PairRound.slot == slot)
            )
            inputs = None if exists is not None else await self._problem(session, circle, size, now)
        if inputs is None:
            assert exists is not None
            return await self._recover(exists)
        problem, sat_out, profiles = inputs
        if len(problem.members) >= THREAD_MATCHING_FROM:
            result = await asyncio.to_thread(matching.match, problem)
        else:
            result = matching.match(problem)
        sat_out += [SatOut(uid, NO_PARTNER if len(problem.members) >= 2 else TOO_FEW) for uid in result.unplaced]
        times = cycle(now, cadence_days)
        async with self.db.transaction() as session:
            values = {
                "circle_id": circle.id,
                "guild_id": circle.guild_id,
                "slot": slot,
                "channel_id": circle.channel_id,
                "started_at": now,
                "checkin_at": times.checkin_at,
                "ends_at": times.ends_at,
                "size": size,
                "seed": problem.seed,
                "method": result.method,
                "pool": sorted(problem.members),
                "sat_out": [[s.user_id, s.reason] for s in sat_out],
            }
            status = Status.CLAIMED if result.groups else Status.CLOSED
            round_id = await self.claims.insert(session, PairRound, ["circle_id", "slot"], values, status=status)
            if round_id is None:
                return None  # another process claimed it between our read and our insert
            groups = []
            for position, members in enumerate(result.groups):
                group = PairGroup(round_id=round_id, guild_id=circle.guild_id, position=position, members_added=False)
                session.add(group)
                await session.flush()
                for uid in members:
                    session.add(PairGroupMember(group_id=group.id, user_id=uid, guild_id=circle.guild_id))
                groups.append(self._plan(group, members, profiles, now))
        return RoundClaim(
            round_id,
            circle.id,
            circle.name,
            circle.guild_id,
            circle.channel_id,
            now,
            times.checkin_at,
            times.ends_at,
            now,
            tuple(groups),
            tuple(sat_out),
        )

    async def _problem(
        self, session: AsyncSession, circle: Circle, size: int, now: datetime
    ) -> tuple[matching.Problem, list[SatOut], dict[int, ProfileView]]:
        pool = list(
            await session.scalars(
                select(PairPoolEntry.user_id)
                .join(
                    CircleMember,
                    (CircleMember.circle_id == PairPoolEntry.circle_id)
                    & (CircleMember.user_id == PairPoolEntry.user_id),
                )
                .where(PairPoolEntry.circle_id == circle.id)
                .order_by(PairPoolEntry.user_id)
            )
        )
        found = {
            row.user_id: ProfileView.of(row)
            for row in await session.scalars(
                select(Profile).where(Profile.guild_id == circle.guild_id, Profile.user_id.in_(pool))
            )
        }
        profiles = {uid: found.get(uid) or ProfileView.default(circle.guild_id, uid) for uid in pool}
        snoozes = {
            row.user_id: row.snoozed_until
            for row in await session.scalars(
                select(PairSettings).where(PairSettings.guild_id == circle.guild_id, PairSettings.user_id.in_(pool))
            )
        }
        sat_out: list[SatOut] = []
        members = []
        for uid in pool:
            today = now.astimezone(ZoneInfo(profiles[uid].zone)).date()
            until = snoozes.get(uid)
            if until is not None and until >= today:
                sat_out.append(SatOut(uid, "snoozed"))
            elif profiles[uid].is_away_on(today):
                sat_out.append(SatOut(uid, "away"))
            else:
                members.append(uid)
        avoid = frozenset(
            frozenset((a, b))
            for a, b in await session.execute(
                select(PairAvoid.user_id, PairAvoid.avoided_user_id).where(
                    PairAvoid.guild_id == circle.guild_id,
                    PairAvoid.user_id.in_(members),
                    PairAvoid.avoided_user_id.in_(members),
                )
            )
        )
        history = await self._history(session, circle.id)
        hours = {
            uid: Hours.of(profiles[uid].timezone, profiles[uid].work_start, profiles[uid].work_end) for uid in members
        }
        seed = random.SystemRandom().getrandbits(62)
        problem = matching.Problem(tuple(members), size, seed, hours, now.date(), history, avoid)
        return problem, sat_out, profiles

    @staticmethod
    async def _history(session: AsyncSession, circle_id: int) -> tuple[tuple[frozenset[int], ...], ...]:
        round_ids = list(
            await session.scalars(
                select(PairRound.id)
                .where(PairRound.circle_id == circle_id, PairRound.status != Status.MISSED)
                .order_by(PairRound.started_at.desc())
                .limit(matching.HISTORY_ROUNDS)
            )
        )
        if not round_ids:
            return ()
        rows = await session.execute(
            select(PairGroup.round_id, PairGroup.id, PairGroupMember.user_id)
            .join(PairGroupMember, PairGroupMember.group_id == PairGroup.id)
            .where(PairGroup.round_id.in_(round_ids))
        )
        by_round: dict[int, dict[int, set[int]]] = {rid: {} for rid in round_ids}
        for round_id, group_id, user_id in rows.all():
            by_round[round_id].setdefault(group_id, set()).add(user_id)
        return tuple(tuple(frozenset(g) for g in by_round[rid].values()) for rid in round_ids)

    def _plan(
        self, group: PairGroup, members: tuple[int, ...] | list[int], profiles: dict[int, ProfileView], now: datetime
    ) -> GroupPlan:
        cards = tuple(card(profiles[uid]) for uid in members)
        hours = [Hours.of(profiles[uid].timezone, profiles[uid].work_start, profiles[uid].work_end) for uid in members]
        common = tuple(common_windows(hours, now, now + timedelta(days=1)))
        return GroupPlan(
            group.id, group.position, cards, common, group.thread_id, group.members_added, group.intro_message_id
        )

    # ----- recovery ----------------------------------------------------------------------------------

    async def recover_slot(self, circle_id: int, slot: str) -> RoundClaim | None:
        async with self.db.reader() as session:
            found = await session.scalar(
                select(PairRound.id).where(PairRound.circle_id == circle_id, PairRound.slot == slot)
            )
        return await self._recover(found) if found is not None else None

    async def recover(self, round_id: int) -> RoundClaim | None:
        return await self._recover(round_id)

    async def _recover(self, round_id: int) -> RoundClaim | None:
        """Take over a round whose claimer died before its threads were all made."""
        async with self.db.transaction() as session:
            row = await session.get(PairRound, round_id)
            if row is None or row.status != Status.CLAIMED:
                return None
            if not await self.claims.take_over(session, PairRound, row):
                return None
            circle = await session.get(Circle, row.circle_id)
            assert circle is not None
            groups = list(
                await session.scalars(
                    select(PairGroup).where(PairGroup.round_id == round_id).order_by(PairGroup.position)
                )
            )
            members = await group_member_ids(session, [g.id for g in groups])
            claimed_at = row.claimed_at
        everyone = [uid for ids in members.values() for uid in ids]
        profiles = await self.profiles.get_many(row.guild_id, everyone)
        now = self.clock.now()
        return RoundClaim(
            row.id,
            row.circle_id,
            circle.name,
            row.guild_id,
            row.channel_id,
            row.started_at,
            row.checkin_at,
            row.ends_at,
            claimed_at,
            tuple(self._plan(g, members[g.id], profiles, now) for g in groups),
            tuple(SatOut(int(uid), str(reason)) for uid, reason in row.sat_out),
            recovered=True,
        )

    # ----- thread checkpoints ------------------------------------------------------------------------

    async def record_thread(self, group_id: int, thread_id: int) -> None:
        await self._set_group(group_id, thread_id=thread_id)

    async def record_members_added(self, group_id: int) -> None:
        await self._set_group(group_id, members_added=True)

    async def record_intro(self, group_id: int, message_id: int) -> None:
        await self._set_group(group_id, intro_message_id=message_id)

    async def record_close_message(self, group_id: int, message_id: int) -> None:
        await self._set_group(group_id, close_message_id=message_id)

    async def _set_group(self, group_id: int, **values: object) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(PairGroup).where(PairGroup.id == group_id).values(**values))

    async def recorded_threads(self, thread_ids: list[int]) -> set[int]:
        """Which of these threads some group already has."""
        if not thread_ids:
            return set()
        async with self.db.reader() as session:
            found = await session.scalars(select(PairGroup.thread_id).where(PairGroup.thread_id.in_(thread_ids)))
            return {tid for tid in found if tid is not None}

    async def mark_open(self, claim: RoundClaim) -> None:
        """Every group has its thread and intro: the cycle runs; its check-in and close are planned."""
        async with self.db.transaction() as session:
            opened = await self.claims.advance(session, PairRound, claim.round_id, Status.CLAIMED, Status.OPEN)
        if opened:
            self.scheduler.at(PairCheckin(claim.round_id), max(claim.checkin_at, self.clock.now()))
            self.scheduler.at(PairClose(claim.round_id), max(claim.ends_at, self.clock.now()))

    # ----- the check-in ------------------------------------------------------------------------------

    async def claim_checkin(self, round_id: int) -> list[CheckinGroup]:
        now = self.clock.now()
        async with self.db.transaction() as session:
            claimed = await self.claims.advance(
                session,
                PairRound,
                round_id,
                Status.OPEN,
                Status.OPEN,
                where=[PairRound.checkin_sent_at.is_(None)],
                checkin_sent_at=now,
            )
            if not claimed:
                return []
            row = await session.get(PairRound, round_id)
            assert row is not None
            if now >= row.ends_at:
                return []  # the bot was down through the check-in's time: the close says it all now
            groups = list(
                await session.scalars(
                    select(PairGroup).where(PairGroup.round_id == round_id, PairGroup.thread_id.is_not(None))
                )
            )
            members = await group_member_ids(session, [g.id for g in groups])
            everyone = [uid for ids in members.values() for uid in ids]
            seen = await last_activity(session, row.guild_id, everyone)
            result = []
            for group in groups:
                assert group.thread_id is not None
                ids = members[group.id]
                nudges = []
                for uid in ids:
                    partners = tuple(p for p in ids if p != uid)
                    if partners and is_quiet(seen.get(uid), row.started_at, now):
                        nudges.append(Nudge(uid, partners))
                if nudges:
                    await session.execute(
                        update(PairGroupMember)
                        .where(
                            PairGroupMember.group_id == group.id,
                            PairGroupMember.user_id.in_([n.quiet_user_id for n in nudges]),
                            PairGroupMember.nudged_at.is_(None),
                        )
                        .values(nudged_at=now)
                    )
                result.append(CheckinGroup(group.id, group.thread_id, tuple(ids), tuple(nudges), row.ends_at))
            return result

    # ----- the close ---------------------------------------------------------------------------------

    async def claim_close(self, round_id: int) -> CloseClaim | None:
        """The close: "Did you meet?" for every group still waiting for it (a takeover skips those sent)."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            claimed = await self.claims.advance(
                session, PairRound, round_id, Status.OPEN, Status.CLOSING, closed_at=now
            )
            if not claimed:
                row = await session.get(PairRound, round_id)
                if row is None or row.status != Status.CLOSING:
                    return None
                if not await self.claims.take_over(session, PairRound, row):
                    return None
            groups = list(
                await session.scalars(
                    select(PairGroup)
                    .where(
                        PairGroup.round_id == round_id,
                        PairGroup.thread_id.is_not(None),
                        PairGroup.close_message_id.is_(None),
                    )
                    .order_by(PairGroup.position)
                )
            )
            members = await group_member_ids(session, [g.id for g in groups])
            goals = list(
                await session.scalars(
                    select(Goal)
                    .where(Goal.group_id.in_([g.id for g in groups]))
                    .order_by(Goal.user_id, Goal.created_at)
                )
            )
        result = []
        for group in groups:
            assert group.thread_id is not None
            ids = members[group.id]
            mine = tuple(goal_view(g) for g in goals if g.group_id == group.id and g.user_id in ids)
            result.append(CloseGroup(group.id, group.thread_id, tuple(ids), mine))
        return CloseClaim(round_id, tuple(result), recovered=not claimed)

    async def mark_closed(self, round_id: int) -> None:
        async with self.db.transaction() as session:
            await self.claims.advance(session, PairRound, round_id, Status.CLOSING, Status.CLOSED)

    # ----- answers from the buttons ------------------------------------------------------------------

    async def answer_met(self, guild_id: int, user_id: int, group_id: int, met: bool) -> MetAnswer:
        async with self.db.transaction() as session:
            row = await session.get(PairGroupMember, (group_id, user_id))
            if row is None or row.guild_id != guild_id:
                raise Forbidden("Only the members of this pair can answer here.")
            row.met = met
            others = list(
                await session.scalars(
                    select(PairGroupMember.met).where(
                        PairGroupMember.group_id == group_id, PairGroupMember.user_id != user_id
                    )
                )
            )
        return MetAnswer(group_id, met, met in others)

    async def confirm_goal(self, guild_id: int, user_id: int, group_id: int, goal_id: int, done: bool) -> Goal:
        async with self.db.transaction() as session:
            me = await session.get(PairGroupMember, (group_id, user_id))
            goal = await session.get(Goal, goal_id)
            if me is None or me.guild_id != guild_id or goal is None or goal.group_id != group_id:
                raise Forbidden("Only the members of this pair can confirm its goals.")
            if goal.user_id == user_id:
                raise InvalidInput("Your partner confirms this one: it keeps you both honest.")
            goal.outcome = GoalOutcome.DONE if done else GoalOutcome.NOT_DONE
            goal.confirmed_by_user_id = user_id
            await session.flush()
            return goal

    # ----- planning ----------------------------------------------------------------------------------

    async def plan(self, scope: PlanScope) -> None:
        """(Re)schedule every pairing wake-up in scope with a handful of queries."""
        now = self.clock.now()
        async with self.db.reader() as session:
            query = select(PairSchedule, Circle).join(Circle, Circle.id == PairSchedule.circle_id)
            live_query = select(PairRound).where(PairRound.status.in_(LIVE))
            if scope.circle_id is not None:
                query = query.where(PairSchedule.circle_id == scope.circle_id)
                live_query = live_query.where(PairRound.circle_id == scope.circle_id)
            schedules = [(s, c) for s, c in (await session.execute(query)).all() if scope.covers(c.guild_id, c.id)]
            live = [r for r in await session.scalars(live_query) if scope.owned_guilds(r.guild_id)]
            unfinished = [r for r in live if r.status in (Status.CLAIMED, Status.CLOSING)]
            recovery = await self.claims.recovery_times(session, unfinished)
            held_rows = await session.execute(
                select(PairRound.circle_id, PairRound.slot).where(PairRound.started_at >= now - CATCH_UP * 4)
            )
            held: dict[int, set[str]] = {}
            for circle_id, key in held_rows.all():
                held.setdefault(circle_id, set()).add(key)
        for row in live:
            if row.status == Status.CLAIMED:
                if now - row.started_at > RECOVERY_LIMIT:
                    continue  # Discord has refused this round's threads for a day: stop retrying
                self.scheduler.at(PairRoundRecovery(row.id), max(recovery[row.id], now))
            elif row.status == Status.CLOSING:
                self.scheduler.at(PairClose(row.id), max(recovery[row.id], now))
            else:
                if row.checkin_sent_at is None and now < row.ends_at:
                    self.scheduler.at(PairCheckin(row.id), max(row.checkin_at, now))
                self.scheduler.at(PairClose(row.id), max(row.ends_at, now))
        if scope.circle_id is not None and not schedules:
            self.scheduler.cancel(round_job_id(scope.circle_id))
        for schedule, circle in schedules:
            slot = upcoming(round_spec(schedule, circle.timezone), now, held.get(circle.id, set()))
            self.scheduler.at(PairRoundDue(circle.id, slot.key), max(slot.starts_at, now))
