"""Read-only queries over other features' tables (voice sessions, sprints, standups, goals, profiles).

Stats own none of these tables; they only read them, always inside one guild. Open voice sessions and
open sprint joins count up to "now" (a member still in the room), a running sprint up to its plan's end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.circles.models import Circle, CircleMember
from bot.db.claims import OccurrenceStatus
from bot.focus.models import Sprint, SprintJoin, SprintParticipant, VoiceSession
from bot.focus.presence import Interval
from bot.focus.timeline import Plan
from bot.pairing.models import Goal, GoalStatus
from bot.profiles.models import Profile
from bot.standups.models import StandupAnswer, StandupOccurrence
from bot.stats.timesheet import SPRINT, VOICE, Activity

DELETED_CIRCLE = "(deleted circle)"
STREAM_SLICE = 500


def _overlaps(
    start_col: InstrumentedAttribute[datetime],
    end_col: InstrumentedAttribute[datetime | None],
    since: datetime | None,
    until: datetime,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [start_col < until]
    if since is not None:
        conditions.append(or_(end_col.is_(None), end_col > since))
    return conditions


def _sprint_end(sprint: Sprint) -> datetime:
    plan = Plan(sprint.started_at, sprint.focus_minutes, sprint.break_minutes, sprint.rounds)
    return min(sprint.ended_at, plan.ends_at) if sprint.ended_at is not None else plan.ends_at


def _clip(start: datetime, end: datetime | None, now: datetime, cap: datetime | None = None) -> Interval:
    stop = end if end is not None else now
    if cap is not None:
        stop = min(stop, cap)
    return (start, max(start, stop))


async def member_presence(
    session: AsyncSession, guild_id: int, user_id: int, since: datetime | None, until: datetime, now: datetime
) -> list[Interval]:
    """The member's time in this guild's circle rooms and in sprints joined by button or command."""
    voice = (
        await session.execute(
            select(VoiceSession.started_at, VoiceSession.ended_at).where(
                VoiceSession.guild_id == guild_id,
                VoiceSession.user_id == user_id,
                *_overlaps(VoiceSession.started_at, VoiceSession.ended_at, since, until),
            )
        )
    ).all()
    joins = (
        await session.execute(
            select(SprintJoin.started_at, SprintJoin.ended_at, Sprint)
            .join(Sprint, Sprint.id == SprintJoin.sprint_id)
            .where(
                SprintJoin.guild_id == guild_id,
                SprintJoin.user_id == user_id,
                *_overlaps(SprintJoin.started_at, SprintJoin.ended_at, since, until),
            )
        )
    ).all()
    spans = [_clip(start, end, now) for start, end in voice]
    spans += [_clip(start, end, now, _sprint_end(sprint)) for start, end, sprint in joins]
    return spans


async def member_activities(
    session: AsyncSession, guild_id: int, user_id: int, since: datetime, until: datetime, now: datetime
) -> list[Activity]:
    """The member's voice sessions and sprints in [since, until), for the timesheet."""
    voice = (
        await session.execute(
            select(VoiceSession.started_at, VoiceSession.ended_at, Circle.name)
            .outerjoin(Circle, Circle.id == VoiceSession.circle_id)
            .where(
                VoiceSession.guild_id == guild_id,
                VoiceSession.user_id == user_id,
                *_overlaps(VoiceSession.started_at, VoiceSession.ended_at, since, until),
            )
        )
    ).all()
    sprints = (
        await session.execute(
            select(SprintParticipant, Sprint)
            .join(Sprint, Sprint.id == SprintParticipant.sprint_id)
            .where(
                SprintParticipant.guild_id == guild_id,
                SprintParticipant.user_id == user_id,
                Sprint.started_at >= since,
                Sprint.started_at < until,
                SprintParticipant.focus_minutes.is_not(None),  # credited at the recap: the sprint is over
            )
        )
    ).all()
    out: list[Activity] = []
    for start, end, circle in voice:
        a, b = _clip(start, end, now)
        a, b = max(a, since), min(b, until)
        if b > a:
            out.append(Activity(VOICE, a, b, circle or DELETED_CIRCLE, None))
    for part, sprint in sprints:
        out.append(
            Activity(SPRINT, sprint.started_at, _sprint_end(sprint), sprint.circle_name, part.tag, part.focus_minutes)
        )
    return out


@dataclass(frozen=True)
class SprintTotals:
    joined: int
    minutes: int


async def member_sprints(
    session: AsyncSession, guild_id: int, user_id: int, since: datetime | None, until: datetime
) -> SprintTotals:
    """Sprints the member took part in (focus minutes credited, or still running with them in it)."""
    conditions = [
        SprintParticipant.guild_id == guild_id,
        SprintParticipant.user_id == user_id,
        Sprint.started_at < until,
        or_(SprintParticipant.focus_minutes > 0, Sprint.ended_at.is_(None)),
    ]
    if since is not None:
        conditions.append(Sprint.started_at >= since)
    joined, mins = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(SprintParticipant.focus_minutes), 0))
            .select_from(SprintParticipant)
            .join(Sprint, Sprint.id == SprintParticipant.sprint_id)
            .where(*conditions)
        )
    ).one()
    return SprintTotals(int(joined), int(mins or 0))


