"""Per-interaction cost: the real bot against a bare discord.py bot that only answers (the floor).

Both run as processes, each against its own emulator, driven at the same time (taking turns within each
tick), so that this shared machine's drift touches both alike. For each: 300 modal submits of standup
answers at 100/s (the bot commits each answer and shows it in the thread), then 300 `/circle list` at
100/s. Prints p50/p99 latency (interaction created → callback received) and the
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
import functools
import os
import statistics
import tempfile
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.profiling import sample
from emulator import Driver, Emulator, InteractionHandle
from emulator.harness import TOKEN, BotProcess

REPO = Path(__file__).resolve().parents[1]
# BENCH_PROFILE=path: sample each target with py-spy during the answer phase, into path.<target>
# (pip install py-spy).
PROFILE = os.environ.get("BENCH_PROFILE")
Phase = dict[str, float]


@dataclass
class Target:
    """One bot process, ready to be measured: its own emulator, members, and open answer forms."""

    name: str
    process: BotProcess
    drv: Driver
    guild: int
    members: list[int]
    modal_id: str
    answers_shown: Callable[[], bool]  # every answer of the phase is in its channel


async def prepare(
    stack: AsyncExitStack, name: str, module: str, count: int, form_from: str, env: dict[str, str]
) -> Target:
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench-{name}-")))
    emu = await stack.enter_async_context(Emulator(token=TOKEN))
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
    stack.push_async_callback(process.stop)
    real_bot = module == "bot"
    if real_bot:
        await (await drv.slash(guild, host, "circle create", name="Bench", channel=home)).response()
        for member in members:
            await (await drv.slash(guild, member, "circle join")).response()
        scheduled = await drv.slash(
            guild, host, "standup schedule", time="00:00", days="daily", window_hours=23, reminder="off"
        )
        await scheduled.response()
        await emu.wait_until(lambda: len(emu.threads(home)) == 1, 10, "the standup to open")
        shown_in = int(emu.threads(home)[0]["id"])
        await emu.wait_until(lambda: len(emu.messages(shown_in)) == 1, 10, "the opening message")
    else:
        # The floor's stand-in for the opening message, so its forms come with the same payloads.
        await (await drv.slash(guild, host, "standup open")).response()
        shown_in = home
    opening = emu.messages(shown_in)[0]
    button = opening["components"][0]["components"][0]["custom_id"]
    # Everyone opens the answer form first (not measured): a modal can only be submitted once open.
    modal_id = ""
    for member in members:
        if form_from == "button":
            handle = await drv.click(guild, member, opening, button)
        else:
            handle = await drv.slash(guild, member, "standup post")
        await handle.response()
        assert handle.modal is not None, "no modal"
        modal_id = handle.modal["custom_id"]
    # The answer phase ends when every answer is in its channel (after the opening message), so a bot
    # whose posts are paced is measured until its last post, not into the next phase.
    shows_answers = real_bot or "1" in (env.get("FLOOR_POSTS"), env.get("FLOOR_SHOWS"))

    def answers_shown() -> bool:
        return not shows_answers or len(emu.messages(shown_in)) >= count + 1

    return Target(name, process, drv, guild, members, modal_id, answers_shown)


async def measure_together(
    targets: list[Target],
    count: int,
    rate: float,
    send: Callable[[Target, int], Coroutine[Any, Any, InteractionHandle]],
    done: Callable[[Target], bool],
) -> dict[str, Phase]:
    """Drive every target at once, ``count`` interactions each at ``rate`` per second, taking turns
    within each tick: whatever the shared machine does meanwhile, it does to all of them alike."""
    await asyncio.sleep(0.5)
    cpu_before = {t.name: t.process.cpu_seconds() for t in targets}
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: dict[str, list[asyncio.Task[InteractionHandle]]] = {t.name: [] for t in targets}
    for index in range(count):
        delay = start + index / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        turn = targets[index % len(targets) :] + targets[: index % len(targets)]
        for target in turn:
            tasks[target.name].append(asyncio.create_task(send(target, index)))
    results: dict[str, Phase] = {}
    for target in targets:
        handles = list(await asyncio.gather(*tasks[target.name]))
        for handle in handles:
            await handle.response(10)
        await target.drv.emu.wait_until(functools.partial(done, target), 60, "the work behind every interaction")
    await asyncio.sleep(0.2)
    for target in targets:
        handles = [task.result() for task in tasks[target.name]]
        cpu = target.process.cpu_seconds() - cpu_before[target.name]
        latencies = sorted((h.record.callback_at or 0) - h.record.created for h in handles)
        results[target.name] = {
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "cpu_ms_per_interaction": cpu * 1000 / count,
        }
    return results


async def run(
    floors: dict[str, dict[str, str]], count: int, rate: float, form_from: str
) -> dict[str, dict[str, Phase]]:
    """One run: every floor and the bot prepared, then each phase measured with all of them together."""
    values = {"q0": "Sent the proposal", "q1": "Landing page", "q2": "none"}
    async with AsyncExitStack() as stack:
        targets = [await prepare(stack, name, "bench.floor_bot", count, form_from, env) for name, env in floors.items()]
        bot = await prepare(stack, "bot", "bot", count, form_from, {})
        targets.append(bot)
        seconds = int(count / rate) + 2
        spies = [await sample(t.process.pid, f"{PROFILE}.{t.name}", seconds, rate=500) for t in targets if PROFILE]
        answers = await measure_together(
            targets,
            count,
            rate,
            lambda t, i: t.drv.submit_modal(t.guild, t.members[i], t.modal_id, values),
            lambda t: t.answers_shown(),
        )
        for spy in spies:
            await spy.wait()
        reads = await measure_together(
            targets, count, rate, lambda t, i: t.drv.slash(t.guild, t.members[i], "circle list"), lambda t: True
        )
        for target in targets:
            assert not target.drv.emu.unhandled, target.drv.emu.unhandled
    phases = {"modal submit (answer)": answers, "/circle list": reads}
    return {target: {phase: measured[target] for phase, measured in phases.items()} for target in answers}


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
    parser.add_argument("--repeat", type=int, default=5, help="runs (all targets together in each); medians shown")
    parser.add_argument(
        "--commit-floor",
        action="store_true",
        help="also a floor that commits one row per answer through the bot's SQLite writer (and posts, with "
        "--form-from command)",
    )
    args = parser.parse_args()
    targets: dict[str, dict[str, str]] = {"floor": {}}
    if args.form_from == "button":
        # The bot's reply is the answer itself: the least a bot can do that keeps it is commit, then reply.
        if args.commit_floor:
            targets["floor+commit"] = {"FLOOR_COMMITS": "1"}
            targets["floor+commit+show"] = {"FLOOR_COMMITS": "1", "FLOOR_SHOWS": "1"}
    else:
        # The bot replies, then posts the answer in the thread (a second request, paced).
        targets["floor+post"] = {"FLOOR_POSTS": "1"}
        if args.commit_floor:
            targets["floor+post+commit"] = {"FLOOR_POSTS": "1", "FLOOR_COMMITS": "1"}
    runs: dict[str, list[dict[str, Phase]]] = {who: [] for who in [*targets, "bot"]}
    for _ in range(args.repeat):
        for who, phases in asyncio.run(run(targets, args.count, args.rate, args.form_from)).items():
            runs[who].append(phases)
    medians = {who: median_of(results) for who, results in runs.items()}
    floor, bot = medians["floor"], medians["bot"]
    print(
        f"{args.count} interactions per phase at {args.rate:.0f}/s, median of {args.repeat} runs each; "
        f"answer forms opened from the {args.form_from}"
    )
    print(f"{'phase':24} {'who':18} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/interaction':>20}")
    for phase in floor:
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
            # Each run of the bot against the floor measured at the same time: the spread shows the noise.
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
