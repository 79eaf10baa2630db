"""Loaded only by the e2e fixture (via PYTHONPATH) into the bot process: shifts wall-clock time.

``COWORK_E2E_TIME_OFFSET`` seconds are added to ``datetime.now()``/``utcnow()`` and ``time.time()``, so a
test can start the bot "just before" a reminder or "just after" a close without waiting hours. The bot
has no test-only branch: it reads time the usual way, and this module changes what the usual way returns.
Monotonic clocks (asyncio's timers, discord.py's heartbeats) are left alone.
"""

from __future__ import annotations

import datetime as _datetime
import os
import time as _time

_OFFSET_SECONDS = float(os.environ.get("COWORK_E2E_TIME_OFFSET", "0") or 0)

if _OFFSET_SECONDS:
    _offset = _datetime.timedelta(seconds=_OFFSET_SECONDS)
    _real_datetime = _datetime.datetime
    _real_time = _time.time

    class _ShiftedDatetime(_real_datetime):
        @classmethod
        def now(cls, tz: _datetime.tzinfo | None = None) -> _ShiftedDatetime:
            real = _real_datetime.now(tz) + _offset
            return cls.combine(real.date(), real.timetz(), tzinfo=real.tzinfo).replace(fold=real.fold)

        @classmethod
        def utcnow(cls) -> _ShiftedDatetime:
            return cls.now(_datetime.UTC).replace(tzinfo=None)

    _datetime.datetime = _ShiftedDatetime  # type: ignore[misc]
    _time.time = lambda: _real_time() + _OFFSET_SECONDS
