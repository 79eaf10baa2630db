"""The last sign of life of members (for "we miss you"): a standup answer, focus time, goal activity."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.focus.models import SprintJoin, VoiceSession
from bot.pairing.models import Goal
from bot.standups.models import StandupAnswer


async def last_activity(session: AsyncSession, guild_id: int, user_ids: Iterable[int]) -> dict[int, datetime]:
    """Each member's latest activity instant in the guild (members with none are absent)."""
    ids = list(user_ids)
    if not ids:
        return {}
    found: dict[int, datetime] = {}
    queries = [
        select(StandupAnswer.user_id, func.max(StandupAnswer.updated_at)).where(StandupAnswer.guild_id == guild_id),
        select(VoiceSession.user_id, func.max(func.coalesce(VoiceSession.ended_at, VoiceSession.started_at))).where(
            VoiceSession.guild_id == guild_id
        ),
        select(SprintJoin.user_id, func.max(func.coalesce(SprintJoin.ended_at, SprintJoin.started_at))).where(
            SprintJoin.guild_id == guild_id
        ),
        select(Goal.user_id, func.max(func.coalesce(Goal.closed_at, Goal.created_at))).where(Goal.guild_id == guild_id),
    ]
    for query in queries:
        model_user = query.selected_columns[0]
        rows = await session.execute(query.where(model_user.in_(ids)).group_by(model_user))
        for user_id, when in rows.all():
            if when is None:
                continue
            when = _aware(when)
            if user_id not in found or when > found[user_id]:
                found[user_id] = when
    return found


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
