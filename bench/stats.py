"""Stats benchmark: `/stats me` and `/stats circle` on a year of data, charts, and a 1,000-circle digest minute.

Part 1 (in this process, SQLite): a member with a year of sessions (3 a day) in a circle of 200 members
with 12 weeks of sessions each. 50 requests of each command, 5 at a time, timed from the call to the
finished reply payload (service + chart, as the cog does it, without Discord); CPU per chart; the worst
event-loop lag seen by a 5 ms ticker while the charts render (and with the loop idle, for the machine's
load); RSS before and after the first chart, and the chart worker's.
Part 2 (the real bot process against the emulator, Discord's global 50 requests/second enforced):
1,000 circles whose digests fall in the same minute; seconds to the last digest, 429s, duplicates.

    .venv/bin/python -m bench.stats [--circles 1000] [--skip-digests] [--skip-requests] [--gc-freeze]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.circles.models import Circle, CircleMember
from bot.clock import FixedClock
from bot.db import Database
from bot.db import migrate as migrations
from bot.focus.models import VoiceSession
from bot.scheduling import FakeScheduler
from bot.services import Services
from bot.stats import charts, offload
from bot.stats.days import Period
from emulator import Emulator
from emulator.harness import TOKEN, BotProcess

GUILD, MEMBER = 1, 1000
NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def p99_of(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def children_rss_mib() -> float:
    """The chart worker's memory (children of this process)."""
    pids = {p for task in Path("/proc/self/task").iterdir() for p in (task / "children").read_text().split()}
    return sum(rss_mib(int(pid)) for pid in pids)


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def populate(db: Database) -> int:
    async with db.transaction() as session:
        await session.execute(
            insert(Circle),
            [
                {
                    "guild_id": GUILD,
                    "name": "Big",
                    "name_key": "big",
                    "channel_id": 10,
                    "voice_channel_id": 11,
                    "timezone": "Europe/Berlin",
                    "created_at": NOW - timedelta(days=400),
                }
            ],
        )
        members = [MEMBER + i for i in range(200)]
        await session.execute(
            insert(CircleMember),
            [
                {"circle_id": 1, "user_id": u, "guild_id": GUILD, "joined_at": NOW - timedelta(days=400)}
                for u in members
            ],
        )
        rows = []
        for day in range(365):  # the member: a year, three sessions a day
            base = NOW - timedelta(days=day, hours=8)
            for k in range(3):
                start = base + timedelta(hours=3 * k)
                rows.append((MEMBER, start, start + timedelta(minutes=50 + k * 10)))
        for user in members[1:]:  # everyone else: 12 weeks, one or two sessions a day
            for day in range(84):
                start = NOW - timedelta(days=day, hours=6 + user % 5)
                rows.append((user, start, start + timedelta(minutes=30 + user % 60)))
                if (day + user) % 3 == 0:
                    rows.append((user, start + timedelta(hours=3), start + timedelta(hours=4)))
        await session.execute(
            insert(VoiceSession),
            [
                {"guild_id": GUILD, "user_id": u, "circle_id": 1, "channel_id": 11, "started_at": a, "ended_at": b}
                for u, a, b in rows
            ],
        )
    return len(rows)


async def timed(call: Callable[[], Awaitable[None]], sem: asyncio.Semaphore, times: list[float]) -> None:
    async with sem:
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)


