"""Voice benchmark: 10,000 voice events (joins, leaves, moves; 100 guilds with circles) into the real bot
and into a bare discord.py floor in the same run, and the start-up reconcile at scale.

Figures:
- events/s from the first event to the moment every session is durably committed (the bot: a sentinel
  read of the database until every expected session and end is there; the floor: it counts the events
  and posts one message when it has seen them all), and the bot's rate ÷ the floor's;
- the bot's CPU µs per event, sessions lost (expected by replaying the events through the same rules,
  minus found), the worst event-loop stall during the burst (a probe loaded by bench/looplag);
- start-up reconcile: guilds with members sitting in voice and sessions a killed process left open:
  the time from the last GUILD_CREATE until the orphans are ended and every member's session is open.

    .venv/bin/python -m bench.voice [--events 10000] [--database-url postgresql+asyncpg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
from sqlalchemy import func, insert, select

from bench.standups import fresh_postgres
from bot.circles.models import Circle
from bot.db import Database
from bot.db import migrate as migrations
from bot.db.liveness import BotProcess as ProcessRow
from bot.focus.models import VoiceSession
from bot.focus.presence import Closed, Opened, OpenSession, Room, counted_room, transition
from emulator import Emulator
from emulator.harness import TOKEN, BotProcess
from emulator.state import VOICE

GUILDS = 100
MEMBERS_PER_GUILD = 20
BACKLOG = 1000  # well inside the emulator's replay buffer
LOOPLAG = Path(__file__).parent / "looplag"


class Guild:
    def __init__(self, emu: Emulator, index: int, host: int) -> None:
        self.id = emu.add_guild(f"Guild {index}", host)
        self.home = emu.add_channel(self.id, "home")
        self.room = emu.add_channel(self.id, "Focus Room", VOICE)
        self.lounge = emu.add_channel(self.id, "Lounge", VOICE)  # a voice channel of no circle
        self.afk = emu.add_channel(self.id, "AFK", VOICE)
        emu.set_afk_channel(self.id, self.afk)
        self.members = [emu.add_user(f"m{index}-{m}") for m in range(MEMBERS_PER_GUILD)]
        for member in self.members:
            emu.add_member(self.id, member)


def plan_events(guilds: list[Guild], count: int, seed: int = 7) -> list[tuple[int, int, int | None]]:
    """(guild, member, channel or None): joins, moves and leaves, each one a real change of channel."""
    rng = random.Random(seed)
    where: dict[tuple[int, int], int] = {}
    events: list[tuple[int, int, int | None]] = []
    while len(events) < count:
        g = rng.choice(guilds)
        m = rng.choice(g.members)
        current = where.get((g.id, m))
        if current is None:
            target: int | None = g.room if rng.random() < 0.7 else g.lounge
        elif rng.random() < 0.35:
            target = None
        else:
            target = rng.choice([c for c in (g.room, g.lounge, g.afk) if c != current])
        if target is None:
            where.pop((g.id, m), None)
        else:
            where[(g.id, m)] = target
        events.append((g.id, m, target))
    return events


def expected_sessions(guilds: list[Guild], events: list[tuple[int, int, int | None]]) -> tuple[int, int]:
    """(sessions, ended sessions) the bot should commit: the events replayed through its own rules."""
    rooms = {g.id: {g.room: Room(i + 1, g.room)} for i, g in enumerate(guilds)}
    afk = {g.id: g.afk for g in guilds}
    open_: dict[tuple[int, int], OpenSession] = {}
    opened = ended = 0
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for g, m, channel in events:
        at += timedelta(seconds=1)
        for change in transition(open_.get((g, m)), counted_room(channel, afk[g], rooms[g]), g, m, at):
            if isinstance(change, Opened):
                open_[(g, m)] = change.session
                opened += 1
            elif isinstance(change, Closed):
                open_.pop((g, m), None)
                ended += 1
    return opened, ended


async def populate(url: str, guilds: list[Guild]) -> None:
    db = Database(url)
    now = datetime.now(UTC)
    try:
        async with db.transaction() as session:
            await session.execute(
                insert(Circle),
                [
                    {
                        "guild_id": g.id,
                        "name": "Focus",
                        "name_key": "focus",
                        "channel_id": g.home,
                        "voice_channel_id": g.room,
                        "timezone": "UTC",
                        "created_at": now,
                    }
                    for g in guilds
                ],
            )
    finally:
        await db.dispose()


async def session_counts(db: Database) -> tuple[int, int]:
    async with db.reader() as session:
        total, ended = (
            await session.execute(select(func.count(), func.count(VoiceSession.ended_at)).select_from(VoiceSession))
        ).one()
    return int(total), int(ended)


async def poll(done: Callable[[], Awaitable[bool]], timeout: float) -> None:  # noqa: ASYNC109
    """Read until ``done`` (a database read) says so; every 20 ms."""
    deadline = time.monotonic() + timeout
    for _ in iter(int, 1):
        if await done() or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.02)


def worst_lag(path: Path, since: float, until: float) -> float:
    if not path.exists():
        return 0.0
    worst = 0.0
    for line in path.read_text().splitlines():
        wall, lag = line.split()
        if since <= float(wall) <= until:
            worst = max(worst, float(lag))
    return worst


def backlog(emu: Emulator) -> int:
    """Events queued for the connected sessions but not sent yet."""
    return sum(s.seq - s.connection.sent_seq for s in emu.gateway.live_sessions() if s.connection is not None)


async def burst(emu: Emulator, events: list[tuple[int, int, int | None]]) -> float:
    """Dispatch every event as fast as the client reads them; the wall time of the first.

    Discord sends at the pace the client reads; the emulator keeps only its replay buffer of unsent
    events, so the burst waits while more than BACKLOG are queued (else it would measure lost events).
    """
    started = time.time()
    for index, (g, m, channel) in enumerate(events):
        emu.set_voice_state(g, m, channel)
        if index % 100 == 99:
            await asyncio.sleep(0)
            for _ in iter(int, 1):
                if backlog(emu) <= BACKLOG:
                    break
                await asyncio.sleep(0.001)
    return started


async def run_events(count: int, database_url: str | None) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    results: dict[str, float] = {"events": count}
    async with Emulator(token=TOKEN) as emu:
        host = emu.add_user("host")
        guilds = [Guild(emu, i, host) for i in range(GUILDS)]
        events = plan_events(guilds, count)
        want_sessions, want_ended = expected_sessions(guilds, events)

        # The floor: a bare discord.py client that counts the events and says when it has seen them all.
        floor = BotProcess(emu, workdir / "floor", module="bench.voice")
        floor.workdir.mkdir()
        lag_file = workdir / "floor-lag.txt"
        await floor.start(
            env={
                "BENCH_VOICE_FLOOR": "1",
                "BENCH_VOICE_EVENTS": str(count),
                "BENCH_VOICE_DONE_CHANNEL": str(guilds[0].home),
                # The probe, and this checkout (the floor is `python -m bench.voice`, run from elsewhere).
                "PYTHONPATH": os.pathsep.join([str(LOOPLAG), str(LOOPLAG.parent.parent)]),
                "BENCH_LAG_FILE": str(lag_file),
            }
        )
        await asyncio.sleep(1)
        cpu_before = floor.cpu_seconds()
        first = await burst(emu, events)
        await emu.wait_until(lambda: emu.messages(guilds[0].home), 300, "the floor's done message")
        done = time.time()
        results["floor_events_per_s"] = count / (done - first)
        results["floor_cpu_us_per_event"] = (floor.cpu_seconds() - cpu_before) * 1e6 / count
        results["floor_worst_lag_ms"] = worst_lag(lag_file, first, done)
        await floor.stop()
        # Everyone out of voice again, before the bot connects (so it starts from empty rooms).
        for g in guilds:
            for m in g.members:
                if emu.voice_channel_of(g.id, m) is not None:
                    emu.set_voice_state(g.id, m, None)

        # BENCH_BOT_MODULE: run a wrapper instead of `python -m bot` (e.g. one that profiles it).
        bot = BotProcess(emu, workdir, database_url=database_url, module=os.environ.get("BENCH_BOT_MODULE", "bot"))
        await asyncio.to_thread(migrations.upgrade, bot.database_url)
        await populate(bot.database_url, guilds)
        lag_file = workdir / "bot-lag.txt"
        path = os.pathsep.join(filter(None, [str(LOOPLAG), os.environ.get("PYTHONPATH")]))
        await bot.start(env={"PYTHONPATH": path, "BENCH_LAG_FILE": str(lag_file)})
        # discord.py dispatches READY once the guilds are in (its guild_ready_timeout); the burst starts
        # after the READY hooks (the voice reconcile) and planning are done.
        await emu.wait_until(lambda: "planned" in bot.log(), 60, "the bot's planning after READY")
        reader = Database(bot.database_url)
        try:
            cpu_before = bot.cpu_seconds()
            first = await burst(emu, events)
            found = (0, 0)

            async def committed() -> bool:
                nonlocal found
                found = await session_counts(reader)
                return found >= (want_sessions, want_ended)

            await poll(committed, float(os.environ.get("BENCH_VOICE_TIMEOUT", "300")))
            done = time.time()
            results["bot_cpu_us_per_event"] = (bot.cpu_seconds() - cpu_before) * 1e6 / count
            await asyncio.sleep(2.5)  # anything still arriving would show as "more than expected"
            final = await session_counts(reader)
        finally:
            await reader.dispose()
        results["bot_events_per_s"] = count / (done - first)
        results["bot_worst_lag_ms"] = worst_lag(lag_file, first, done)
        results["expected_sessions"] = want_sessions
        results["sessions_found"] = final[0]
        results["sessions_lost"] = max(0, want_sessions - final[0]) + max(0, want_ended - final[1])
        results["tracebacks"] = bot.log().count("Traceback")
        await bot.stop()
        results["unhandled"] = len(emu.unhandled)
    return results


async def run_reconcile(guild_count: int, database_url: str | None) -> dict[str, float]:
    """A process was killed with every member's session open; the next one starts with 10 members in
    voice per guild: orphans end at the dead process's alive mark, GUILD_CREATE's voice states reopen."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-reconcile-"))
    async with Emulator(token=TOKEN) as emu:
        host = emu.add_user("host")
        guilds: list[Guild] = []
        for i in range(guild_count):
            g = Guild.__new__(Guild)
            g.id = emu.add_guild(f"Guild {i}", host)
            g.home = emu.add_channel(g.id, "home")
            g.room = emu.add_channel(g.id, "Focus Room", VOICE)
            g.afk = emu.add_channel(g.id, "AFK", VOICE)
            g.lounge = g.afk
            g.members = [emu.add_user(f"r{i}-{m}") for m in range(10)]
            for member in g.members:
                emu.add_member(g.id, member)
                emu.set_voice_state(g.id, member, g.room)
            guilds.append(g)
        bot = BotProcess(emu, workdir, database_url=database_url)
        await asyncio.to_thread(migrations.upgrade, bot.database_url)
        await populate(bot.database_url, guilds)
        db = Database(bot.database_url)
        dead_alive = datetime.now(UTC) - timedelta(minutes=3)
        try:
            async with db.transaction() as session:
                await session.execute(
                    insert(ProcessRow),
                    [{"id": "dead", "host": "x", "started_at": dead_alive, "alive_at": dead_alive}],
                )
                await session.execute(
                    insert(VoiceSession),
                    [
                        {
                            "guild_id": g.id,
                            "user_id": m,
                            "circle_id": i + 1,
                            "channel_id": g.room,
                            "started_at": dead_alive - timedelta(hours=1),
                            "ended_at": None,
                            "holder": "dead",
                        }
                        for i, g in enumerate(guilds)
                        for m in g.members
                    ],
                )
            members = guild_count * 10
            await bot.start()  # returns once the emulator sent READY and every GUILD_CREATE
            last_guild_create = time.monotonic()

            async def reconciled() -> bool:
                async with db.reader() as session:
                    open_new, ended = (
                        await session.execute(
                            select(
                                func.count(VoiceSession.id).filter(VoiceSession.ended_at.is_(None)),
                                func.count(VoiceSession.id).filter(
                                    VoiceSession.holder == "dead", VoiceSession.ended_at == dead_alive
                                ),
                            )
                        )
                    ).one()
                return int(open_new) == members and int(ended) == members

            await poll(reconciled, 120)
            seconds = time.monotonic() - last_guild_create
        finally:
            await db.dispose()
        await bot.stop()
    return {"guilds": guild_count, "members_in_voice": guild_count * 10, "reconcile_s": seconds}


