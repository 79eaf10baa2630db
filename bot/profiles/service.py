"""Profile use cases. Everything is per guild: the same person can keep different profiles elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.errors import InvalidInput
from bot.profiles.models import Profile
from bot.timeparse import format_hhmm, parse_timezone

ABOUT_MAX = 300
REASON_MAX = 200
AWAY_MAX_DAYS = 90


@dataclass(frozen=True)
class ProfileView:
    guild_id: int
    user_id: int
    timezone: str | None
    work_start: time | None
    work_end: time | None
    offers: str | None
    asks: str | None
    leaderboard_visible: bool
    standup_reminders: bool
    away_until: date | None
    away_reason: str | None

    @property
    def zone(self) -> str:
        """The member's timezone, or UTC when they have not set one."""
        return self.timezone or "UTC"

    @property
    def hours_text(self) -> str | None:
        if self.work_start is None or self.work_end is None:
            return None
        return f"{format_hhmm(self.work_start)}–{format_hhmm(self.work_end)}"

    def is_away_on(self, local_day: date) -> bool:
        return self.away_until is not None and local_day <= self.away_until

    @classmethod
    def default(cls, guild_id: int, user_id: int) -> ProfileView:
        return cls(guild_id, user_id, None, None, None, None, None, True, True, None, None)

    @classmethod
    def of(cls, row: Profile) -> ProfileView:
        return cls(
            guild_id=row.guild_id,
            user_id=row.user_id,
            timezone=row.timezone,
            work_start=_minutes_to_time(row.work_start),
            work_end=_minutes_to_time(row.work_end),
            offers=row.offers,
            asks=row.asks,
            leaderboard_visible=row.leaderboard_visible,
            standup_reminders=row.standup_reminders,
            away_until=row.away_until,
            away_reason=row.away_reason,
        )


def _minutes_to_time(value: int | None) -> time | None:
    return None if value is None else time(value // 60, value % 60)


def _clean_text(value: str | None, limit: int, what: str) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise InvalidInput(f"{what} can be at most {limit} characters (yours has {len(cleaned)}).")
    return cleaned or None


class ProfileService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def get(self, guild_id: int, user_id: int) -> ProfileView:
        async with self.db.reader() as session:
            row = await session.get(Profile, (guild_id, user_id))
            return ProfileView.of(row) if row else ProfileView.default(guild_id, user_id)

    async def get_many(self, guild_id: int, user_ids: list[int]) -> dict[int, ProfileView]:
        async with self.db.reader() as session:
            rows = await session.scalars(
                select(Profile).where(Profile.guild_id == guild_id, Profile.user_id.in_(user_ids))
            )
            found = {r.user_id: ProfileView.of(r) for r in rows}
        return {uid: found.get(uid) or ProfileView.default(guild_id, uid) for uid in user_ids}

    async def local_today(self, guild_id: int, user_id: int) -> date:
        profile = await self.get(guild_id, user_id)
        return self.clock.now().astimezone(ZoneInfo(profile.zone)).date()

    async def set_timezone(self, guild_id: int, user_id: int, name: str) -> ProfileView:
        tz = parse_timezone(name)
        return await self._update(guild_id, user_id, timezone=tz)

    async def set_hours(self, guild_id: int, user_id: int, start: time, end: time) -> ProfileView:
        if start == end:
            raise InvalidInput("Start and end must differ, e.g. `09:00` and `17:30`.")
        return await self._update(
            guild_id, user_id, work_start=start.hour * 60 + start.minute, work_end=end.hour * 60 + end.minute
        )

    async def set_about(self, guild_id: int, user_id: int, offers: str | None, asks: str | None) -> ProfileView:
        if offers is None and asks is None:
            raise InvalidInput("Give `offers`, `asks` or both (up to 300 characters each).")
        changes: dict[str, Any] = {}
        if offers is not None:
            changes["offers"] = _clean_text(offers, ABOUT_MAX, "Offers")
        if asks is not None:
            changes["asks"] = _clean_text(asks, ABOUT_MAX, "Asks")
        return await self._update(guild_id, user_id, **changes)

    async def set_leaderboard(self, guild_id: int, user_id: int, visible: bool) -> ProfileView:
        return await self._update(guild_id, user_id, leaderboard_visible=visible)

    async def set_standup_reminders(self, guild_id: int, user_id: int, enabled: bool) -> ProfileView:
        return await self._update(guild_id, user_id, standup_reminders=enabled)

    async def set_away(self, guild_id: int, user_id: int, until: date, reason: str | None) -> ProfileView:
        today = await self.local_today(guild_id, user_id)
        if until < today:
            raise InvalidInput("That date has passed. Give today or a later date, up to 90 days ahead.")
        if until > today + timedelta(days=AWAY_MAX_DAYS):
            raise InvalidInput(
                f"You can be away for at most {AWAY_MAX_DAYS} days (until {today + timedelta(days=90)})."
            )
        return await self._update(
            guild_id, user_id, away_until=until, away_reason=_clean_text(reason, REASON_MAX, "The reason")
        )

    async def back(self, guild_id: int, user_id: int) -> tuple[ProfileView, bool]:
        """Ends an away period; the flag says whether the member was away at all."""
        before = await self.get(guild_id, user_id)
        today = await self.local_today(guild_id, user_id)
        was_away = before.is_away_on(today)
        return await self._update(guild_id, user_id, away_until=None, away_reason=None), was_away

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        profile = await self.get(guild_id, user_id)
        return {
            "profile": {
                "timezone": profile.timezone,
                "working_hours": profile.hours_text,
                "offers": profile.offers,
                "asks": profile.asks,
                "leaderboard_visible": profile.leaderboard_visible,
                "standup_reminders": profile.standup_reminders,
                "away_until": profile.away_until.isoformat() if profile.away_until else None,
                "away_reason": profile.away_reason,
            }
        }

    async def forget_member(self, guild_id: int, user_id: int) -> list[tuple[int, int]]:
        async with self.db.transaction() as session:
            await session.execute(delete(Profile).where(Profile.guild_id == guild_id, Profile.user_id == user_id))
        return []  # profiles are never shown in a message

    async def _update(self, guild_id: int, user_id: int, **changes: Any) -> ProfileView:
        async with self.db.transaction() as session:
            row = await self._get_or_create(session, guild_id, user_id)
            for key, value in changes.items():
                setattr(row, key, value)
            await session.flush()
            return ProfileView.of(row)

    @staticmethod
    async def _get_or_create(session: AsyncSession, guild_id: int, user_id: int) -> Profile:
        row = await session.get(Profile, (guild_id, user_id))
        if row is None:
            row = Profile(guild_id=guild_id, user_id=user_id, leaderboard_visible=True, standup_reminders=True)
            session.add(row)
        return row
