"""Database.write, the path of the hottest writes: the same results on SQLite (writer thread) and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from bot.db import Database, state
from bot.db.engine import insert_or_ignore, upsert
from bot.db.state import BotState


async def test_write_commits_and_returns_rows(db: Database) -> None:
    statement = upsert(db, BotState, ["key"], ["value"]).returning(BotState.key, BotState.value)
    assert await db.write(statement, {"key": "a", "value": "1"}) == [("a", "1")]
    assert await db.write(statement, {"key": "a", "value": "2"}) == [("a", "2")]  # the conflict updates
    ignore = insert_or_ignore(db, BotState, ["key"]).returning(BotState.key)
    assert await db.write(ignore, {"key": "a", "value": "3"}) == []  # the conflict does nothing
    # Many parameter sets in one transaction; a statement without RETURNING returns no rows.
    await db.write(upsert(db, BotState, ["key"], ["value"]), [{"key": k, "value": k} for k in "bcd"])
    changed = update(BotState).where(BotState.key == bindparam("k")).values(value=bindparam("v"))
    assert await db.write(changed, [{"k": "b", "v": "B"}, {"k": "c", "v": "C"}]) == []
    async with db.reader() as session:
        rows = {key: value for key, value in await session.execute(select(BotState.key, BotState.value))}
    assert rows == {"a": "2", "b": "B", "c": "C", "d": "d"}


async def test_concurrent_writes_all_land(db: Database) -> None:
    await asyncio.gather(*(state.set_value(db, f"k{i}", str(i)) for i in range(50)))
    for i in (0, 25, 49):
        assert await state.get_value(db, f"k{i}") == str(i)


async def test_a_failed_write_raises_and_the_next_one_works(db: Database) -> None:
    insert = upsert(db, BotState, ["key"], ["value"])
    with pytest.raises(IntegrityError):
        await db.write(insert, {"key": "x", "value": None})  # value is NOT NULL
    await db.write(insert, {"key": "x", "value": "ok"})
    assert await state.get_value(db, "x") == "ok"


async def test_a_missing_parameter_is_an_error_not_a_null(db: Database) -> None:
    changed = update(BotState).where(BotState.key == bindparam("k")).values(value=bindparam("v"))
    await state.set_value(db, "y", "kept")
    with pytest.raises((ValueError, StatementError)):
        await db.write(changed, {"k": "y"})
    assert await state.get_value(db, "y") == "kept"


async def test_a_database_that_cannot_be_opened_fails_the_write_instead_of_hanging(tmp_path: Path) -> None:
    (tmp_path / "a-folder.db").mkdir()  # SQLite cannot open a folder as its file
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'a-folder.db'}")
    try:
        for _ in range(2):  # and the writer is still there for the next write
            with pytest.raises(OperationalError):
                await asyncio.wait_for(
                    broken.write(upsert(broken, BotState, ["key"], ["value"]), {"key": "k", "value": "v"}), 5
                )
    finally:
        await broken.dispose()


def test_one_sqlite_writer_serves_one_loop_after_another_and_releases_its_pipe(tmp_path: Path) -> None:
    """Results come back through a pipe the running loop watches; a later loop takes the pipe over
    (each test, and each restart of asyncio.run, has its own loop), and dispose closes it."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'loops.db'}")

    async def create() -> None:
        async with database.engine.begin() as conn:
            await conn.run_sync(BotState.metadata.create_all)

    async def write(value: str) -> str | None:
        await asyncio.gather(*(state.set_value(database, f"k{i}", value) for i in range(5)))
        return await state.get_value(database, "k4")

    asyncio.run(create())
    assert asyncio.run(write("first")) == "first"
    assert asyncio.run(write("second")) == "second"
    writer = database._writer
    assert writer is not None and writer._pipe is not None

    async def dispose() -> None:
        await write("third")
        await database.dispose()

    asyncio.run(dispose())
    assert writer._pipe is None
