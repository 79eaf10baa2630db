"""Loaded only by the e2e fixture and the playground (via PYTHONPATH) into the bot process: shifts wall-clock time.

``COWORK_E2E_TIME_OFFSET`` seconds are added to ``datetime.now()``/``utcnow()`` and ``time.time()``, so a
test can start the bot "just before" a reminder or "just after" a close without waiting hours. The bot
has no test-only branch: it reads time the usual way, and this module changes what the usual way returns.
Monotonic clocks (asyncio's timers, discord.py's heartbeats) are left alone.

The playground moves time while the bot runs: with ``COWORK_E2E_TIME_OFFSET_FILE`` the offset is the number in
that file (read at start and again whenever the file changes; a thread looks four times a second), and after a
change every APScheduler scheduler of the process is woken (its public, thread-safe ``wakeup()``) so wake-ups
that are now due run at once instead of when their real-time timer would have fired. With
``COWORK_E2E_WAKEUPS_FILE`` the same thread writes the scheduled wake-ups (name and UTC time, soonest first) to
that file as JSON, so the playground can list them and jump "to the next scheduled event".
"""

from __future__ import annotations

import contextlib
import datetime as _datetime
import json
import os
import threading
import time as _time
from pathlib import Path
from typing import Any

_OFFSET_FILE = os.environ.get("COWORK_E2E_TIME_OFFSET_FILE") or None
_WAKEUPS_FILE = os.environ.get("COWORK_E2E_WAKEUPS_FILE") or None


def _read_offset(path: str) -> float:
    try:
        return float(Path(path).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0.0


_offset_seconds = float(os.environ.get("COWORK_E2E_TIME_OFFSET", "0") or 0)
if _OFFSET_FILE:
    _offset_seconds = _read_offset(_OFFSET_FILE)

if _offset_seconds or _OFFSET_FILE:
    _real_datetime = _datetime.datetime
    _real_time = _time.time

    class _ShiftedDatetime(_real_datetime):
        @classmethod
        def now(cls, tz: _datetime.tzinfo | None = None) -> _ShiftedDatetime:
            real = _real_datetime.now(tz) + _datetime.timedelta(seconds=_offset_seconds)
            return cls.combine(real.date(), real.timetz(), tzinfo=real.tzinfo).replace(fold=real.fold)

        @classmethod
        def utcnow(cls) -> _ShiftedDatetime:
            return cls.now(_datetime.UTC).replace(tzinfo=None)

    _datetime.datetime = _ShiftedDatetime  # type: ignore[misc]
    _time.time = lambda: _real_time() + _offset_seconds


def _watch_schedulers() -> None:
    """Track APScheduler schedulers (imported after the clock is shifted, so they read the shifted time)."""
    from apscheduler.schedulers.base import BaseScheduler

    schedulers: list[Any] = []
    original_start = BaseScheduler.start

    def start(self: Any, *args: Any, **kwargs: Any) -> None:
        schedulers.append(self)
        original_start(self, *args, **kwargs)

    BaseScheduler.start = start

    def wakeups() -> list[dict[str, str]]:
        found = []
        for scheduler in list(schedulers):
            for job in scheduler.get_jobs():
                when = getattr(job, "next_run_time", None)  # None: not yet started, or paused
                if when is None:
                    continue
                # A scheduler wrapper that groups wake-ups per instant names them through its public
                # job_ids()/next_run() (bot/scheduling.py); otherwise the APScheduler job's id is the name.
                owner: Any = getattr(job.func, "__self__", None)
                names = [job.id]
                if hasattr(owner, "job_ids") and hasattr(owner, "next_run"):
                    names = [name for name in owner.job_ids() if owner.next_run(name) == when] or names
                found += [{"at": when.astimezone(_datetime.UTC).isoformat(), "id": name} for name in names]
        return sorted(found, key=lambda wake: (wake["at"], wake["id"]))

    def report(path: str) -> None:
        try:
            text = json.dumps(wakeups())
        except RuntimeError:  # a dict changed size under us (the loop thread planned meanwhile): next round
            return
        tmp = Path(f"{path}.tmp")
        try:
            tmp.write_text(text)
            tmp.replace(path)
        except OSError:  # the playground removed its folder while stopping: nobody reads it any more
            return

    def follow() -> None:
        global _offset_seconds
        seen = _offset_seconds
        while True:
            _time.sleep(0.25)
            if _OFFSET_FILE is not None:
                offset = _read_offset(_OFFSET_FILE)
                if offset != seen:
                    seen = _offset_seconds = offset
                    for scheduler in list(schedulers):
                        if scheduler.running:
                            # Thread-safe in AsyncIOScheduler (hands over to its loop); a closed loop: stopping.
                            with contextlib.suppress(RuntimeError):
                                scheduler.wakeup()
            if _WAKEUPS_FILE is not None:
                report(_WAKEUPS_FILE)

    threading.Thread(target=follow, name="timeshift", daemon=True).start()


if _OFFSET_FILE or _WAKEUPS_FILE:
    _watch_schedulers()
