"""Realistic Discord snowflakes: timestamp-based, so discord.py's ``created_at`` gives real times."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeFactory:
    """Makes strictly increasing snowflakes from the wall clock.

    Strictly increasing matters: message history paging (``before``/``after``) and "newest first"
    ordering compare ids, exactly as on Discord. When more ids are asked for within one millisecond
    than the 12-bit increment allows, the timestamp part is borrowed from the next millisecond.
    """

    def __init__(self, worker_id: int = 1, process_id: int = 0) -> None:
        self._worker = worker_id & 0x1F
        self._process = process_id & 0x1F
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            return self.next_unlocked()

    def next_where(self, wanted: Callable[[int], bool], *, tries: int = 64) -> int:
        """The next snowflake that satisfies ``wanted`` (e.g. "lands on shard 1 of 2").

        Only the timestamp part moves (by whole milliseconds), so the id stays realistic.
        """
        with self._lock:
            candidate = max(self.next_unlocked(), 0)
            for _ in range(tries):
                if wanted(candidate):
                    self._last = max(self._last, candidate)
                    return candidate
                candidate = ((candidate >> 22) + 1) << 22 | (candidate & 0x3FFFFF)
            raise ValueError("no snowflake satisfies the condition")

    def next_unlocked(self) -> int:
        candidate = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (self._worker << 17)
        candidate |= self._process << 12
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate


def snowflake_time(snowflake: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=dt.UTC)


def iso_timestamp(when: dt.datetime | None = None) -> str:
    """Discord's ISO 8601 form with microseconds and an explicit +00:00 offset."""
    moment = when if when is not None else dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def shard_for(guild_id: int, shard_count: int) -> int:
    """Discord's sharding formula."""
    return (guild_id >> 22) % shard_count
