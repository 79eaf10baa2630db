"""The clock shift the e2e tier and the playground load into the bot process (emulator/timeshift/sitecustomize.py).

Run in a child process, as the bot is: a fixed offset from the environment; an offset read from a file and
changed while the process runs (APScheduler wake-ups that became due run at once); the scheduled wake-ups
reported to a file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from emulator.harness import TIMESHIFT

CHILD = textwrap.dedent(
    """
    import asyncio, datetime, json, sys, time
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    async def main():
        print(json.dumps({"now": datetime.datetime.now(datetime.UTC).isoformat(), "time": time.time()}), flush=True)
        ran = asyncio.Event()
        scheduler = AsyncIOScheduler(timezone=datetime.UTC)
        when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
        scheduler.add_job(ran.set, DateTrigger(run_date=when), id="in-an-hour", misfire_grace_time=None)  # as the bot
        scheduler.start()
        print("started", flush=True)
        await asyncio.wait_for(ran.wait(), float(sys.argv[1]))
        print("ran", datetime.datetime.now(datetime.UTC).isoformat(), flush=True)
        await asyncio.sleep(1.5)  # the clock shift's thread reports the empty schedule meanwhile

    asyncio.run(main())
    """
)


def _child(env: dict[str, str], wait: float) -> subprocess.Popen[str]:
    full = {**os.environ, "PYTHONPATH": str(TIMESHIFT), **env}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(wait)], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_fixed_offset_from_the_environment() -> None:
    child = _child({"COWORK_E2E_TIME_OFFSET": "86400"}, wait=0.1)
    first = json.loads(child.stdout.readline()) if child.stdout else {}
    child.kill()
    child.wait()
    assert abs(first["time"] - (time.time() + 86400)) < 30


def test_offset_file_moves_time_while_running_and_wakes_the_scheduler(tmp_path: Path) -> None:
    offset, wakeups = tmp_path / "offset", tmp_path / "wakeups.json"
    offset.write_text("0")
    child = _child({"COWORK_E2E_TIME_OFFSET_FILE": str(offset), "COWORK_E2E_WAKEUPS_FILE": str(wakeups)}, wait=20)
    assert child.stdout is not None
    try:
        first = json.loads(child.stdout.readline())
        assert abs(first["time"] - time.time()) < 30
        assert child.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 5
        while not wakeups.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        jobs = json.loads(wakeups.read_text())
        assert [job["id"] for job in jobs] == ["in-an-hour"]
        # Jump an hour and a minute: the job is due now, and runs without waiting for its real-time timer.
        jumped = time.monotonic()
        offset.write_text("3660")
        line = child.stdout.readline()
        assert line.startswith("ran"), line + child.communicate()[1]
        assert time.monotonic() - jumped < 5
        time.sleep(0.6)
        assert json.loads(wakeups.read_text()) == []  # done: nothing is scheduled any more
        assert child.wait(10) == 0
    finally:
        child.kill()
        child.wait()
