"""Start-up at scale: 10,000 circles with standup schedules, planned after READY.

Two figures:
- the real bot process against the emulator: the time from the last GUILD_CREATE the emulator sent to
  the bot's "planned N wake-ups" log line (every wake-up of every circle in the scheduler);
- the same planners in this process over the same database, counting the SQL statements they send
  (a handful, not one per circle).

    .venv/bin/python -m bench.startup [--circles 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.standups import CHANNELS_PER_GUILD, populate
from bot.clock import FixedClock
from bot.db import Database
from bot.db import migrate as migrations
from bot.scheduling import FakeScheduler, PlanScope
from bot.services import Services
from emulator import Emulator
from emulator.harness import TOKEN, BotProcess

PLANNED = re.compile(r"planned (\d+) wake-ups in (\d+) ms")


async def count_planning_queries(url: str, now: datetime) -> tuple[int, int, float]:
    """(statements, wake-ups, seconds) for one planning pass over every circle, in this process."""
    db = Database(url)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    scheduler = FakeScheduler()
    services = Services.build(db, FixedClock(now), scheduler)
    try:
        started = time.perf_counter()
        await services.standups.planner.plan(PlanScope(owned_guilds=lambda _g: True))
        return statements, len(scheduler.job_ids()), time.perf_counter() - started
    finally:
        await db.dispose()


async def run(circles: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    async with Emulator(token=TOKEN) as emu:
        host = emu.add_user("host")
        homes: list[tuple[int, int]] = []
        for g in range((circles + CHANNELS_PER_GUILD - 1) // CHANNELS_PER_GUILD):
            guild = emu.add_guild(f"Guild {g}", host)
            for c in range(min(CHANNELS_PER_GUILD, circles - len(homes))):
                homes.append((guild, emu.add_channel(guild, f"home-{c}")))
        bot = BotProcess(emu, workdir)
        await asyncio.to_thread(migrations.upgrade, bot.database_url)
        # The bot believes it is 07:00 UTC; every standup opens at 09:00 (nothing is due: planning only).
        now = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
        # Schedules set an hour ago: nothing was missed (a restart after a day down also records that day as
        # missed, one INSERT for all circles; see BENCHMARKS.md).
        await populate(bot.database_url, homes, 9 * 60, now - timedelta(hours=1))

        await bot.start(shifted_to=now)  # returns once the emulator sent READY and every GUILD_CREATE
        last_guild_create = time.monotonic()
        found: re.Match[str] | None = None

        def planned() -> bool:
            nonlocal found
            found = PLANNED.search(bot.log())
            return found is not None

        await emu.wait_until(planned, 60, "the planned log line")
        seen_planned = time.monotonic()
        assert found is not None
        await bot.stop()
        statements, wake_ups, in_process = await count_planning_queries(bot.database_url, now)
    return {
        "circles": circles,
        "guilds": len({g for g, _ in homes}),
        "last_guild_create_to_planned_s": seen_planned - last_guild_create,
        "bot_planning_ms": float(found[2]),
        "bot_wake_ups": float(found[1]),
        "statements": statements,
        "wake_ups_in_process": wake_ups,
        "in_process_planning_s": in_process,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--circles", type=int, default=10_000)
    args = parser.parse_args()
    r = asyncio.run(run(args.circles))
    print(f"circles / guilds                     {r['circles']:.0f} / {r['guilds']:.0f}")
    print(f"last GUILD_CREATE → all planned      {r['last_guild_create_to_planned_s']:.2f} s  (target < 1 s)")
    print(f"  the bot's own planning pass        {r['bot_planning_ms']:.0f} ms, {r['bot_wake_ups']:.0f} wake-ups")
    print(f"SQL statements for one pass          {r['statements']:.0f}  (a handful, not one per circle)")
    in_process_ms = r["in_process_planning_s"] * 1000
    print(f"  in this process                    {in_process_ms:.0f} ms, {r['wake_ups_in_process']:.0f} wake-ups")


if __name__ == "__main__":
    main()
