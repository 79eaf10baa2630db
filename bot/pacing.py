"""A client-side pacer: the bot keeps under Discord's global 50 requests/second instead of learning it from 429s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

DEFAULT_RATE = 47.0


class Pacer:
    """Spaces requests at least ``1/rate`` apart on a nominal timetable (GCRA without burst).

    Each request gets the next slot of the timetable, not "now + interval": a sleep that overshoots
    (a busy event loop) does not push every later request back, so fan-out runs at the full rate. It
    never bursts, so no one-second window holds more than ``rate + 1`` requests; 47/s leaves headroom
    under Discord's 50 for the jitter between sending a request and Discord receiving it.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0  # the timetable's next free slot
        self._lock = asyncio.Lock()
        self.waited = 0.0  # total seconds spent waiting, for benchmarks and logs

    async def acquire(self) -> None:
        # The lock keeps waiters in arrival order, so fan-out drains first-come first-served. It also
        # matters after the loop stalls: each waiter takes its slot only when the one before it has
        # gone, so a stall lets at most one request follow another at once. Slots taken in advance
        # (no lock) all fall due together after a stall and go out as a burst: Discord answers 429.
        async with self._lock:
            now = self._monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
            if slot > now:
                self.waited += slot - now
                await self._sleep(slot - now)
