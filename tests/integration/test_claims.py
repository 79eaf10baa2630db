"""The shared claims (bot/db/claims.py) on a real database: one winner among concurrent claimers, and a
take-over that waits for a live holder and moves in seconds after a dead one."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from bot.actors import Actor
from bot.circles.service import CircleService
from bot.clock import FixedClock
from bot.db import Database
from bot.db.claims import LEASE, Claims, OccurrenceStatus
from bot.db.liveness import DEAD_AFTER, Liveness
from bot.standups.models import StandupOccurrence

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = date(2026, 12, 1)


def occurrence(circle_id: int, day: date = DAY) -> dict[str, Any]:
    return {
        "circle_id": circle_id,
        "guild_id": 1,
        "local_date": day,
        "opens_at": T0,
        "closes_at": T0 + timedelta(hours=8),
        "reminder_at": None,
        "questions": ["q"],
        "channel_id": 5,
        "excused": [],
    }


class Process:
    """One bot process: its own engine, liveness and claims (several of them stand in for several hosts)."""

    def __init__(self, url: str, clock: FixedClock) -> None:
        self.db = Database(url)
        self.liveness = Liveness(self.db, clock)
        self.claims = Claims(self.db, clock, self.liveness)

    async def insert(self, circle_id: int) -> int | None:
        async with self.db.transaction() as session:
            return await self.claims.insert(
                session, StandupOccurrence, ["circle_id", "local_date"], occurrence(circle_id)
            )

    async def advance(self, row_id: int, expect: OccurrenceStatus, to: OccurrenceStatus) -> bool:
        async with self.db.transaction() as session:
            return await self.claims.advance(session, StandupOccurrence, row_id, expect, to)

    async def take_over(self, row_id: int) -> bool:
        async with self.db.transaction() as session:
            row = await session.get(StandupOccurrence, row_id)
            assert row is not None
            return await self.claims.take_over(session, StandupOccurrence, row)


@pytest.fixture
async def circle_id(db: Database) -> int:
    circle = await CircleService(db, FixedClock(T0)).create(Actor(1, 9, manages_guild=True), name="c", channel_id=5)
    return circle.id


@pytest.fixture
async def processes(db: Database) -> Any:
    clock = FixedClock(T0)
    made = [Process(db.url, clock) for _ in range(3)]
    yield clock, made
    for process in made:
        await process.liveness.stop()
        await process.db.dispose()


async def test_concurrent_unique_inserts_have_one_winner(processes: Any, circle_id: int, db: Database) -> None:
    _, procs = processes
    results = await asyncio.gather(*[p.insert(circle_id) for p in procs * 3])
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    async with db.reader() as session:
        rows = list(await session.scalars(select(StandupOccurrence)))
    assert [(r.id, r.status, r.claimed_at) for r in rows] == [(winners[0], OccurrenceStatus.CLAIMED, T0)]
    assert rows[0].claimed_by in {p.liveness.process_id for p in procs}


async def test_concurrent_compare_and_set_has_one_winner(processes: Any, circle_id: int) -> None:
    _, procs = processes
    row_id = await procs[0].insert(circle_id)
    assert row_id is not None
    results = await asyncio.gather(
        *[p.advance(row_id, OccurrenceStatus.CLAIMED, OccurrenceStatus.OPEN) for p in procs * 3]
    )
    assert sum(results) == 1
    # From the wrong status nothing moves.
    assert not await procs[1].advance(row_id, OccurrenceStatus.CLAIMED, OccurrenceStatus.CLOSED)


async def test_a_live_holder_keeps_its_claim_until_the_lease_ends(processes: Any, circle_id: int) -> None:
    clock, (holder, rescuer, _) = processes
    await holder.liveness.start()
    await rescuer.liveness.start()
    row_id = await holder.insert(circle_id)
    assert row_id is not None
    for _ in range(4):  # the holder keeps beating: it is alive
        clock.advance(DEAD_AFTER / 2)
        await holder.liveness.beat()
        assert not await rescuer.take_over(row_id)
    clock.set(T0 + LEASE)  # stuck for a whole lease, alive or not: taken over
    await holder.liveness.beat()
    assert await rescuer.take_over(row_id)


async def test_a_dead_holders_claim_is_taken_over_in_seconds_by_one_rescuer(
    processes: Any, circle_id: int, db: Database
) -> None:
    clock, (holder, *rescuers) = processes
    await holder.liveness.start()
    row_id = await holder.insert(circle_id)
    assert row_id is not None
    async with db.reader() as session:
        row = await session.get(StandupOccurrence, row_id)
        assert row is not None
        due = await rescuers[0].claims.recovery_times(session, [row])
    assert due == {row_id: T0 + DEAD_AFTER}  # well before the lease: the heartbeat says when
    # SIGKILL: no more beats, no clean stop. Within DEAD_AFTER nobody may take over.
    clock.advance(DEAD_AFTER - timedelta(seconds=1))
    assert not any(await asyncio.gather(*[r.take_over(row_id) for r in rescuers]))
    clock.advance(timedelta(seconds=1))
    assert sum(await asyncio.gather(*[r.take_over(row_id) for r in rescuers * 2])) == 1
    async with db.reader() as session:
        row = await session.get(StandupOccurrence, row_id)
        assert row is not None
    assert row.claimed_by in {r.liveness.process_id for r in rescuers} and row.claimed_at == clock.now()


async def test_a_clean_stop_hands_claims_over_at_once(processes: Any, circle_id: int) -> None:
    _, (holder, rescuer, _) = processes
    await holder.liveness.start()
    row_id = await holder.insert(circle_id)
    assert row_id is not None
    assert not await rescuer.take_over(row_id)
    await holder.liveness.stop()
    assert await rescuer.take_over(row_id)


async def test_an_unknown_holder_waits_out_the_lease(processes: Any, circle_id: int) -> None:
    clock, (holder, rescuer, _) = processes
    row_id = await holder.insert(circle_id)  # the holder never registered: nothing says it died
    assert row_id is not None
    clock.advance(LEASE - timedelta(seconds=1))
    assert not await rescuer.take_over(row_id)
    clock.advance(timedelta(seconds=1))
    assert await rescuer.take_over(row_id)


async def test_the_status_is_checked_by_the_database(db: Database, circle_id: int) -> None:
    async with db.transaction() as session:
        session.add(
            StandupOccurrence(**occurrence(circle_id), status=OccurrenceStatus.OPEN, claimed_at=T0, claimed_by=None)
        )
    # A bare string outside the enum is refused by SQLAlchemy before it is sent…
    with pytest.raises(StatementError):
        async with db.transaction() as session:
            session.add(StandupOccurrence(**occurrence(circle_id, date(2026, 12, 2)), status="opened", claimed_at=T0))
    # …and by the CHECK constraint when it comes through raw SQL.
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(text("UPDATE standup_occurrences SET status = 'opened'"))
