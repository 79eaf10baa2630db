"""Exactly-once scheduled work: claims on occurrence rows, shared by every ritual.

An *occurrence* is one scheduled thing that must happen once: a standup of (circle, local day), a sprint
phase of (sprint, phase), a pairing round of (circle, round), a digest of (circle, ISO week). Its row is
the claim, and only the process that won it talks to Discord:

- **claim by unique insert**: ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` on the occurrence's natural
  key; the loser gets no row back (``Claims.insert``);
- **claim by compare-and-set**: a conditional ``UPDATE`` from an expected status; exactly one caller sees
  one updated row (``Claims.advance``);
- **take over** a claim whose holder died half-way: allowed once the holder process is dead (its heartbeat
  stopped, ``bot.db.liveness``) or the lease ran out, itself a compare-and-set on the old ``claimed_at``
  so two rescuers cannot both win (``Claims.take_over``); ``Claims.recovery_times`` says when to wake up.

The claim commits before anything is sent, so restarts, retries and several processes cannot double a post.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Enum, String, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.clock import Clock
from bot.db.base import UTCDateTime
from bot.db.engine import Database, insert_or_ignore
from bot.db.liveness import Liveness

# However its holder looks, a claim unfinished this long is taken over (a live process stuck on it).
LEASE = timedelta(minutes=2)


class OccurrenceStatus(StrEnum):
    CLAIMED = "claimed"  # won; the side effects (thread, message) are under way
    OPEN = "open"  # posted; running until its close
    CLOSING = "closing"  # the close is claimed; its summary is under way
    CLOSED = "closed"  # done for good
    MISSED = "missed"  # its time passed while no process was up: recorded, never posted late


# Statuses whose claim may still need a process to act on it.
LIVE = (OccurrenceStatus.CLAIMED, OccurrenceStatus.OPEN, OccurrenceStatus.CLOSING)


def status_type() -> Enum:
    """A VARCHAR with a CHECK constraint (``ck_<table>_status``) on every database: no bare strings."""
    return Enum(
        OccurrenceStatus,
        name="status",
        native_enum=False,
        create_constraint=True,
        length=10,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Claimable:
    """Columns of an occurrence table: its status, and when and by which process it was last claimed."""

    status: Mapped[OccurrenceStatus] = mapped_column(status_type())
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)


class ClaimRow(Protocol):
    """What take-over needs to know of a row it read."""

    id: int
    status: OccurrenceStatus
    claimed_at: datetime
    claimed_by: str | None


class Claims:
    def __init__(self, db: Database, clock: Clock, liveness: Liveness) -> None:
        self.db = db
        self.clock = clock
        self.liveness = liveness

    @property
    def holder(self) -> str:
        return self.liveness.process_id

    def stamp(self, status: OccurrenceStatus = OccurrenceStatus.CLAIMED) -> dict[str, Any]:
        """The claim columns of a row this process claims now."""
        return {"status": status, "claimed_at": self.clock.now(), "claimed_by": self.holder}

    async def insert(
        self,
        session: AsyncSession,
        model: type[Any],
        conflict_columns: list[str],
        values: dict[str, Any],
        status: OccurrenceStatus = OccurrenceStatus.CLAIMED,
    ) -> int | None:
        """Claim by unique insert: the new row's id, or None when the occurrence exists already."""
        statement = insert_or_ignore(self.db, model, conflict_columns).values(**values, **self.stamp(status))
        inserted: int | None = await session.scalar(statement.returning(model.id))
        return inserted

    async def advance(
        self,
        session: AsyncSession,
        model: type[Any],
        row_id: int,
        expect: OccurrenceStatus | Sequence[OccurrenceStatus],
        to: OccurrenceStatus,
        *,
        where: Iterable[ColumnElement[bool]] = (),
        **values: Any,
    ) -> bool:
        """Claim by compare-and-set: move the row from an expected status to ``to``; True for the one winner."""
        expected = [expect] if isinstance(expect, OccurrenceStatus) else list(expect)
        result = await session.execute(
            update(model)
            .where(model.id == row_id, model.status.in_(expected), *where)
            .values(**values, **self.stamp(to))
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    async def take_over(self, session: AsyncSession, model: type[Any], row: ClaimRow, **values: Any) -> bool:
        """Take over a claim whose holder died (or whose lease ran out); True for the one rescuer."""
        now = self.clock.now()
        due = (await self.recovery_times(session, [row]))[row.id]
        if now < due:
            return False
        result = await session.execute(
            update(model)
            .where(model.id == row.id, model.status == row.status, model.claimed_at == row.claimed_at)
            .values(**values, claimed_at=now, claimed_by=self.holder)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    async def recovery_times(self, session: AsyncSession, rows: Sequence[ClaimRow]) -> dict[int, datetime]:
        """When each claim may be taken over: its holder's death, or the end of its lease, whichever is
        first. One query for all the holders, so planning many circles stays a handful of queries."""
        gone = await self.liveness.gone_since(session, {row.claimed_by for row in rows if row.claimed_by})
        times: dict[int, datetime] = {}
        for row in rows:
            lease_end = row.claimed_at + LEASE
            holder_gone = gone.get(row.claimed_by or "")
            times[row.id] = min(lease_end, holder_gone) if holder_gone is not None else lease_end
        return times
