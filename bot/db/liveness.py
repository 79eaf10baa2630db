"""Which bot processes are alive: a row per process with a heartbeat ("alive until" mark).

Claims record the process that holds them. When that process dies (SIGKILL, a lost machine), its
heartbeat stops; once it is older than ``DEAD_AFTER`` any other process may take the claims over,
seconds after a restart instead of waiting out a whole lease, while a live process elsewhere keeps its
own. The same mark ends voice sessions at start-up: presence is never counted past the last moment
the process that recorded it was known to be alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import String, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.clock import Clock
from bot.db.base import Base, UTCDateTime
from bot.db.engine import Database, upsert

log = logging.getLogger(__name__)

# A heartbeat every BEAT; a process silent for DEAD_AFTER is dead (three missed beats and some slack
# for a loaded event loop). Rows of processes gone for KEEP are deleted at start-up.
BEAT = timedelta(seconds=5)
DEAD_AFTER = timedelta(seconds=20)
KEEP = timedelta(days=7)


class BotProcess(Base):
    __tablename__ = "bot_processes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alive_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the last heartbeat
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # a clean shutdown


BEAT_STATEMENT = update(BotProcess).where(BotProcess.id == bindparam("pid")).values(alive_at=bindparam("now"))


class Liveness:
    def __init__(self, db: Database, clock: Clock, process_id: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.process_id = process_id or uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Register this process and keep its heartbeat going until ``stop()``."""
        now = self.clock.now()
        await self.db.write(
            upsert(self.db, BotProcess, ["id"], ["alive_at", "stopped_at"]),
            {
                "id": self.process_id,
                "host": f"{socket.gethostname()}:{os.getpid()}"[:255],
                "started_at": now,
                "alive_at": now,
                "stopped_at": None,
            },
        )
        async with self.db.transaction() as session:
            await session.execute(delete(BotProcess).where(BotProcess.alive_at < now - KEEP))
        if self._task is None:
            self._task = asyncio.create_task(self._beat_forever(), name="liveness-heartbeat")

    async def beat(self) -> datetime:
        now = self.clock.now()
        await self.db.write(BEAT_STATEMENT, {"pid": self.process_id, "now": now})
        return now

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(BEAT.total_seconds())
            try:
                await self.beat()
            except Exception:
                # A database hiccup: the next beat tries again; DEAD_AFTER leaves room for a few misses.
                log.warning("heartbeat failed", exc_info=True)

    async def stop(self) -> None:
        """A clean shutdown: others may take this process's claims over right away."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        now = self.clock.now()
        async with self.db.transaction() as session:
            await session.execute(
                update(BotProcess).where(BotProcess.id == self.process_id).values(alive_at=now, stopped_at=now)
            )

    async def last_alive(self, session: AsyncSession, process_ids: Collection[str]) -> dict[str, datetime]:
        """Each known process's last heartbeat (a missing id is a process long gone)."""
        if not process_ids:
            return {}
        rows = await session.execute(select(BotProcess.id, BotProcess.alive_at).where(BotProcess.id.in_(process_ids)))
        return {pid: alive for pid, alive in rows.all()}

    async def gone_since(self, session: AsyncSession, process_ids: Collection[str]) -> dict[str, datetime]:
        """When each other process counts as dead: right at its clean stop, else its last heartbeat plus
        DEAD_AFTER. This process is never listed (it is alive), nor is an unknown one: its claims wait
        out their lease."""
        others = [pid for pid in set(process_ids) if pid != self.process_id]
        if not others:
            return {}
        rows = await session.execute(
            select(BotProcess.id, BotProcess.alive_at, BotProcess.stopped_at).where(BotProcess.id.in_(others))
        )
        return {pid: stopped if stopped is not None else alive + DEAD_AFTER for pid, alive, stopped in rows.all()}
