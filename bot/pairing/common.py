"""Helpers shared by the pairing service and its rounds: row → result conversions and common queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.claims import LIVE
from bot.errors import InvalidInput
from bot.pairing.matching import MAX_SIZE, MIN_SIZE
from bot.pairing.models import Cadence, Goal, PairGroup, PairGroupMember, PairRound, PairSchedule
from bot.pairing.results import GoalView, MemberCard
from bot.pairing.timeline import RoundSpec
from bot.profiles.service import ProfileView
from bot.timeparse import parse_days

GOAL_MAX = 200


def card(profile: ProfileView) -> MemberCard:
    return MemberCard(profile.user_id, profile.zone, profile.hours_text, profile.offers, profile.asks)


def goal_view(row: Goal) -> GoalView:
    return GoalView(
        row.id,
        row.user_id,
        row.text,
        row.due,
        str(row.status),
        str(row.outcome) if row.outcome else None,
        row.confirmed_by_user_id,
    )


def round_spec(row: PairSchedule, timezone: str) -> RoundSpec:
    return RoundSpec(
        row.weekday, time(row.minute // 60, row.minute % 60), Cadence(row.cadence).days, timezone, row.anchor
    )


def parse_weekday(text: str) -> int:
    try:
        days = parse_days(text)
    except InvalidInput:
        days = frozenset()
    if len(days) != 1:
        raise InvalidInput(f"`{text[:30]}` is not a weekday. Use one day, like `monday` or `mon`.")
    return next(iter(days))


def parse_cadence(text: str | None) -> Cadence:
    if text is None:
        return Cadence.WEEKLY
    try:
        return Cadence(text.strip().lower())
    except ValueError:
        raise InvalidInput(f"`{text[:30]}` is not a cadence. Use `weekly` or `biweekly`.") from None


def check_size(size: int | None) -> int:
    if size is None:
        return MIN_SIZE
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise InvalidInput(f"Groups can have {MIN_SIZE} to {MAX_SIZE} members (you asked for {size}).")
    return size


def clean_goal(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput("A goal needs some words, up to 200 characters.")
    if len(cleaned) > GOAL_MAX:
        raise InvalidInput(f"A goal can be at most {GOAL_MAX} characters (yours has {len(cleaned)}).")
    return cleaned


async def live_groups(session: AsyncSession, guild_id: int, user_id: int) -> list[tuple[PairGroup, PairRound]]:
    """The member's groups in rounds still running (newest first)."""
    rows = await session.execute(
        select(PairGroup, PairRound)
        .join(PairRound, PairRound.id == PairGroup.round_id)
        .join(PairGroupMember, PairGroupMember.group_id == PairGroup.id)
        .where(
            PairGroupMember.guild_id == guild_id,
            PairGroupMember.user_id == user_id,
            PairRound.status.in_(LIVE),
        )
        .order_by(PairRound.started_at.desc(), PairGroup.id.desc())
    )
    return [(group, round_) for group, round_ in rows.all()]


async def group_member_ids(session: AsyncSession, group_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(group_ids)
    members: dict[int, list[int]] = {gid: [] for gid in ids}
    if not ids:
        return members
    rows = await session.execute(
        select(PairGroupMember.group_id, PairGroupMember.user_id)
        .where(PairGroupMember.group_id.in_(ids))
        .order_by(PairGroupMember.group_id, PairGroupMember.user_id)
    )
    for group_id, user_id in rows.all():
        members[group_id].append(user_id)
    return members
