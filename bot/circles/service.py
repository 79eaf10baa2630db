"""Circle use cases: create, edit, delete, membership, listing. Host rules are checked here, at run time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actors import Actor
from bot.circles.models import Circle, CircleMember
from bot.clock import Clock
from bot.db import Database
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.timeparse import parse_timezone

NAME_MAX = 50
MISSING = "That circle does not exist (any more). `/circle list` shows the circles here."
SNAPSHOT_MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True)
class CircleView:
    id: int
    guild_id: int
    name: str
    channel_id: int
    voice_channel_id: int | None
    role_id: int | None
    host_role_id: int | None
    timezone: str

    @classmethod
    def of(cls, row: Circle) -> CircleView:
        return cls(
            id=row.id,
            guild_id=row.guild_id,
            name=row.name,
            channel_id=row.channel_id,
            voice_channel_id=row.voice_channel_id,
            role_id=row.role_id,
            host_role_id=row.host_role_id,
            timezone=row.timezone,
        )


@dataclass(frozen=True)
class GuildSnapshot:
    loaded_at: datetime
    circles: dict[int, CircleView]  # by id, in name order
    members: dict[int, dict[int, None]]  # circle id → member ids in join order (a dict keeps the order)


@dataclass(frozen=True)
class CircleSummary:
    circle: CircleView
    member_count: int


@dataclass(frozen=True)
class CircleEdit:
    """The outcome of an edit: the circle before and after, so callers can re-plan what moved."""

    before: CircleView
    after: CircleView

    @property
    def timezone_changed(self) -> bool:
        return self.before.timezone != self.after.timezone


@dataclass(frozen=True)
class Membership:
    circle: CircleView
    changed: bool  # False when the member was already in (join) or already out (leave)


def is_host(actor: Actor, circle: CircleView) -> bool:
    """A host has Manage Server, or the circle's host role."""
    return actor.manages_guild or (circle.host_role_id is not None and circle.host_role_id in actor.role_ids)


def require_host(actor: Actor, circle: CircleView) -> None:
    if not is_host(actor, circle):
        role = f" or the <@&{circle.host_role_id}> role" if circle.host_role_id else ""
        raise Forbidden(f"Only hosts of **{circle.name}** can do that (Manage Server{role}).")


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= NAME_MAX:
        raise InvalidInput(f"A circle name must be 1–{NAME_MAX} characters (yours has {len(cleaned)}).")
    return cleaned


