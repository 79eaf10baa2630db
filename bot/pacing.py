"""A client-side pacer: the bot keeps under Discord's global 50 requests/second instead of learning it from 429s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Pacer:
    """A token bucket. With ``rate`` 45/s and ``burst`` 5, no one-second window ever holds more than 50."""

    def __init__(self, rate: float = 45.0, burst: int = 5, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._monotonic = monotonic
        self._tokens = float(burst)
        self._last = monotonic()
        self._lock = asyncio.Lock()
        self.waited = 0.0  # total seconds spent waiting, for benchmarks and logs

    async def acquire(self) -> None:
        # The lock keeps waiters in arrival order, so fan-out drains first-come first-served.
        async with self._lock:
            now = self._monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            delay = (1 - self._tokens) / self.rate
            self.waited += delay
            await asyncio.sleep(delay)
            self._tokens = 0.0
            self._last = self._monotonic()
