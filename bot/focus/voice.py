"""Co-working time from voice: every VOICE_STATE_UPDATE in a circle's room becomes a durable session.

Voice updates are the hot event, so nothing here queries per event. ``record`` only appends the event
(with the instant it arrived) to an in-memory queue; one task applies the events in arrival order to
the open sessions kept in memory (``presence.transition``) and buffers the resulting inserts and ends.
Every ``FLUSH_SECONDS`` (or at once when ``BATCH_MAX`` changes are waiting) the buffer is written in two
statements (many rows each) through ``Database.write`` (the SQLite writer thread). A session is durable
from its first flush on; one that the process leaves open (a crash) is ended at start-up at that
process's last alive mark (``bot.db.liveness``), and the voice states Discord reports in GUILD_CREATE open
new ones. So a crash loses at most the time between the last heartbeat and the crash (``liveness.BEAT``)
plus the unflushed half second; downtime is never presence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, bindparam, select, update

from bot.circles.models import Circle
from bot.circles.service import CircleService
from bot.clock import Clock
from bot.db import Database
from bot.db.engine import insert_or_ignore
from bot.db.liveness import Liveness
from bot.focus.models import VoiceSession
from bot.focus.presence import Closed, Opened, OpenSession, Room, counted_room, reconcile_end, transition

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.5
BATCH_MAX = 1000  # a batch this big is written at once (bounded writes, bounded memory)
# A guild's rooms are read from the circle snapshot at most this often: a circle edit (a new focus room)
# applies to voice events within this time, and a burst costs no await per event.
ROOMS_FRESH_SECONDS = 2.0

END_SESSION = (
    update(VoiceSession)
    .where(
        VoiceSession.guild_id == bindparam("g"),
        VoiceSession.user_id == bindparam("u"),
        VoiceSession.started_at == bindparam("s"),
    )
    .values(ended_at=bindparam("e"))
)
END_BY_ID = update(VoiceSession).where(VoiceSession.id == bindparam("sid")).values(ended_at=bindparam("e"))

Key = tuple[int, int]  # guild, user
SessionKey = tuple[int, int, datetime]  # guild, user, started_at


@dataclass(frozen=True)
class _Event:
    guild_id: int
    user_id: int
    channel_id: int | None
    afk_channel_id: int | None
    at: datetime


@dataclass(frozen=True)
class _GuildSeen:
    """A GUILD_CREATE: who sits in which voice channel now; ``gap_since``: the connection was lost then."""

    guild_id: int
    present: tuple[tuple[int, int], ...]  # (user id, channel id)
    afk_channel_id: int | None
    at: datetime
    gap_since: datetime | None


class VoicePresence:
    def __init__(self, db: Database, clock: Clock, circles: CircleService, liveness: Liveness) -> None:
        self.db = db
        self.clock = clock
        self.circles = circles
        self.liveness = liveness
        self._open: dict[Key, OpenSession] = {}
        self._in_guild: dict[int, set[int]] = {}  # guild → members with an open session (for GUILD_CREATE)
        self._events: deque[_Event | _GuildSeen] = deque()
        self._preloaded: dict[int, dict[int, Room]] = {}  # rooms read in bulk at start-up, used once
        self._room_cache: dict[int, tuple[float, dict[int, Room]]] = {}  # guild → (read at, rooms)
        self._inserts: dict[SessionKey, dict[str, Any]] = {}  # sessions not written yet (maybe ended too)
        self._ends: dict[SessionKey, datetime] = {}  # written sessions that ended since the last flush
        self._worker: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._full: asyncio.Task[None] | None = None  # a batch written early because it is full
        self._insert: Insert | None = None
        self.flushes = 0

    # ----- the hot path --------------------------------------------------------------------------

    def record(self, guild_id: int, user_id: int, channel_id: int | None, afk_channel_id: int | None) -> None:
        """A voice state update (no await, no query): queued with the instant it arrived."""
        self._events.append(_Event(guild_id, user_id, channel_id, afk_channel_id, self.clock.now()))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="voice-events")

    def guild_seen(
        self,
        guild_id: int,
        present: Iterable[tuple[int, int]],
        afk_channel_id: int | None,
        gap_since: datetime | None = None,
    ) -> None:
        """A GUILD_CREATE (at start-up, after a new gateway session, or a guild back from an outage),
        queued in order with the voice events: the guild's sessions are made to match it."""
        event = _GuildSeen(guild_id, tuple(present), afk_channel_id, self.clock.now(), gap_since)
        self._events.append(event)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="voice-events")

    async def _drain(self) -> None:
        while self._events:
            event = self._events.popleft()
            try:
                cached = self._room_cache.get(event.guild_id)
                if cached is not None and time.monotonic() - cached[0] < ROOMS_FRESH_SECONDS:
                    rooms = cached[1]  # the burst path: no await
                else:
                    rooms = await self._rooms(event.guild_id)
                    self._room_cache[event.guild_id] = (time.monotonic(), rooms)
                if isinstance(event, _GuildSeen):
                    self._match(event, rooms)
                    continue
                room = counted_room(event.channel_id, event.afk_channel_id, rooms)
                self._apply(
                    transition(
                        self._open.get((event.guild_id, event.user_id)), room, event.guild_id, event.user_id, event.at
                    )
                )
            except Exception:
                log.exception("voice event for guild %s could not be applied", event.guild_id)

    def _match(self, seen: _GuildSeen, rooms: dict[int, Room]) -> None:
        """After a gap (a new gateway session) the guild's open sessions end when the connection dropped,
        since what happened meanwhile is unknown; otherwise a session in the same room simply goes on.
        Whoever GUILD_CREATE shows in a room has a session from now; whoever it does not, none."""
        g = seen.guild_id
        if seen.gap_since is not None:
            for user_id in list(self._in_guild.get(g, ())):
                session = self._open[(g, user_id)]
                self._apply([Closed(session, max(session.started_at, min(seen.gap_since, seen.at)))])
        here: set[int] = set()
        for user_id, channel_id in seen.present:
            here.add(user_id)
            room = counted_room(channel_id, seen.afk_channel_id, rooms)
            self._apply(transition(self._open.get((g, user_id)), room, g, user_id, seen.at))
        for user_id in list(self._in_guild.get(g, set()) - here):
            session = self._open[(g, user_id)]
            self._apply([Closed(session, max(session.started_at, seen.at))])

    async def preload_rooms(self) -> None:
        """Every circle room in one query, for the GUILD_CREATE burst at start-up (each guild's rooms are
        used once; later events read the circle service's snapshot, which follows circle edits)."""
        self._preloaded = await self._all_rooms()

    async def _rooms(self, guild_id: int) -> dict[int, Room]:
        preloaded = self._preloaded.pop(guild_id, None)
        if preloaded is not None:
            return preloaded
        # The circle service's guild snapshot: cached, and dropped whenever a circle changes.
        rooms: dict[int, Room] = {}
        for summary in await self.circles.summaries(guild_id):
            voice = summary.circle.voice_channel_id
            if voice is not None and voice not in rooms:
                rooms[voice] = Room(summary.circle.id, voice)
        return rooms

    def _apply(self, changes: Iterable[Opened | Closed]) -> None:
        for change in changes:
            session = change.session
            key: SessionKey = (session.guild_id, session.user_id, session.started_at)
            if isinstance(change, Opened):
                self._open[(session.guild_id, session.user_id)] = session
                self._in_guild.setdefault(session.guild_id, set()).add(session.user_id)
                self._inserts[key] = {
                    "guild_id": session.guild_id,
                    "user_id": session.user_id,
                    "circle_id": session.circle_id,
                    "channel_id": session.channel_id,
                    "started_at": session.started_at,
                    "ended_at": None,
                    "holder": self.liveness.process_id,
                }
            else:
                self._open.pop((session.guild_id, session.user_id), None)
                self._in_guild.get(session.guild_id, set()).discard(session.user_id)
                if key in self._inserts:
                    self._inserts[key]["ended_at"] = change.ended_at
                else:
                    self._ends[key] = change.ended_at
        if len(self._inserts) + len(self._ends) >= BATCH_MAX:
            if self._full is None or self._full.done():
                self._full = asyncio.create_task(self._flush_now(), name="voice-flush-full")
        elif (self._inserts or self._ends) and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush_soon(), name="voice-flush")

    async def _flush_now(self) -> None:
        try:
            await self.flush()
        except Exception:
            log.exception("voice sessions could not be written; the next batch retries")

    async def _flush_soon(self) -> None:
        """Write the buffer every FLUSH_SECONDS for as long as there is something in it (events that come
        in while a batch is being written go into the next one)."""
        while self._inserts or self._ends:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception:
                log.exception("voice sessions could not be written; retrying")

    async def settle(self) -> None:
        """Apply the queued events and write everything now (before reading sessions)."""
        if self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)
        await self.flush()

    async def flush(self) -> None:
        inserts, self._inserts = self._inserts, {}
        ends, self._ends = self._ends, {}
        if not inserts and not ends:
            return
        try:
            if inserts:
                if self._insert is None:
                    self._insert = insert_or_ignore(self.db, VoiceSession, ["guild_id", "user_id", "started_at"])
                await self.db.write(self._insert, list(inserts.values()))
            if ends:
                await self.db.write(END_SESSION, [{"g": g, "u": u, "s": s, "e": e} for (g, u, s), e in ends.items()])
            self.flushes += 1
        except Exception:
            # Keep them for the next try (newer entries win).
            self._inserts = {**inserts, **self._inserts}
            self._ends = {**ends, **self._ends}
            raise

    # ----- what others read ------------------------------------------------------------------------

    def members_in(self, guild_id: int, channel_id: int) -> set[int]:
        return {s.user_id for s in self._open.values() if s.guild_id == guild_id and s.channel_id == channel_id}

    def open_sessions(self) -> list[OpenSession]:
        return list(self._open.values())

    # ----- start-up and gateway sessions ---------------------------------------------------------

    async def end_orphans(self, owned_guilds: Callable[[int], bool]) -> int:
        """At start-up: sessions another (stopped or dead) process left open end at its last alive mark."""
        me = self.liveness.process_id
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(VoiceSession.id, VoiceSession.guild_id, VoiceSession.started_at, VoiceSession.holder).where(
                        VoiceSession.ended_at.is_(None)
                    )
                )
            ).all()
            orphans = [row for row in rows if row.holder != me and owned_guilds(row.guild_id)]
            alive = await self.liveness.last_alive(session, {row.holder for row in orphans if row.holder})
        if orphans:
            await self.db.write(
                END_BY_ID,
                [
                    {"sid": row.id, "e": reconcile_end(row.started_at, alive.get(row.holder) if row.holder else None)}
                    for row in orphans
                ],
            )
        return len(orphans)

    async def _all_rooms(self) -> dict[int, dict[int, Room]]:
        """Every circle room in one query (start-up: thousands of guilds at once)."""
        async with self.db.reader() as session:
            rows = await session.execute(
                select(Circle.id, Circle.guild_id, Circle.voice_channel_id).where(Circle.voice_channel_id.is_not(None))
            )
            rooms: dict[int, dict[int, Room]] = {}
            for circle_id, guild_id, voice in rows.all():
                if voice is not None:
                    rooms.setdefault(guild_id, {}).setdefault(voice, Room(circle_id, voice))
        return rooms

    async def shutdown(self) -> None:
        """A clean stop: end every open session now and write it."""
        with contextlib.suppress(Exception):
            await self.settle()
        now = self.clock.now()
        for session in list(self._open.values()):
            self._apply([Closed(session, max(session.started_at, now))])
        if self._flusher is not None:
            self._flusher.cancel()
        await self.flush()
