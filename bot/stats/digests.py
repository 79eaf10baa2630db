"""The weekly digest: Monday 09:00 circle time, exactly once per circle and ISO week.

A digest is an occurrence (bot/db/claims.py): its unique (circle, ISO week of the posting Monday) row is
the claim, committed before anything is posted. After downtime over the slot it is posted late, once,
until ``DIGEST_LATE_LIMIT`` after the slot (Monday 21:00); past that the week is recorded as missed and
never posted. A process that died half-way is taken over when its heartbeat stops (or the lease runs
out), and the poster looks for the message first (bot/checkpoints.py), so it is never doubled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.circles.models import Circle
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import Claims, OccurrenceStatus
from bot.db.engine import insert_or_ignore
from bot.scheduling import PlanScope, Scheduler, WakeUp
from bot.standups.answers import member_streak
from bot.stats import queries
from bot.stats.days import bucket_by_day, clip, iso_week_key, local_midnight, minutes, monday_of, week_monday
from bot.stats.figures import (
    DIGEST_LATE_LIMIT,
    DigestFigures,
    daily,
    digest_slot,
    expected_answers,
    longest_streaks,
)
from bot.stats.models import DigestOccurrence
from bot.stats.results import DigestClaim


@dataclass(frozen=True)
class DigestWake(WakeUp):
    """Post (or recover) one circle's digest of one week."""

    circle_id: int
    iso_week: str

    @property
    def job_id(self) -> str:
        return f"stats-digest:{self.circle_id}"


def due_week(now: datetime, zone: ZoneInfo, done: set[str], created_at: datetime) -> tuple[str, datetime]:
    """The digest to wait for: this week's, unless it is done, was never promised (the circle came
    later) or is past the late limit; then next week's. Returns (ISO week key, slot)."""
    monday = monday_of(now.astimezone(zone).date())
    key, slot = iso_week_key(monday), digest_slot(monday, zone)
    if key in done or slot < created_at or now - slot > DIGEST_LATE_LIMIT:
        monday += timedelta(weeks=1)
        key, slot = iso_week_key(monday), digest_slot(monday, zone)
    return key, slot


