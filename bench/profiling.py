"""Sampling the bot process during a benchmark phase, for finding where its CPU goes."""

from __future__ import annotations

import asyncio


async def sample(pid: int, path: str, seconds: int, rate: int = 200) -> asyncio.subprocess.Process:
    """Start py-spy (`pip install py-spy`) on ``pid``: a raw profile of the threads holding the GIL,
    written to ``path`` after ``seconds``. Await the returned process's ``wait()`` before reading it."""
    return await asyncio.create_subprocess_exec(
        *("py-spy", "record", "--gil", "--format", "raw", "-o", path, "-p", str(pid)),
        *("-d", str(seconds), "-r", str(rate)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
