"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FixedClock
from bot.db import Database
from bot.db import migrate as migrations
from bot.db.models import metadata
from emulator import Driver, Emulator, World, default_world
from emulator.harness import TOKEN

POSTGRES_ENV = "TEST_POSTGRES_URL"
START = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # a Thursday


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy (running Alembic per test would dominate the suite's time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(sqlite_url(path))
    return path


async def admin(url: str, statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE cannot run inside one)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh database on the server TEST_POSTGRES_URL names, migrated to head, dropped afterwards.

    When the variable is set, an unreachable server is an error, never a skip: CI sets it on purpose.
    """
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        yield None
        return
    name = f"circles_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(base, f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        yield url
    finally:
        asyncio.run(admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_url: str | None
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "circles.db"
        shutil.copy(sqlite_template, path)
        database = Database(sqlite_url(path))
    else:
        if postgres_url is None:
            pytest.skip(f"PostgreSQL variant: set {POSTGRES_ENV} to run it (CI does)")
        database = Database(postgres_url)
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def database(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    """SQLite only, for tiers that test the Discord glue rather than the database (cogs, meta)."""
    path = tmp_path / "glue.db"
    shutil.copy(sqlite_template, path)
    db = Database(sqlite_url(path))
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


# --- the emulator, for the e2e and emulator tiers ----------------------------------------------------------


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN) as emulator:
        yield emulator
        # The strictness contract: only routes Discord has were used, and the emulator did not crash.
        assert emulator.unhandled == [], [(r.method, r.path) for r in emulator.unhandled]
        assert emulator.errors == [], emulator.errors


@pytest.fixture
def world(emu: Emulator) -> World:
    return default_world(emu)


@pytest.fixture
def drv(emu: Emulator) -> Driver:
    return Driver(emu)
