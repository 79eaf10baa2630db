"""Loaded only by the voice and sprint benchmarks (via PYTHONPATH) into the process they measure.

It starts a probe on the process's asyncio loop: a 10 ms sleep, over and over; any wake-up later than
that by more than 5 ms is appended to ``BENCH_LAG_FILE`` as "<wall time> <lag ms>", so the benchmark can
report the worst stall of the event loop during its burst. The measured program is unchanged.
"""

from __future__ import annotations

import asyncio
import os
import time

_PATH = os.environ.get("BENCH_LAG_FILE")

if _PATH:
    _run_forever = asyncio.BaseEventLoop.run_forever

    _out = open(_PATH, "a", buffering=1)  # noqa: SIM115 - open for the life of the process

    async def _probe() -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            lag = loop.time() - before - 0.01
            if lag > 0.005:
                _out.write(f"{time.time():.3f} {lag * 1000:.1f}\n")

    def run_forever(self: asyncio.BaseEventLoop) -> None:
        if not getattr(self, "_bench_probe", False):
            self._bench_probe = True  # type: ignore[attr-defined]
            self.call_soon(lambda: self.create_task(_probe()))
        _run_forever(self)

    asyncio.BaseEventLoop.run_forever = run_forever  # type: ignore[method-assign]
