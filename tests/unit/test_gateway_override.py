"""DISCORD_GATEWAY_URL also wins when sharding is automatic (discord.py then asks GET /gateway/bot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.client import CirclesBot
from bot.clock import SystemClock
from bot.db import Database
from bot.discord_seams import use_gateway
from bot.scheduling import FakeScheduler
from bot.services import Services


async def test_automatic_sharding_connects_to_the_configured_gateway(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    bot = CirclesBot(Services.build(db, SystemClock(), FakeScheduler()))
    asked: list[bool] = []

    async def discord_answer() -> Any:
        asked.append(True)
        return 3, "wss://gateway.discord.gg", {"total": 1000}

    bot.http.get_bot_gateway = discord_answer  # type: ignore[method-assign]  # Discord's answer, stood in for
    use_gateway(bot.http, "ws://127.0.0.1:9/gw")
    # The recommended shard count is kept; the URL is ours.
    assert await bot.http.get_bot_gateway() == (3, "ws://127.0.0.1:9/gw", {"total": 1000})
    assert asked == [True]
    await db.dispose()
