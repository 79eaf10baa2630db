"""Sprint fan-out: 300 circles whose sprints change phase in the same minute, 10 participants each.

The real bot process runs against the emulator with Discord's global limit of 50 requests/second
enforced; SQLite, and with ``--database-url`` also PostgreSQL (a fresh database on that server). Every
sprint's first focus ends at the same minute: each change edits the announcement and posts one short
message mentioning the participants. Prints the time from the minute to the last phase message against
requests ÷ 50, the 429s, duplicates, and the bot's CPU per phase change.

    .venv/bin/python -m bench.sprints [--circles 300] [--database-url postgresql+asyncpg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.standups import fresh_postgres, ok
from bench.world import circle_rows
from bot.circles.models import Circle
from bot.db import Database
from bot.db import migrate as migrations
from bot.focus.models import Sprint, SprintJoin, SprintParticipant
from emulator import Emulator
from emulator.harness import TOKEN, BotProcess
from emulator.state import VOICE

CIRCLES_PER_GUILD = 100
PARTICIPANTS = 10
LEAD_SECONDS = 25  # the bot starts this long before the minute: time to connect and plan every wake-up
FOCUS, BREAK, ROUNDS = 25, 5, 2


async def populate(
    url: str, circles: list[tuple[int, int, int, int]], members: dict[int, list[int]], minute: datetime
) -> None:
    """Circles with running sprints whose first focus ends at ``minute``, written straight in (set-up)."""
    started = minute - timedelta(minutes=FOCUS)
    db = Database(url)
    try:
        async with db.transaction() as session:
            homes = [(g, home) for g, home, _voice, _m in circles]
            voices = [voice for _g, _home, voice, _m in circles]
            await session.execute(insert(Circle), circle_rows(homes, started - timedelta(days=1), voices))
            await session.execute(
                insert(Sprint),
                [
                    {
                        "guild_id": g,
                        "circle_id": i + 1,
                        "running_circle_id": i + 1,
                        "circle_name": f"Circle {i}",
                        "channel_id": home,
                        "voice_channel_id": voice,
                        "starter_user_id": members[g][0],
                        "started_at": started,
                        "focus_minutes": FOCUS,
                        "break_minutes": BREAK,
                        "rounds": ROUNDS,
                        "status": "running",
                        "message_id": announcement,
                    }
                    for i, (g, home, voice, announcement) in enumerate(circles)
                ],
            )
            people = [(i + 1, g, u) for i, (g, _h, _v, _m) in enumerate(circles) for u in members[g]]
            await session.execute(
                insert(SprintParticipant),
                [
                    {
                        "sprint_id": s,
                        "user_id": u,
                        "guild_id": g,
                        "intention": "@everyone ship it",
                        "joined_at": started,
                    }
                    for s, g, u in people
                ],
            )
            await session.execute(
                insert(SprintJoin),
                [{"sprint_id": s, "guild_id": g, "user_id": u, "started_at": started} for s, g, u in people],
            )
    finally:
        await db.dispose()


async def run(count: int, database_url: str | None = None) -> dict[str, float]:
    if database_url is not None:
        async with fresh_postgres(database_url) as url:
            return await _run(count, url)
    return await _run(count, None)


async def _run(count: int, database_url: str | None) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-sprints-"))
    async with Emulator(token=TOKEN) as emu:
        host = emu.add_user("host")
        circles: list[tuple[int, int, int, int]] = []
        members: dict[int, list[int]] = {}
        while len(circles) < count:
            g = emu.add_guild(f"Guild {len(members)}", host)
            members[g] = [emu.add_user(f"g{len(members)}-{m}") for m in range(PARTICIPANTS)]
            for member in members[g]:
                emu.add_member(g, member)
            for c in range(min(CIRCLES_PER_GUILD, count - len(circles))):
                home = emu.add_channel(g, f"home-{c}")
                voice = emu.add_channel(g, f"room-{c}", VOICE)
                # The sprint's announcement, posted by the bot when it started.
                stored = emu.store.create(emu.world.channel(home), emu.bot_user_id, {"content": "Focus sprint"}, [])
                circles.append((g, home, voice, int(stored.payload["id"])))

        bot = BotProcess(emu, workdir, database_url=database_url)
        await asyncio.to_thread(migrations.upgrade, bot.database_url)
        minute = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
        await populate(bot.database_url, circles, members, minute)
        emu.global_rate_limit = 50

        launched = time.monotonic()
        await bot.start(shifted_to=minute - timedelta(seconds=LEAD_SECONDS))
        minute_at = launched + LEAD_SECONDS  # the monotonic instant the bot's clock reads 09:00
        await asyncio.sleep(max(0.0, minute_at - time.monotonic() - 0.5))
        cpu_before = bot.cpu_seconds()
        requests_before = len(emu.requests)

        def phase_posts() -> list[float]:
            return [
                r.t
                for r in emu.requests[requests_before:]
                if r.done
                and ok(r.status)
                and r.method == "POST"
                and r.path.endswith("/messages")
                and r.json
                and "Break" in str(r.json.get("content"))
            ]

        await emu.wait_until(lambda: len(phase_posts()) >= count, 300, f"{count} phase messages")
        cpu_after = bot.cpu_seconds()
        last = max(phase_posts())
        sent = [r for r in emu.requests[requests_before:] if r.t <= last]
        posts = Counter(r.path for r in sent if ok(r.status) and r.method == "POST" and r.path.endswith("/messages"))
        duplicates = sum(n - 1 for n in posts.values())
        pinged_everyone = sum(
            1
            for (_g, home, _v, _m) in circles
            for message in emu.messages(home)
            if "Break" in (message.get("content") or "") and emu.pinged(message).everyone
        )
        wrong_pings = sum(
            1
            for (g, home, _v, _m) in circles
            for message in emu.messages(home)
            if "Break" in (message.get("content") or "") and emu.pinged_user_ids(message) != frozenset(members[g])
        )
        log = bot.log()
        await bot.stop()
        unhandled = len(emu.unhandled)
    first = min((r.t for r in sent if r.t >= minute_at - 1), default=last)
    return {
        "first_request_after_minute": first - minute_at,
        "circles": count,
        "seconds_to_last_phase_message": last - minute_at,
        "requests": len(sent),
        "floor_seconds": len(sent) / 50,
        "429s": emu.stats.get("429", 0),
        "duplicates": duplicates,
        "wrong_pings": wrong_pings + pinged_everyone,
        "cpu_ms_per_change": (cpu_after - cpu_before) * 1000 / count,
        "unhandled_routes": unhandled,
        "errors_in_log": log.count("Traceback"),
    }


def report(name: str, r: dict[str, float]) -> None:
    ratio = r["seconds_to_last_phase_message"] / r["floor_seconds"]
    print(f"== {name}")
    print(f"circles (10 participants each)  {r['circles']:.0f}")
    print(f"minute → first request          {r['first_request_after_minute']:.2f} s")
    print(f"minute → last phase message     {r['seconds_to_last_phase_message']:.1f} s")
    print(f"requests sent                   {r['requests']:.0f}  (÷ 50/s = {r['floor_seconds']:.1f} s)")
    print(f"ratio to requests ÷ 50          {ratio:.3f}  (target ≤ 1.1)")
    print(f"429s received                   {r['429s']:.0f}  (target 0)")
    print(f"duplicates                      {r['duplicates']:.0f}  (target 0)")
    print(f"messages pinging anyone else    {r['wrong_pings']:.0f}  (target 0)")
    print(f"bot CPU per phase change        {r['cpu_ms_per_change']:.2f} ms")
    print(f"unhandled routes / tracebacks   {r['unhandled_routes']:.0f} / {r['errors_in_log']:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--circles", type=int, default=300)
    parser.add_argument("--database-url", help="also run on PostgreSQL: a server URL (a fresh database is made)")
    args = parser.parse_args()
    report("SQLite", asyncio.run(run(args.circles)))
    if args.database_url:
        report("PostgreSQL", asyncio.run(run(args.circles, args.database_url)))


if __name__ == "__main__":
    main()