async def goals_done(
    session: AsyncSession, guild_id: int, user_ids: Iterable[int], since: datetime | None, until: datetime
) -> int:
    ids = list(user_ids)
    if not ids:
        return 0
    conditions = [
        Goal.guild_id == guild_id,
        Goal.user_id.in_(ids),
        Goal.status == GoalStatus.DONE,
        Goal.closed_at.is_not(None),
        Goal.closed_at < until,
    ]
    if since is not None:
        conditions.append(Goal.closed_at >= since)
    return int(await session.scalar(select(func.count()).select_from(Goal).where(*conditions)) or 0)


async def circle_presence(
    session: AsyncSession, guild_id: int, circle_id: int, since: datetime | None, until: datetime, now: datetime
) -> dict[int, list[Interval]]:
    """Each member's time in this circle's room and in this circle's sprints joined by button."""
    out: dict[int, list[Interval]] = {}
    # A big circle has tens of thousands of sessions in 12 weeks: read them in slices, handing the event
    # loop back between slices, so converting the rows never stalls it for long.
    connection = await session.connection()  # Core rows: no ORM loading on the way
    voice = await connection.stream(
        select(VoiceSession.user_id, VoiceSession.started_at, VoiceSession.ended_at).where(
            VoiceSession.guild_id == guild_id,
            VoiceSession.circle_id == circle_id,
            *_overlaps(VoiceSession.started_at, VoiceSession.ended_at, since, until),
        )
    )
    async for rows in voice.partitions(STREAM_SLICE):
        for user_id, start, end in rows:
            out.setdefault(user_id, []).append(_clip(start, end, now))
        await asyncio.sleep(0)
    joins = (
        await session.execute(
            select(SprintJoin.user_id, SprintJoin.started_at, SprintJoin.ended_at, Sprint)
            .join(Sprint, Sprint.id == SprintJoin.sprint_id)
            .where(
                Sprint.guild_id == guild_id,
                Sprint.circle_id == circle_id,
                *_overlaps(SprintJoin.started_at, SprintJoin.ended_at, since, until),
            )
        )
    ).all()
    for user_id, start, end, sprint in joins:
        out.setdefault(user_id, []).append(_clip(start, end, now, _sprint_end(sprint)))
    return out


async def circle_sprints(
    session: AsyncSession, guild_id: int, circle_id: int, since: datetime | None, until: datetime
) -> int:
    conditions = [Sprint.guild_id == guild_id, Sprint.circle_id == circle_id, Sprint.started_at < until]
    if since is not None:
        conditions.append(Sprint.started_at >= since)
    return int(await session.scalar(select(func.count()).select_from(Sprint).where(*conditions)) or 0)


@dataclass(frozen=True)
class HeldStandup:
    opens_at: datetime
    excused: tuple[int, ...]
    answered_by: frozenset[int]


async def circle_standups(
    session: AsyncSession, guild_id: int, circle_id: int, since: datetime | None, until: datetime
) -> list[HeldStandup]:
    """The circle's standups that were held (opened) in the window, with who answered."""
    conditions = [
        StandupOccurrence.guild_id == guild_id,
        StandupOccurrence.circle_id == circle_id,
        StandupOccurrence.opens_at < until,
        StandupOccurrence.status.in_([OccurrenceStatus.OPEN, OccurrenceStatus.CLOSING, OccurrenceStatus.CLOSED]),
    ]
    if since is not None:
        conditions.append(StandupOccurrence.opens_at >= since)
    occurrences = (
        await session.execute(
            select(StandupOccurrence.id, StandupOccurrence.opens_at, StandupOccurrence.excused).where(*conditions)
        )
    ).all()
    if not occurrences:
        return []
    answers: dict[int, set[int]] = {}
    for occ_id, user_id in (
        await session.execute(
            select(StandupAnswer.occurrence_id, StandupAnswer.user_id).where(
                StandupAnswer.occurrence_id.in_([o[0] for o in occurrences])
            )
        )
    ).all():
        answers.setdefault(occ_id, set()).add(user_id)
    return [
        HeldStandup(opens_at, tuple(excused or ()), frozenset(answers.get(occ_id, set())))
        for occ_id, opens_at, excused in occurrences
    ]


async def members_joined(session: AsyncSession, circle_id: int) -> dict[int, datetime]:
    rows = (
        await session.execute(
            select(CircleMember.user_id, CircleMember.joined_at).where(CircleMember.circle_id == circle_id)
        )
    ).all()
    return {user_id: joined for user_id, joined in rows}


async def hidden_members(session: AsyncSession, guild_id: int) -> set[int]:
    """Members of this guild who chose `/profile leaderboard hide`."""
    return set(
        await session.scalars(
            select(Profile.user_id).where(Profile.guild_id == guild_id, Profile.leaderboard_visible.is_(False))
        )
    )


__all__ = [
    "DELETED_CIRCLE",
    "HeldStandup",
    "SprintTotals",
    "circle_presence",
    "circle_sprints",
    "circle_standups",
    "goals_done",
    "hidden_members",
    "member_activities",
    "member_presence",
    "member_sprints",
    "members_joined",
]