# ----- the floor (runs as `python -m bench.voice` with BENCH_VOICE_FLOOR=1) --------------------------------


class VoiceFloor(discord.AutoShardedClient):
    def __init__(self, target: int, done_channel: int) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.voice_states = True
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none())
        self.target = target
        self.done_channel = done_channel
        self.seen = 0

    async def on_voice_state_update(self, member: discord.Member, before: Any, after: Any) -> None:
        self.seen += 1
        if self.seen == self.target:
            await self.get_partial_messageable(self.done_channel).send("done")


async def floor_main() -> None:
    from bot.discord_seams import point_at_endpoints

    point_at_endpoints(os.environ["DISCORD_API_BASE"], os.environ["DISCORD_GATEWAY_URL"])
    client = VoiceFloor(int(os.environ["BENCH_VOICE_EVENTS"]), int(os.environ["BENCH_VOICE_DONE_CHANNEL"]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    runner = asyncio.create_task(client.start(os.environ["DISCORD_TOKEN"]))
    await stop.wait()
    await client.close()
    await asyncio.gather(runner, return_exceptions=True)


def report(name: str, r: dict[str, float], rec: dict[str, float]) -> None:
    ratio = r["bot_events_per_s"] / r["floor_events_per_s"]
    print(f"== {name}")
    print(f"voice events                        {r['events']:.0f} ({GUILDS} guilds with circles)")
    print(f"floor: events/s seen                {r['floor_events_per_s']:.0f}")
    print(f"bot: events/s durably committed     {r['bot_events_per_s']:.0f}  (÷ floor {ratio:.2f}, target ≥ 0.5)")
    print(f"CPU per event: bot / floor          {r['bot_cpu_us_per_event']:.0f} / {r['floor_cpu_us_per_event']:.0f} µs")
    print(
        f"sessions expected / found / lost    {r['expected_sessions']:.0f} / {r['sessions_found']:.0f} / "
        f"{r['sessions_lost']:.0f}  (target 0 lost)"
    )
    print(
        f"worst loop stall: bot / floor       {r['bot_worst_lag_ms']:.0f} / {r['floor_worst_lag_ms']:.0f} ms  "
        "(target < 50)"
    )
    print(f"unhandled routes / tracebacks       {r['unhandled']:.0f} / {r['tracebacks']:.0f}")
    print(f"reconcile: {rec['guilds']:.0f} guilds, {rec['members_in_voice']:.0f} in voice, orphans open")
    print(f"  last GUILD_CREATE → reconciled    {rec['reconcile_s']:.2f} s  (target ≤ 2)")


def main() -> None:
    if os.environ.get("BENCH_VOICE_FLOOR") == "1":
        asyncio.run(floor_main())
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--reconcile-guilds", type=int, default=1000)
    parser.add_argument("--database-url", help="also run on PostgreSQL: a server URL (a fresh database is made)")
    args = parser.parse_args()
    report(
        "SQLite", asyncio.run(run_events(args.events, None)), asyncio.run(run_reconcile(args.reconcile_guilds, None))
    )
    if args.database_url:

        async def on_postgres() -> tuple[dict[str, float], dict[str, float]]:
            async with fresh_postgres(args.database_url) as url:
                events = await run_events(args.events, url)
            async with fresh_postgres(args.database_url) as url:
                return events, await run_reconcile(args.reconcile_guilds, url)

        report("PostgreSQL", *asyncio.run(on_postgres()))


if __name__ == "__main__":
    main()
