"""Rate limits and injected failures, with the exact headers and bodies discord.py reacts to.

discord.py only retries a 429 when the response carries a ``Via`` header (otherwise it assumes a
Cloudflare ban) and reads ``retry_after`` and ``global`` from the JSON body; it learns buckets from
``X-RateLimit-Bucket`` and sleeps pre-emptively when ``X-RateLimit-Remaining`` reaches 0.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import time
from collections import deque
from dataclasses import dataclass

from .routing import RestResponse


@dataclass
class InjectedFault:
    method: str | None
    path_regex: re.Pattern[str]
    remaining: int
    status: int
    retry_after: float = 0.0
    global_: bool = False
    scope: str = "user"

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and (self.method is None or self.method == method)
            and self.path_regex.search(path) is not None
        )


class HeldRequests:
    """Requests kept waiting until released (see ``Emulator.hold``)."""

    def __init__(self, method: str | None, path_regex: re.Pattern[str], count: int) -> None:
        self.method = method
        self.path_regex = path_regex
        self.remaining = count
        self.arrived = asyncio.Event()
        self._released = asyncio.Event()
        self.processed = True

    def takes(self, method: str, path: str) -> bool:
        if self.remaining <= 0 or (self.method is not None and self.method != method):
            return False
        if self.path_regex.search(path) is None:
            return False
        self.remaining -= 1
        return True

    async def wait(self) -> None:
        self.arrived.set()
        await self._released.wait()

    def release(self, *, process: bool = True) -> None:
        """Let the held requests go on: processed as usual, or (``process=False``, for a client that
        died meanwhile) answered with a 503 that changes nothing."""
        self.processed = process
        self._released.set()


@dataclass
class Bucket:
    limit: int
    window: float
    used: int = 0
    reset_at: float = 0.0


class RateLimits:
    """Per-route buckets (informational, generous) and the optional enforced global limit."""

    def __init__(self, *, bucket_limit: int = 1000, bucket_window: float = 1.0) -> None:
        self.bucket_limit = bucket_limit
        self.bucket_window = bucket_window
        self.global_limit: int | None = None
        self._buckets: dict[str, Bucket] = {}
        self._global_window: deque[float] = deque()
        self.faults: list[InjectedFault] = []

    # injected faults --------------------------------------------------------------------------------

    def take_fault(self, method: str, path: str) -> InjectedFault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                return fault
        return None

    # global limit -----------------------------------------------------------------------------------

    def global_retry_after(self, now: float) -> float | None:
        """Counts one bot request against the global limit; the wait when it is exceeded."""
        if self.global_limit is None:
            return None
        window = self._global_window
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.global_limit:
            return max(0.001, 1.0 - (now - window[0]))
        window.append(now)
        return None

    # per-route headers ------------------------------------------------------------------------------

    def route_headers(self, route_key: str, major: str) -> dict[str, str]:
        now = time.time()
        bucket_hash = hashlib.sha1(route_key.encode()).hexdigest()[:16]
        bucket = self._buckets.setdefault(f"{bucket_hash}:{major}", Bucket(self.bucket_limit, self.bucket_window))
        if now >= bucket.reset_at:
            bucket.used = 0
            bucket.reset_at = now + bucket.window
        bucket.used += 1
        remaining = max(0, bucket.limit - bucket.used)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{bucket.reset_at:.3f}",
            "X-RateLimit-Reset-After": f"{max(0.0, bucket.reset_at - now):.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }


def too_many_requests(retry_after: float, *, global_: bool, scope: str, route_key: str | None = None) -> RestResponse:
    """A 429 as Discord (behind its Google front end, hence ``Via``) sends it."""
    headers = {
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "Via": "1.1 google",
        "X-RateLimit-Scope": "global" if global_ else scope,
    }
    if global_:
        headers["X-RateLimit-Global"] = "true"
    else:
        now = time.time()
        headers.update(
            {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{now + retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Bucket": hashlib.sha1((route_key or "").encode()).hexdigest()[:16],
            }
        )
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": global_,
        "code": 0,
    }
    return RestResponse(429, body, headers)


def server_error(status: int) -> RestResponse:
    reasons = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    return RestResponse(status, {"message": f"{status}: {reasons.get(status, 'Server Error')}", "code": 0})
