"""Pairing benchmark: the matcher on a 1,000-member pool, and 200 circles' rounds in the same minute.

1. **Matching** (in process, pure): a 1,000-member pool in 12 timezones with varied working hours and a
   year of weekly history (51 shuffled rounds, then one matched round as "the previous partners"), at
   sizes 2 and 3: time, the objective against a random shuffle and a greedy baseline, repeats of a
   previous partner (the median of five fresh pools). Then how close the approximations get: the local
   search against the exhaustive optimum on 30 pools of 10, and size 2 matched within blocks against one
   exact matching over the full graph of 300 members.
2. **Fan-out**: the real bot process against the emulator at Discord's global 50 requests/second, with
   ``--circles`` circles (default 200) of 4 pool members each whose weekly rounds all start at 09:00:
   the time to the last intro against requests ÷ 50, 429s, duplicate threads, members per thread.

    .venv/bin/python -m bench.pairing [--circles 200] [--members 1000] [--skip-fanout]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import insert

from bench.world import circle_rows
from bot.circles.models import Circle, CircleMember
from bot.db import Database
from bot.db import migrate as migrations
from bot.pairing import matching
from bot.pairing.matching import Problem, evaluate, greedy, match, shuffled
from bot.pairing.models import Cadence, PairPoolEntry, PairSchedule
from bot.pairing.overlap import Hours
from emulator import Emulator
from emulator.harness import TOKEN, BotProcess

ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "Europe/Lisbon",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Lagos",
]
DAY = date(2026, 12, 3)
POOL_PER_CIRCLE = 4
CHANNELS_PER_GUILD = 100
LEAD_SECONDS = 25
RUNS = 5


def pool_problem(members: int, size: int, seed: int = 7) -> Problem:
    rng = random.Random(seed)
    ids = tuple(range(1, members + 1))
    hours = {
        m: Hours(
            rng.choice(ZONES), clock_time(rng.choice([7, 8, 9, 10, 11])), clock_time(rng.choice([15, 16, 17, 18, 19]))
        )
        for m in ids
    }
    history: list[tuple[frozenset[int], ...]] = []
    for _ in range(51):
        order = list(ids)
        rng.shuffle(order)
        history.insert(0, tuple(frozenset(order[i : i + size]) for i in range(0, members - size + 1, size)))
    last = match(Problem(ids, size, seed + 1, hours, DAY, tuple(history)))
    history.insert(0, tuple(frozenset(g) for g in last.groups))
    return Problem(ids, size, seed + 2, hours, DAY, tuple(history))


def matching_figures(members: int) -> None:
    print(f"== matching: {members} members, a year of weekly history")
    for size in (2, 3):
        times, cpu = [], []
        for run in range(RUNS):
            problem = pool_problem(members, size, seed=7 + run)
            started, cpu_started = time.perf_counter(), time.process_time()  # a fresh problem: nothing cached
            result = match(problem)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        took = statistics.median(times)
        base_shuffle = evaluate(problem, shuffled(problem))
        base_greedy = evaluate(problem, greedy(problem))
        assert base_shuffle is not None and base_greedy is not None
        print(
            f"size {size}: {result.method}, median {took:.2f} s of {RUNS} (min {min(times):.2f}, max {max(times):.2f}; "
            f"target < 1 s), {len(result.groups)} groups; CPU median {statistics.median(cpu):.2f} s"
        )
        print(f"  fit: matcher {result.score.fit}, greedy {base_greedy.fit}, shuffle {base_shuffle.fit}")
        print(
            f"  fit over shuffle: +{(result.score.fit / base_shuffle.fit - 1) * 100:.1f} %, "
            f"over greedy: +{(result.score.fit / base_greedy.fit - 1) * 100:.2f} %"
        )
        print(
            f"  previous-partner repeats: matcher {result.score.repeats} (target 0), "
            f"greedy {base_greedy.repeats}, shuffle {base_shuffle.repeats}; placed {result.score.placed}/{members}"
        )

    ratios = []
    for seed in range(30):
        rng = random.Random(seed)
        ids = tuple(range(10))
        hours = {
            m: Hours(rng.choice(ZONES), clock_time(rng.randint(6, 11)), clock_time(rng.randint(14, 20))) for m in ids
        }
        avoid = frozenset({frozenset(rng.sample(ids, 2))})
        problem = Problem(ids, 3 + seed % 2, seed, hours, DAY, (), avoid)
        exact, local = match(problem, "exact"), match(problem, "local search")
        ratios.append(local.score.fit / exact.score.fit if local.score.placed == exact.score.placed else 0.0)
    print(
        f"local search vs exhaustive optimum (30 pools of 10, sizes 3-4): mean {statistics.mean(ratios):.4f}, "
        f"worst {min(ratios):.4f}, optimal in {sum(r >= 1 for r in ratios)}/30"
    )

    problem = pool_problem(300, 2)
    full = match(problem)  # 300 > FULL_GRAPH_LIMIT: exact within blocks
    saved = matching.FULL_GRAPH_LIMIT
    matching.FULL_GRAPH_LIMIT = 10_000
    try:
        started = time.perf_counter()
        exact = match(Problem(problem.members, 2, problem.seed, problem.hours, DAY, problem.history))
        exact_took = time.perf_counter() - started
    finally:
        matching.FULL_GRAPH_LIMIT = saved
    print(
        f"size 2 blocks vs one full graph (300 members): {full.score.fit / exact.score.fit:.4f} of the exact "
        f"optimum ({exact_took:.1f} s for the full graph); repeats {full.score.repeats} vs {exact.score.repeats}"
    )


async def populate(url: str, homes: list[tuple[int, int]], pools: list[list[int]], now: datetime) -> None:
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.execute(insert(Circle), circle_rows(homes, now))
            members = [
                {"circle_id": i + 1, "user_id": u, "guild_id": g, "joined_at": now}
                for i, ((g, _c), pool) in enumerate(zip(homes, pools, strict=True))
                for u in pool
            ]
            await session.execute(insert(CircleMember), members)
            await session.execute(insert(PairPoolEntry), members)
            await session.execute(
                insert(PairSchedule),
                [
                    {
                        "circle_id": i + 1,
                        "guild_id": g,
                        "weekday": DAY.weekday(),
                        "minute": 9 * 60,
                        "cadence": Cadence.WEEKLY,
                        "size": 2,
                        "anchor": DAY,
                        "updated_at": now,
                    }
                    for i, (g, _c) in enumerate(homes)
                ],
            )
    finally:
        await db.dispose()


def ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


async def fanout(circles: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-pairing-"))
    async with Emulator(token=TOKEN) as emu:
        host = emu.add_user("host")
        homes: list[tuple[int, int]] = []
        pools: list[list[int]] = []
        for g in range((circles + CHANNELS_PER_GUILD - 1) // CHANNELS_PER_GUILD):
            guild = emu.add_guild(f"Guild {g}", host)
            for c in range(min(CHANNELS_PER_GUILD, circles - len(homes))):
                homes.append((guild, emu.add_channel(guild, f"home-{c}")))
                pool = [emu.add_user(f"m{len(homes)}-{k}") for k in range(POOL_PER_CIRCLE)]
                for user in pool:
                    emu.add_member(guild, user)
                pools.append(pool)

        bot = BotProcess(emu, workdir)
        await asyncio.to_thread(migrations.upgrade, bot.database_url)
        minute = datetime.combine(DAY, clock_time(9), tzinfo=UTC)
        await populate(bot.database_url, homes, pools, minute - timedelta(days=1))
        emu.global_rate_limit = 50

        launched = time.monotonic()
        await bot.start(shifted_to=minute - timedelta(seconds=LEAD_SECONDS))
        minute_at = launched + LEAD_SECONDS
        requests_before = len(emu.requests)

        def intros() -> list[float]:
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

        groups = circles * POOL_PER_CIRCLE // 2
        await emu.wait_until(lambda: len(intros()) >= groups, 600, f"{groups} intros")
        last = max(intros())
        sent = [r for r in emu.requests[requests_before:] if r.t <= last and r.t >= minute_at - 1]
        carried = [r for r in sent if ok(r.status)]
        threads = [r for r in carried if r.method == "POST" and r.path.endswith("/threads")]
        adds = [r for r in carried if r.method == "PUT" and "/thread-members/" in r.path]
        per_thread = Counter(r.path.split("/")[2] for r in adds)
        made: list[int] = []
        exact = 0
        for (_g, channel), pool in zip(homes, pools, strict=True):
            for thread in emu.threads(channel):
                made.append(int(thread["id"]))
                members = emu.thread_member_ids(int(thread["id"])) - {emu.bot_user_id}
                exact += len(members) == 2 and members <= set(pool)
        log = bot.log()
        await bot.stop()
        unhandled = len(emu.unhandled)
    floor = len(sent) / 50
    print(f"== fan-out: {circles} circles' rounds at 09:00, emulator at 50 requests/s")
    print(f"groups / threads made          {groups} / {len(made)} (duplicates {len(threads) - groups}, target 0)")
    print(
        f"member adds                    {len(adds)} ({min(per_thread.values())}-{max(per_thread.values())} per thread)"
    )
    print(f"threads with exactly the group {exact}/{len(made)}")
    print(f"minute → first request         {min(r.t for r in sent) - minute_at:.2f} s")
    print(f"minute → last intro            {last - minute_at:.1f} s")
    print(f"requests sent                  {len(sent)}  (÷ 50/s = {floor:.1f} s)")
    print(f"ratio to requests ÷ 50         {(last - minute_at) / floor:.3f}  (target ≤ 1.1)")
    print(f"429s received                  {emu.stats.get('429', 0)}  (target 0)")
    print(f"unhandled routes / tracebacks  {unhandled} / {log.count('Traceback')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--circles", type=int, default=200)
    parser.add_argument("--skip-fanout", action="store_true")
    args = parser.parse_args()
    matching_figures(args.members)
    if not args.skip_fanout:
        asyncio.run(fanout(args.circles))


if __name__ == "__main__":
    main()