class CircleService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._snapshots: dict[int, GuildSnapshot] = {}

    async def create(
        self,
        actor: Actor,
        *,
        name: str,
        channel_id: int,
        voice_channel_id: int | None = None,
        role_id: int | None = None,
        host_role_id: int | None = None,
        timezone: str | None = None,
    ) -> CircleView:
        if not actor.manages_guild and not await self._hosts_any_circle(actor):
            raise Forbidden("Only hosts can create circles (Manage Server, or a circle's host role).")
        name = clean_name(name)
        tz = parse_timezone(timezone) if timezone else "UTC"
        try:
            async with self.db.transaction() as session:
                await self._ensure_name_free(session, actor.guild_id, name)
                row = Circle(
                    guild_id=actor.guild_id,
                    name=name,
                    name_key=name.casefold(),
                    channel_id=channel_id,
                    voice_channel_id=voice_channel_id,
                    role_id=role_id,
                    host_role_id=host_role_id,
                    timezone=tz,
                    created_at=self.clock.now(),
                )
                session.add(row)
                await session.flush()
                return CircleView.of(row)
        finally:
            self._changed(actor.guild_id)  # after the commit, so no reader caches the old state

    async def edit(
        self,
        actor: Actor,
        circle_id: int,
        *,
        name: str | None = None,
        channel_id: int | None = None,
        voice_channel_id: int | None = None,
        role_id: int | None = None,
        host_role_id: int | None = None,
        timezone: str | None = None,
    ) -> CircleEdit:
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = clean_name(name)
        if timezone is not None:
            changes["timezone"] = parse_timezone(timezone)
        for key, value in (
            ("channel_id", channel_id),
            ("voice_channel_id", voice_channel_id),
            ("role_id", role_id),
            ("host_role_id", host_role_id),
        ):
            if value is not None:
                changes[key] = value
        if not changes:
            raise InvalidInput(
                "Nothing to change: give at least one of name, channel, voice, role, host_role, timezone."
            )
        try:
            async with self.db.transaction() as session:
                row = await self._load(session, actor.guild_id, circle_id)
                before = CircleView.of(row)
                require_host(actor, before)
                if "name" in changes and changes["name"].casefold() != row.name_key:
                    await self._ensure_name_free(session, actor.guild_id, changes["name"])
                for key, value in changes.items():
                    setattr(row, key, value)
                row.name_key = row.name.casefold()
                return CircleEdit(before=before, after=CircleView.of(row))
        finally:
            self._changed(actor.guild_id)  # after the commit, so no reader caches the old state

    async def check_can_delete(self, actor: Actor, circle_id: int) -> CircleView:
        circle = await self.get(actor.guild_id, circle_id)
        require_host(actor, circle)
        return circle

    async def delete(self, actor: Actor, circle_id: int) -> CircleView:
        """Removes the circle; memberships and schedules go with it (ON DELETE CASCADE)."""
        try:
            async with self.db.transaction() as session:
                row = await self._load(session, actor.guild_id, circle_id)
                circle = CircleView.of(row)
                require_host(actor, circle)
                await session.delete(row)
                return circle
        finally:
            self._changed(actor.guild_id)  # after the commit, so no reader caches the old state

    async def join(self, guild_id: int, user_id: int, circle_id: int) -> Membership:
        try:
            async with self.db.transaction() as session:
                circle = CircleView.of(await self._load(session, guild_id, circle_id))
                existing = await session.get(CircleMember, (circle_id, user_id))
                if existing is not None:
                    return Membership(circle, changed=False)
                session.add(
                    CircleMember(circle_id=circle_id, user_id=user_id, guild_id=guild_id, joined_at=self.clock.now())
                )
                return Membership(circle, changed=True)
        finally:
            self._changed(guild_id)  # after the commit, so no reader caches the old state

    async def leave(self, guild_id: int, user_id: int, circle_id: int) -> Membership:
        try:
            async with self.db.transaction() as session:
                circle = CircleView.of(await self._load(session, guild_id, circle_id))
                existing = await session.get(CircleMember, (circle_id, user_id))
                if existing is None:
                    return Membership(circle, changed=False)
                await session.delete(existing)
                return Membership(circle, changed=True)
        finally:
            self._changed(guild_id)  # after the commit, so no reader caches the old state

    async def get(self, guild_id: int, circle_id: int) -> CircleView:
        circle = (await self._snapshot(guild_id)).circles.get(circle_id)
        if circle is None:
            raise NotFound(MISSING)
        return circle

    async def resolve(self, guild_id: int, ref: str | None) -> CircleView:
        """The circle an option names: the id autocomplete filled in, a typed name, or the only circle."""
        circles = list((await self._snapshot(guild_id)).circles.values())
        if not circles:
            raise NotFound("This server has no circles yet. A host can make one with `/circle create`.")
        if ref is None or not ref.strip():
            if len(circles) == 1:
                return circles[0]
            raise InvalidInput("This server has several circles: pick one in the `circle` option.")
        wanted = ref.strip()
        for circle in circles:
            if str(circle.id) == wanted or circle.name.casefold() == wanted.casefold():
                return circle
        raise NotFound(f"No circle called `{wanted[:60]}` here. `/circle list` shows them all.")

    async def autocomplete(self, guild_id: int, typed: str, limit: int = 25) -> list[CircleView]:
        needle = typed.strip().casefold()
        circles = (await self._snapshot(guild_id)).circles.values()
        return [c for c in circles if needle in c.name.casefold()][:limit]

    async def summaries(self, guild_id: int) -> list[CircleSummary]:
        snapshot = await self._snapshot(guild_id)
        return [CircleSummary(c, len(snapshot.members[c.id])) for c in snapshot.circles.values()]

    async def member_ids(self, guild_id: int, circle_id: int) -> list[int]:
        snapshot = await self._snapshot(guild_id)
        if circle_id not in snapshot.circles:
            raise NotFound(MISSING)
        return list(snapshot.members[circle_id])

    async def is_member(self, guild_id: int, circle_id: int, user_id: int) -> bool:
        return user_id in (await self._snapshot(guild_id)).members.get(circle_id, {})

    async def circles_of(self, guild_id: int, user_id: int) -> list[CircleView]:
        snapshot = await self._snapshot(guild_id)
        return [c for c in snapshot.circles.values() if user_id in snapshot.members[c.id]]

    async def _snapshot(self, guild_id: int) -> GuildSnapshot:
        """The guild's circles and members, read once and kept until a write here changes them.

        Interactions for a guild reach only the process that owns its shard, so that process sees every
        write; the age limit bounds staleness if a guild ever moves between processes.
        """
        now = self.clock.now()
        cached = self._snapshots.get(guild_id)
        if cached is not None and now - cached.loaded_at < SNAPSHOT_MAX_AGE:
            return cached
        async with self.db.reader() as session:
            rows = await session.scalars(select(Circle).where(Circle.guild_id == guild_id).order_by(Circle.name_key))
            circles = {row.id: CircleView.of(row) for row in rows}
            members: dict[int, dict[int, None]] = {cid: {} for cid in circles}
            for circle_id, user_id in await session.execute(
                select(CircleMember.circle_id, CircleMember.user_id)
                .where(CircleMember.guild_id == guild_id)
                .order_by(CircleMember.joined_at)
            ):
                members.setdefault(circle_id, {})[user_id] = None
        snapshot = GuildSnapshot(now, circles, members)
        self._snapshots[guild_id] = snapshot
        return snapshot

    def _changed(self, guild_id: int) -> None:
        self._snapshots.pop(guild_id, None)

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        async with self.db.reader() as session:
            rows = await session.execute(
                select(Circle.name, CircleMember.joined_at)
                .join(Circle, Circle.id == CircleMember.circle_id)
                .where(CircleMember.guild_id == guild_id, CircleMember.user_id == user_id)
            )
            return {"circles": [{"circle": name, "joined_at": joined.isoformat()} for name, joined in rows.all()]}

    async def forget_member(self, guild_id: int, user_id: int) -> list[tuple[int, int]]:
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    delete(CircleMember).where(CircleMember.guild_id == guild_id, CircleMember.user_id == user_id)
                )
        finally:
            self._changed(guild_id)  # after the commit, so no reader caches the old state
        return []  # memberships are never shown in a message of their own

    async def _hosts_any_circle(self, actor: Actor) -> bool:
        if not actor.role_ids:
            return False
        async with self.db.reader() as session:
            found = await session.scalar(
                select(Circle.id).where(Circle.guild_id == actor.guild_id, Circle.host_role_id.in_(actor.role_ids))
            )
            return found is not None

    @staticmethod
    async def _load(session: AsyncSession, guild_id: int, circle_id: int) -> Circle:
        row = await session.get(Circle, circle_id)
        # A circle of another guild is reported exactly like a missing one: nothing leaks across guilds.
        if row is None or row.guild_id != guild_id:
            raise NotFound(MISSING)
        return row

    @staticmethod
    async def _ensure_name_free(session: AsyncSession, guild_id: int, name: str) -> None:
        taken = await session.scalar(
            select(Circle.id).where(Circle.guild_id == guild_id, Circle.name_key == name.casefold())
        )
        if taken is not None:
            raise Conflict(f"There is already a circle called **{name}** here. Pick another name.")
