"""Fan-out benchmark: 1,000 circles whose standups all open in the same minute.

The real bot process runs against the emulator with Discord's global limit of 50 requests/second
enforced; the database is SQLite, and with ``--database-url`` also PostgreSQL in the same run (a fresh
database is made on that server and dropped afterwards). Prints the time from the minute to the last
opening message, the requests sent, 429s received, duplicates, and the bot's CPU seconds per opening.

    .venv/bin/python -m bench.standups [--circles 1000] [--database-url postgresql+asyncpg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.profiling import sample
from bench.world import circle_rows
from bot.circles.models import Circle
from bot.db import Database
from bot.db import migrate as migrations
from bot.standups.models import StandupSchedule
from bot.standups.questions import DEFAULT_QUESTIONS
from emulator import Emulator
from emulator.harness import TOKEN, BotProcess

CHANNELS_PER_GUILD = 100
LEAD_SECONDS = 25  # the bot starts this long before the minute: time to connect and plan every wake-up


def ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


async def populate(url: str, homes: list[tuple[int, int]], open_minute: int, now: datetime) -> None:
    """Circles and daily 09:00 UTC schedules, written straight into the database (set-up, not measured)."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.execute(insert(Circle), circle_rows(homes, now))
            await session.execute(
                insert(StandupSchedule),
                [
                    {
                        "circle_id": i + 1,
                        "guild_id": g,
                        "open_minute": open_minute,
                        "days_mask": 127,
                        "timezone": None,
                        "window_hours": 8,
                        "reminder_minutes": None,
                        "questions": list(DEFAULT_QUESTIONS),
                        "paused": False,
                        "updated_at": now,
                    }
                    for i, (g, _c) in enumerate(homes)
                ],
            )
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def fresh_postgres(base_url: str) -> AsyncIterator[str]:
    """A new, empty database on the server of ``base_url``, dropped afterwards."""
    name = f"bench_standups_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def run(circles: int, profile: str | None = None, database_url: str | None = None) -> dict[str, float]:
    if database_url is not None:
        async with fresh_postgres(database_url) as url:
            return await _run(circles, profile, url)
    return await _run(circles, profile, None)


async def _run(circles: int, profile: str | None, database_url: str | None) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-standups-"))
    async with Emulator(token=TOKEN) as emu:
        host = emu.add_user("host")
        homes: list[tuple[int, int]] = []
        for g in range((circles + CHANNELS_PER_GUILD - 1) // CHANNELS_PER_GUILD):
            guild = emu.add_guild(f"Guild {g}", host)
            for c in range(min(CHANNELS_PER_GUILD, circles - len(homes))):
                homes.append((guild, emu.add_channel(guild, f"home-{c}")))

        bot = BotProcess(emu, workdir, database_url=database_url)
        await asyncio.to_thread(migrations.upgrade, bot.database_url)
        # The bot will believe it is 08:59:35 UTC when it starts; every standup opens at 09:00.
        minute = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
        await populate(bot.database_url, homes, 9 * 60, minute - timedelta(days=1))
        emu.global_rate_limit = 50

        launched = time.monotonic()
        await bot.start(shifted_to=minute - timedelta(seconds=LEAD_SECONDS))
        minute_at = launched + LEAD_SECONDS  # the monotonic instant the bot's clock reads 09:00
        await asyncio.sleep(max(0.0, minute_at - time.monotonic() - 0.5))
        cpu_before = bot.cpu_seconds()
        requests_before = len(emu.requests)
        spy = None
        if profile:
            # py-spy (pip install py-spy) samples the bot process through the fan-out.
            spy = await sample(bot.pid, profile, 30, rate=200)

        def openings() -> list[float]:
            return [
                r.t
                for r in emu.requests[requests_before:]
                if r.done
                and ok(r.status)
                and r.method == "POST"
                and r.path.endswith("/messages")
                and r.json
                and "components" in r.json
            ]

        await emu.wait_until(lambda: len(openings()) >= circles, 300, f"{circles} opening messages")
        cpu_after = bot.cpu_seconds()
        if spy is not None:
            await spy.wait()
        last = max(openings())
        sent = [r for r in emu.requests[requests_before:] if r.t <= last]
        # A request answered 429 did nothing (discord.py retries it): count only what Discord carried out.
        threads = Counter(r.path for r in sent if ok(r.status) and r.method == "POST" and r.path.endswith("/threads"))
        duplicates = sum(n - 1 for n in threads.values()) + max(0, len(openings()) - circles)
        log = bot.log()
        await bot.stop()
        unhandled = len(emu.unhandled)

    first = min(r.t for r in sent[:] if r.t >= minute_at - 1) if sent else last
    return {
        "first_request_after_minute": first - minute_at,
        "circles": circles,
        "seconds_to_last_opening": last - minute_at,
        "requests": len(sent),
        "floor_seconds": len(sent) / 50,
        "429s": emu.stats.get("429", 0),
        "duplicates": duplicates,
        "cpu_ms_per_opening": (cpu_after - cpu_before) * 1000 / circles,
        "unhandled_routes": unhandled,
        "errors_in_log": log.count("Traceback"),
    }


def report(name: str, result: dict[str, float]) -> None:
    ratio = result["seconds_to_last_opening"] / result["floor_seconds"]
    print(f"== {name}")
    print(f"circles                      {result['circles']:.0f}")
    print(f"minute → first request       {result['first_request_after_minute']:.2f} s")
    print(f"minute → last opening        {result['seconds_to_last_opening']:.1f} s")
    print(f"requests sent                {result['requests']:.0f}  (÷ 50/s = {result['floor_seconds']:.1f} s)")
    print(f"ratio to requests ÷ 50       {ratio:.3f}  (target ≤ 1.1)")
    print(f"429s received                {result['429s']:.0f}  (target 0)")
    print(f"duplicates                   {result['duplicates']:.0f}  (target 0)")
    print(f"bot CPU per opening          {result['cpu_ms_per_opening']:.2f} ms")
    print(f"unhandled routes / tracebacks {result['unhandled_routes']:.0f} / {result['errors_in_log']:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--circles", type=int, default=1000)
    parser.add_argument("--profile", help="write a py-spy raw profile of the bot process to this file")
    parser.add_argument("--database-url", help="also run on PostgreSQL: a server URL (a fresh database is made)")
    args = parser.parse_args()
    sqlite = asyncio.run(run(args.circles, args.profile))
    report("SQLite", sqlite)
    if args.database_url:
        postgres = asyncio.run(run(args.circles, None, args.database_url))
        report("PostgreSQL", postgres)
        cpu = postgres["cpu_ms_per_opening"] / sqlite["cpu_ms_per_opening"]
        print(f"PostgreSQL ÷ SQLite CPU per opening: {cpu:.2f}  (target ≤ 1.5)")


if __name__ == "__main__":
    main()