async def part_one(freeze: bool = False) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    url = f"sqlite+aiosqlite:///{workdir / 'stats.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    db = Database(url)
    services = Services.build(db, FixedClock(NOW), FakeScheduler())
    sessions = await populate(db)
    print(f"data: {sessions} voice sessions (one member: a year; 199 others: 12 weeks)")

    lags: list[float] = []
    ticking = True

    async def ticker() -> None:
        while ticking:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    if freeze:
        gc.freeze()  # what a bot-wide gc.freeze() after start-up would do: old objects out of every collection
        print("gc.freeze() after the set-up")
    tick = asyncio.create_task(ticker())
    await asyncio.sleep(3)  # the loop idle: what the machine's load alone does to the ticker
    idle = sorted(lags)
    print(
        f"baseline (idle loop, same machine load): worst lag {idle[-1] * 1000:.1f} ms, p99 {p99_of(idle) * 1000:.1f} ms"
    )
    rss_before = rss_mib()
    assert "matplotlib" not in sys.modules
    t = time.perf_counter()
    heat = (await services.stats.member(GUILD, MEMBER, Period.ALL)).heatmap
    await offload.draw(charts.heatmap_png, heat, "first")
    first_ms = (time.perf_counter() - t) * 1000
    rss_after = rss_mib()
    print(
        f"RSS before the first chart {rss_before:.0f} MiB, after {rss_after:.0f} MiB "
        f"(matplotlib in this process: {'matplotlib' in sys.modules}); the chart worker {children_rss_mib():.0f} MiB; "
        f"first /stats me {first_ms:.0f} ms (spawns the worker)"
    )

    async def me() -> None:
        stats = await services.stats.member(GUILD, MEMBER, Period.ALL)
        await offload.draw(charts.heatmap_png, stats.heatmap, "me")

    async def circle() -> None:
        stats = await services.stats.circle(GUILD, "1", Period.MONTH)
        await offload.draw(charts.weekly_png, stats.weeks, "circle", float(stats.goal.target_hours))

    calls: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("/stats me (all)", me),
        ("/stats circle (month, 200 members)", circle),
    ]
    for name, call in calls:
        lags.clear()
        times: list[float] = []
        sem = asyncio.Semaphore(5)

        await asyncio.gather(*(timed(call, sem, times) for _ in range(50)))
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        seen = sorted(lags)
        print(
            f"{name}: p50 {statistics.median(times):.0f} ms, p99 {p99:.0f} ms (50 requests, 5 at a time); "
            f"loop lag worst {seen[-1] * 1000:.1f} ms, p99 {p99_of(seen) * 1000:.1f} ms"
        )

    draws: list[tuple[str, Callable[[], bytes]]] = [
        ("heat map", lambda: charts.heatmap_png(heat, "x")),
        ("weekly bars", lambda: charts.weekly_png([], "x")),
    ]
    for name, draw in draws:
        cpu = time.process_time()
        for _ in range(20):
            draw()
        print(f"CPU per chart ({name}): {(time.process_time() - cpu) / 20 * 1000:.0f} ms")
    lags.clear()
    ticking = False
    await tick
    await db.dispose()


async def part_two(circles: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-digests-"))
    async with Emulator(token=TOKEN) as emu:
        host = emu.add_user("host")
        homes: list[tuple[int, int]] = []
        for g in range((circles + 99) // 100):
            guild = emu.add_guild(f"Guild {g}", host)
            for c in range(min(100, circles - len(homes))):
                homes.append((guild, emu.add_channel(guild, f"home-{c}")))
        bot = BotProcess(emu, workdir)
        await asyncio.to_thread(migrations.upgrade, bot.database_url)
        slot = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC
        db = Database(bot.database_url)
        async with db.transaction() as session:
            await session.execute(
                insert(Circle),
                [
                    {
                        "guild_id": g,
                        "name": f"C{i}",
                        "name_key": f"c{i}",
                        "channel_id": c,
                        "timezone": "UTC",
                        "created_at": slot - timedelta(days=10),
                    }
                    for i, (g, c) in enumerate(homes)
                ],
            )
        await db.dispose()
        emu.global_rate_limit = 50
        lead = 25
        launched = time.monotonic()
        await bot.start(shifted_to=slot - timedelta(seconds=lead))
        slot_at = launched + lead
        before = len(emu.requests)

        def posts() -> list[float]:
            return [
                r.t
                for r in emu.requests[before:]
                if r.done and r.status == 200 and r.method == "POST" and r.path.endswith("/messages")
            ]

        await emu.wait_until(lambda: len(posts()) >= circles, 600, f"{circles} digests")
        await asyncio.sleep(3)  # anything doubled would show up now
        done = posts()
        per_channel = Counter(
            r.path
            for r in emu.requests[before:]
            if r.done and r.status == 200 and r.method == "POST" and r.path.endswith("/messages")
        )
        too_many = sum(1 for r in emu.requests[before:] if r.status == 429)
        sent = [r.t for r in emu.requests[before:]]
        window = max(sent) - min(sent) if sent else 0
        cpu = bot.cpu_seconds()
        await bot.stop()
        print(
            f"{circles} digests: last posted {max(done) - slot_at:.1f} s after the slot; "
            f"{len(sent)} requests in {window:.1f} s ({len(sent) / max(window, 1e-9):.1f}/s); 429s {too_many}; "
            f"duplicates {sum(n - 1 for n in per_channel.values())}; bot CPU {cpu:.1f} s in all; "
            f"unhandled routes {len(emu.unhandled)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--circles", type=int, default=1000)
    parser.add_argument("--skip-digests", action="store_true")
    parser.add_argument("--skip-requests", action="store_true")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after the set-up (an experiment)")
    args = parser.parse_args()
    if not args.skip_requests:
        asyncio.run(part_one(args.gc_freeze))
    if not args.skip_digests:
        asyncio.run(part_two(args.circles))


if __name__ == "__main__":
    main()
