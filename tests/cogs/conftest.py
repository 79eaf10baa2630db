"""A real CirclesBot (never logged in) over a migrated SQLite copy, with the circle and profile cogs loaded."""

from __future__ import annotations

import pytest

import cogs.circles
import cogs.profiles
from bot.client import CirclesBot
from bot.clock import FixedClock
from bot.db import Database
from bot.scheduling import FakeScheduler
from bot.services import Services


@pytest.fixture
async def bot(database: Database, clock: FixedClock) -> CirclesBot:
    client = CirclesBot(Services.build(database, clock, FakeScheduler()), sync_commands=False)
    await cogs.circles.setup(client)
    await cogs.profiles.setup(client)
    return client
