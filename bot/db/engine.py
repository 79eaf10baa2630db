"""Engine and unit of work. Services open one transaction per use case and commit once."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Executable, Insert, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.db.sqlite_writer import SQLiteWriter


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its folder (``data/`` on a fresh clone)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def sqlite_file_missing(url: str) -> bool:
    parsed = make_url(url)
    return (
        parsed.get_backend_name() == "sqlite"
        and bool(parsed.database)
        and parsed.database != ":memory:"
        and not Path(parsed.database or "").exists()
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while a writer commits; busy_timeout makes a second writer wait, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        ensure_sqlite_directory(url)
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, pool_pre_ping=not url.startswith("sqlite"))
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer: SQLiteWriter | None = None
        self._sync_writes: Engine | None = None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            # Hot single-statement writes on SQLite go to one writer thread on the same file (see
            # sqlite_writer for why not aiosqlite).
            self._sync_writes = create_engine(make_url(url).set(drivername="sqlite+pysqlite"), echo=echo)
            event.listen(self._sync_writes, "connect", _sqlite_pragmas)
            self._writer = SQLiteWriter(self._sync_writes)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block ends normally, rolls back when it raises."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work (nothing is committed)."""
        async with self.sessions() as session:
            yield session

    async def write(
        self, statement: Executable, parameters: dict[str, Any] | list[dict[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """One statement (one parameter set, or many) in its own transaction, committed; returns its
        RETURNING rows, if any.

        For hot single-statement writes (answers, standup openings). On SQLite it runs on the writer
        thread; elsewhere it is an ordinary asyncio transaction. Build the statement once (a module
        constant with bind parameters) and give every parameter; RETURNING values come as the driver
        gives them, so return ids and plain columns.
        """
        if self._writer is not None:
            return await self._writer.write(statement, parameters)
        async with self.engine.begin() as conn:
            result = await conn.execute(statement, parameters)
            return [tuple(row) for row in result.all()] if result.returns_rows else []

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._writer is not None and self._sync_writes is not None:
            await asyncio.to_thread(self._writer.close)
            self._writer.unwatch()
            self._sync_writes.dispose()


def insert_or_ignore(db: Database, model: type[Any], conflict_columns: list[str]) -> Insert:
    """INSERT … ON CONFLICT (columns) DO NOTHING, on SQLite and PostgreSQL alike: a claim that loses
    a race inserts nothing (and, with RETURNING, returns no row) instead of raising."""
    return _insert_or_ignore(db.dialect, model.__table__, tuple(conflict_columns))


def upsert(db: Database, model: type[Any], conflict_columns: list[str], update_columns: list[str]) -> Insert:
    """INSERT … ON CONFLICT (columns) DO UPDATE SET the given columns to the inserted values."""
    return _upsert(db.dialect, model.__table__, tuple(conflict_columns), tuple(update_columns))


# Statements are immutable, so each is built once: building `excluded` alone costs more than running it.
@functools.cache
def _insert_or_ignore(dialect: str, table: Table, conflict: tuple[str, ...]) -> Insert:
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(conflict))


@functools.cache
def _upsert(dialect: str, table: Table, conflict: tuple[str, ...], columns: tuple[str, ...]) -> Insert:
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = dialect_insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(conflict), set_={name: statement.excluded[name] for name in columns}
    )
