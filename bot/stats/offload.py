"""Where stats do their CPU work: charts in one worker process, big bucketing on one thread.

Charts are drawn in a single worker **process**: matplotlib's Agg renderer holds the GIL through each of
its C calls (up to ~200 ms for a heat map on a busy machine), so drawing on a thread stalls the event loop
(measured in bench/stats.py: 225 ms worst lag with a thread). In its own process it cannot, matplotlib's
thread-unsafety stops mattering, and the bot's own memory never holds matplotlib: the worker is spawned
on the first chart and keeps it loaded. A broken worker (killed, out of memory) is replaced on the next
chart. Bucketing a big circle's sessions is pure Python on one thread (it releases the GIL every 5 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
PR_SET_PDEATHSIG = 1  # linux/prctl.h
R = TypeVar("R")


@functools.cache
def _thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="stats")


def _die_with(parent: int) -> None:
    """In the worker: exit when the bot does, however it ends (a SIGKILL runs no clean-up in the bot).

    The worker holds both ends of its job queue, so the bot's death alone never wakes it: Linux is
    asked to kill it with its parent, and a watch thread covers other systems.
    """
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)  # the bot died before this ran

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@functools.cache
def _painter() -> ProcessPoolExecutor:
    # spawn, not fork: the bot has threads (the SQLite writer, this pool), which fork would copy mid-flight.
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_die_with,
        initargs=(os.getpid(),),
    )


async def off_loop(work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run pure-Python ``work`` on the stats thread (like ``asyncio.to_thread``, one thread for stats)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_thread(), functools.partial(work, *args, **kwargs))


async def draw(chart: Callable[P, bytes], *args: P.args, **kwargs: P.kwargs) -> bytes:
    """Draw a chart (a module-level function of bot.stats.charts, picklable arguments) in the chart process."""
    loop = asyncio.get_running_loop()
    job = functools.partial(chart, *args, **kwargs)
    try:
        return await loop.run_in_executor(_painter(), job)
    except BrokenProcessPool:
        _painter.cache_clear()  # the worker died: a fresh one draws this chart, and the next
        return await loop.run_in_executor(_painter(), job)
