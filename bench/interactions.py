"""Per-interaction cost: the real bot against a bare discord.py bot that only answers (the floor).

Both run as processes against the emulator, one after the other in the same run. For each: 300 modal
submits of standup answers at 100/s (the bot commits each answer and shows it in the thread), then 300
`/circle list` at 100/s. Prints p50/p99 latency (interaction created → callback received) and the
process's CPU milliseconds per interaction, and the difference between the two.

The answer forms are opened the usual way, with the button on the opening message (the bot's reply is
then the answer in the thread; the floor gets the same payloads from a message of the same shape), or
with ``--form-from command``: `/standup post` in the circle channel (an ephemeral reply, and the answer
posted in the thread).

    .venv/bin/python -m bench.interactions [--count 300] [--rate 100] [--form-from button|command]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bench.profiling import sample
from bot.emulator import Driver, Emulator, InteractionHandle
from bot.emulator.harness import TOKEN, BotProcess

REPO = Path(__file__).resolve().parents[1]
# BENCH_PROFILE=path: sample the real bot with py-spy during the answer phase (pip install py-spy).
PROFILE = os.environ.get("BENCH_PROFILE")
Phase = dict[str, float]


async def paced(
    count: int, rate: float, send: Callable[[int], Coroutine[Any, Any, InteractionHandle]]
) -> list[InteractionHandle]:
    """Start ``count`` interactions at ``rate`` per second (not waiting for answers in between)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: list[asyncio.Task[InteractionHandle]] = []
    for index in range(count):
        delay = start + index / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(index)))
    return list(await asyncio.gather(*tasks))


async def measure(
    process: BotProcess,
    count: int,
    rate: float,
    send: Callable[[int], Coroutine[Any, Any, InteractionHandle]],
    done: Callable[[], bool],
) -> Phase:
    await asyncio.sleep(0.5)
    cpu_before = process.cpu_seconds()
    handles = await paced(count, rate, send)
    for handle in handles:
        await handle.response(10)
    await process.emu.wait_until(done, 60, "the work behind every interaction")
    await asyncio.sleep(0.2)
    cpu = process.cpu_seconds() - cpu_before
    latencies = sorted((h.record.callback_at or 0) - h.record.created for h in handles)
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "cpu_ms_per_interaction": cpu * 1000 / count,
    }


async def run_target(module: str, count: int, rate: float, form_from: str, **env: str) -> dict[str, Phase]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{module.replace('.', '-')}-"))
    async with Emulator(token=TOKEN) as emu:
        host = emu.add_user("host")
        guild = emu.add_guild("Bench", host)
        home = emu.add_channel(guild, "circle-home")
        members = [emu.add_user(f"m{i}") for i in range(count)]
        for member in members:
            emu.add_member(guild, member)
        drv = Driver(emu)
        process = BotProcess(emu, workdir, module=module)
        pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        await process.start(env={**env, "PYTHONPATH": pythonpath})
        real_bot = module == "bot"
        if real_bot:
            await (await drv.slash(guild, host, "circle create", name="Bench", channel=home)).response()
            for member in members:
                await (await drv.slash(guild, member, "circle join")).response()
            await (
                await drv.slash(
                    guild, host, "standup schedule", time="00:00", days="daily", window_hours=23, reminder="off"
                )
            ).response()
            await emu.wait_until(lambda: len(emu.threads(home)) == 1, 10, "the standup to open")
            thread = int(emu.threads(home)[0]["id"])
            await emu.wait_until(lambda: len(emu.messages(thread)) == 1, 10, "the opening message")
        # Everyone opens the answer form first (not measured): a modal can only be submitted once open.
        else:
            await (await drv.slash(guild, host, "standup open")).response()
        # The message whose button opens the form: the opening in the bot's thread, the floor's stand-in.
        opening = emu.messages(thread if real_bot else home)[0]
        button = opening["components"][0]["components"][0]["custom_id"]
        modal_id = ""
        for member in members:
            if form_from == "button":
                handle = await drv.click(guild, member, opening, button)
            else:
                handle = await drv.slash(guild, member, "standup post")
            await handle.response()
            assert handle.modal is not None, "no modal"
            modal_id = handle.modal["custom_id"]

        # The phase ends when every answer is in its channel: the bot's thread (after the opening message),
        # or, for a floor that posts, the channel the forms were opened in. Otherwise paced posts would
        # still be going out after the phase and be counted against the next one.
        posted_in, already = (thread, 1) if real_bot else (home, 1)
        posts = real_bot or env.get("FLOOR_POSTS") == "1"

        def answers_posted() -> bool:
            return not posts or len(emu.messages(posted_in)) >= count + already

        values = {"q0": "Sent the proposal", "q1": "Landing page", "q2": "none"}
        spy = None
        if PROFILE and real_bot:
            spy = await sample(process.pid, PROFILE, int(count / rate) + 2, rate=500)
            await asyncio.sleep(0.5)
        results = {
            "modal submit (answer)": await measure(
                process,
                count,
                rate,
                lambda i: drv.submit_modal(guild, members[i], modal_id, values),
                answers_posted,
            ),
            "spy": {} if spy is None else {"exit": float(await spy.wait())},
            "/circle list": await measure(
                process, count, rate, lambda i: drv.slash(guild, members[i], "circle list"), lambda: True
            ),
        }
        await process.stop()
        assert not emu.unhandled, emu.unhandled
    return results