class DigestService:
    def __init__(self, db: Database, clock: Clock, scheduler: Scheduler, claims: Claims) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.claims = claims

    async def plan(self, scope: PlanScope) -> None:
        """Every owned circle's next digest wake-up, recoveries included, and this week's digest recorded missed
        where the bot was down past the late limit: a handful of queries whatever the number of circles."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            circles_query = select(Circle.id, Circle.guild_id, Circle.timezone, Circle.created_at, Circle.channel_id)
            rows_query = select(DigestOccurrence).where(DigestOccurrence.slot_at >= now - timedelta(days=8))
            if scope.circle_id is not None:
                circles_query = circles_query.where(Circle.id == scope.circle_id)
                rows_query = rows_query.where(DigestOccurrence.circle_id == scope.circle_id)
            circles = [c for c in (await session.execute(circles_query)).all() if scope.covers(c.guild_id, c.id)]
            rows = [r for r in await session.scalars(rows_query) if scope.owned_guilds(r.guild_id)]
            unfinished = [r for r in rows if r.status == OccurrenceStatus.CLAIMED]
            recovery = await self.claims.recovery_times(session, unfinished)
        if scope.circle_id is not None and not circles:
            self.scheduler.cancel(DigestWake(scope.circle_id, "").job_id)
            return
        done: dict[int, set[str]] = {}
        for row in rows:
            if row.status != OccurrenceStatus.CLAIMED:
                done.setdefault(row.circle_id, set()).add(row.iso_week)
        recovering = {row.circle_id: row for row in unfinished}
        missed: list[dict[str, Any]] = []
        for circle_id, guild_id, timezone, created_at, channel_id in circles:
            stuck = recovering.get(circle_id)
            if stuck is not None:
                self.scheduler.at(DigestWake(circle_id, stuck.iso_week), max(recovery[stuck.id], now))
                continue
            zone = ZoneInfo(timezone)
            monday = monday_of(now.astimezone(zone).date())
            this_key, this_slot = iso_week_key(monday), digest_slot(monday, zone)
            if this_key not in done.get(circle_id, set()) and created_at <= this_slot < now - DIGEST_LATE_LIMIT:
                # Down from the slot until past the late limit: this week's digest is recorded, never posted.
                missed.append(
                    {
                        "circle_id": circle_id,
                        "guild_id": guild_id,
                        "iso_week": this_key,
                        "slot_at": this_slot,
                        "channel_id": channel_id,
                        "late": False,
                        **self.claims.stamp(OccurrenceStatus.MISSED),
                    }
                )
            key, slot = due_week(now, zone, done.get(circle_id, set()), created_at)
            self.scheduler.at(DigestWake(circle_id, key), max(slot, now))
        if missed:
            # One statement for every circle (after downtime that may be all of them); a claim that raced
            # us to a row keeps it.
            async with self.db.transaction() as session:
                await session.execute(insert_or_ignore(self.db, DigestOccurrence, ["circle_id", "iso_week"]), missed)

    async def claim(self, wake: DigestWake) -> DigestClaim | None:
        """Win this week's digest (or take over a dead holder's), or record it missed; None: nothing to post."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            circle = await session.get(Circle, wake.circle_id)
            if circle is None:
                return None
            zone = ZoneInfo(circle.timezone)
            slot = digest_slot(week_monday(wake.iso_week), zone)
            if now < slot:
                return None  # woken early (a clock change): the planner puts it back at the slot
            row = (
                await session.scalars(
                    select(DigestOccurrence).where(
                        DigestOccurrence.circle_id == circle.id, DigestOccurrence.iso_week == wake.iso_week
                    )
                )
            ).first()
            recovered = False
            if row is None:
                late = now - slot > timedelta(minutes=1)
                values: dict[str, Any] = {
                    "circle_id": circle.id,
                    "guild_id": circle.guild_id,
                    "iso_week": wake.iso_week,
                    "slot_at": slot,
                    "channel_id": circle.channel_id,
                    "late": late,
                }
                if now - slot > DIGEST_LATE_LIMIT:
                    await session.execute(
                        insert_or_ignore(self.db, DigestOccurrence, ["circle_id", "iso_week"]).values(
                            **values, **self.claims.stamp(OccurrenceStatus.MISSED)
                        )
                    )
                    return None
                digest_id = await self.claims.insert(session, DigestOccurrence, ["circle_id", "iso_week"], values)
                if digest_id is None:
                    return None  # another process won it
            elif row.status == OccurrenceStatus.CLAIMED:
                if not await self.claims.take_over(session, DigestOccurrence, row):
                    return None  # its holder is alive: the planner wakes us when it may be taken over
                digest_id, late, recovered = row.id, row.late, True
            else:
                return None  # posted or missed already
            channel_id, name, guild_id = circle.channel_id, circle.name, circle.guild_id
            timezone = circle.timezone
        figures = await self.figures(
            guild_id, wake.circle_id, timezone, week_monday(wake.iso_week) - timedelta(weeks=1)
        )
        return DigestClaim(
            digest_id=digest_id,
            guild_id=guild_id,
            circle_id=wake.circle_id,
            circle_name=name,
            channel_id=channel_id,
            iso_week=wake.iso_week,
            slot_at=slot,
            late=late,
            recovered=recovered,
            figures=figures,
        )

    async def record_posted(self, digest_id: int, message_id: int) -> None:
        async with self.db.transaction() as session:
            await self.claims.advance(
                session,
                DigestOccurrence,
                digest_id,
                OccurrenceStatus.CLAIMED,
                OccurrenceStatus.CLOSED,
                message_id=message_id,
            )

    async def record_failed(self, digest_id: int) -> None:
        """Discord refused the post (the channel is gone or closed to the bot): missed, not retried."""
        async with self.db.transaction() as session:
            await self.claims.advance(
                session, DigestOccurrence, digest_id, OccurrenceStatus.CLAIMED, OccurrenceStatus.MISSED
            )

    async def figures(self, guild_id: int, circle_id: int, timezone: str, monday: date) -> DigestFigures:
        """The week from ``monday`` (circle time) against the week before it."""
        zone = ZoneInfo(timezone)
        start, end = local_midnight(monday, zone), local_midnight(monday + timedelta(weeks=1), zone)
        before = local_midnight(monday - timedelta(weeks=1), zone)
        now = self.clock.now()
        async with self.db.reader() as session:
            presence = await queries.circle_presence(session, guild_id, circle_id, before, end, now)
            joined = await queries.members_joined(session, circle_id)
            hidden = await queries.hidden_members(session, guild_id)
            held = await queries.circle_standups(session, guild_id, circle_id, start, end)
            goals = await queries.goals_done(session, guild_id, joined, start, end)
            streaks = {
                uid: await member_streak(session, guild_id, uid, circle_id, now) for uid in joined if uid not in hidden
            }
        per_day: dict[date, int] = {}
        for spans in presence.values():
            for day, span in bucket_by_day(clip(spans, before, end), zone).items():
                per_day[day] = per_day.get(day, 0) + int(span.total_seconds())
        by_day_minutes = {d: minutes(timedelta(seconds=s)) for d, s in per_day.items()}
        this_week = daily(by_day_minutes, monday)
        last_week = daily(by_day_minutes, monday - timedelta(weeks=1))
        return DigestFigures(
            week_monday=monday,
            minutes=minutes(timedelta(seconds=sum(s for d, s in per_day.items() if d >= monday))),
            previous_minutes=minutes(timedelta(seconds=sum(s for d, s in per_day.items() if d < monday))),
            daily_minutes=this_week,
            previous_daily_minutes=last_week,
            standups_held=len(held),
            answers=sum(len(h.answered_by & set(joined)) for h in held),
            expected_answers=expected_answers(joined, [(h.opens_at, h.excused) for h in held]),
            goals_done=goals,
            streaks=longest_streaks(streaks, hidden),
            new_members=tuple(uid for uid, at in sorted(joined.items(), key=lambda j: j[1]) if start <= at < end),
            members=len(joined),
        )
