"""A real CirclesBot (never logged in) over a migrated SQLite copy, with the circle and profile cogs loaded."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import cogs.circles
import cogs.profiles
from bot.client import CirclesBot
from bot.clock import FixedClock
from bot.db import Database
from bot.scheduling import FakeScheduler
from bot.services import Services


@pytest.fixture
async def database(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    path = tmp_path / "cogs.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def bot(database: Database, clock: FixedClock) -> CirclesBot:
    client = CirclesBot(Services.build(database, clock, FakeScheduler()), sync_commands=False)
    await cogs.circles.setup(client)
    await cogs.profiles.setup(client)
    return client