def median_of(results: list[dict[str, Phase]]) -> dict[str, Phase]:
    return {
        phase: {key: statistics.median(r[phase][key] for r in results) for key in results[0][phase]}
        for phase in results[0]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument(
        "--form-from",
        choices=["button", "command"],
        default="button",
        help="open the answer form with the thread's button (the usual way) or /standup post from the circle channel",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each target, interleaved; medians shown")
    parser.add_argument(
        "--commit-floor",
        action="store_true",
        help="also a floor that posts and commits one row through the bot's SQLite writer",
    )
    args = parser.parse_args()
    targets: dict[str, dict[str, str]] = {"floor": {}, "floor+post": {"FLOOR_POSTS": "1"}}
    if args.commit_floor:
        targets["floor+post+commit"] = {"FLOOR_POSTS": "1", "FLOOR_COMMITS": "1"}
    runs: dict[str, list[dict[str, Phase]]] = {who: [] for who in [*targets, "bot"]}
    for _ in range(args.repeat):
        # Interleaved, so drift on this shared machine touches every target alike.
        for who, env in targets.items():
            runs[who].append(asyncio.run(run_target("bench.floor_bot", args.count, args.rate, args.form_from, **env)))
        runs["bot"].append(asyncio.run(run_target("bot", args.count, args.rate, args.form_from)))
    medians = {who: median_of(results) for who, results in runs.items()}
    floor, bot = medians["floor"], medians["bot"]
    print(
        f"{args.count} interactions per phase at {args.rate:.0f}/s, median of {args.repeat} runs each; "
        f"answer forms opened from the {args.form_from}"
    )
    print(f"{'phase':24} {'who':18} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/interaction':>20}")
    for phase in [p for p in floor if p != "spy"]:
        rows = [("floor", floor[phase])]
        if phase.startswith("modal"):
            rows += [(who, medians[who][phase]) for who in targets if who != "floor"]
        rows.append(("bot", bot[phase]))
        for who, result in rows:
            print(
                f"{phase:24} {who:18} {result['p50_ms']:8.2f} {result['p99_ms']:8.2f} "
                f"{result['cpu_ms_per_interaction']:20.3f}"
            )
        for who, base in rows[:-1]:
            extra = bot[phase]["cpu_ms_per_interaction"] - base["cpu_ms_per_interaction"]
            # Each run of the bot against the floor run just before it: the spread shows the noise.
            paired = sorted(
                b[phase]["cpu_ms_per_interaction"] - f[phase]["cpu_ms_per_interaction"]
                for b, f in zip(runs["bot"], runs[who], strict=True)
            )
            print(
                f"{phase:24} {'bot − ' + who:>39} {extra:+14.3f}"
                f"   (run by run: {' '.join(f'{d:+.2f}' for d in paired)})"
            )


if __name__ == "__main__":
    main()
