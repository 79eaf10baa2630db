"""The scheduler seam. The database is the source of truth; the scheduler only holds wake-ups.

Features register *handlers* (what to do when a wake-up fires) and *planners* (which wake-ups the
database implies). At start-up every planner runs once for the guilds this process owns; after a change
(a schedule edited, a circle's timezone moved) the feature re-plans just that circle. Wake-up ids are
stable (``standup-open:{circle_id}``), so planning again replaces rather than duplicates.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot import logs

log = logging.getLogger(__name__)


class WakeUp(ABC):
    """A small frozen value naming one wake-up: what to do (its type's handler) and for whom (its fields).

    Subclasses are ``@dataclass(frozen=True)`` and give ``job_id``, the stable id planning replaces by
    (``standup-open:{circle_id}``), so planning the same wake-up twice keeps one job.
    """

    @property
    @abstractmethod
    def job_id(self) -> str: ...


W = TypeVar("W", bound=WakeUp)
Handler = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class PlanScope:
    """What a planner should (re)plan: every circle of the owned guilds, or one circle."""

    owned_guilds: Callable[[int], bool]
    circle_id: int | None = None

    def covers(self, guild_id: int, circle_id: int) -> bool:
        return self.owned_guilds(guild_id) and (self.circle_id is None or self.circle_id == circle_id)


Planner = Callable[[PlanScope], Awaitable[None]]


class Scheduler(Protocol):
    def register(self, kind: type[W], handler: Callable[[W], Awaitable[None]]) -> None: ...
    def at(self, wake: WakeUp, when: datetime) -> None: ...
    def cancel(self, job_id: str) -> None: ...
    def job_ids(self) -> list[str]: ...
    def start(self) -> None: ...
    def shutdown(self) -> None: ...
    async def stopped(self, grace: float = 5.0) -> None: ...


async def run_isolated(what: str, step: Callable[[], Awaitable[None]], **context: Any) -> bool:
    """Run one of several independent steps (a planner, a ready hook): a failure is logged with its
    context and the caller goes on with the next, so one broken circle or thread never stops the rest."""
    with logs.context(**{key: value for key, value in context.items() if value is not None}):
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; the others still run", what)
            return False
    return True


class Planners:
    """The planners features registered, run together at start-up or for one circle after a change."""

    def __init__(self) -> None:
        self._planners: list[Planner] = []

    def add(self, planner: Planner) -> None:
        self._planners.append(planner)

    async def plan(self, scope: PlanScope) -> None:
        for planner in self._planners:
            name = getattr(planner, "__qualname__", repr(planner))
            await run_isolated(f"planner {name}", functools.partial(planner, scope), circle=scope.circle_id)


def shard_owner(shard_count: int, shard_ids: Collection[int]) -> Callable[[int], bool]:
    """Discord's rule for which shard receives a guild: (guild_id >> 22) % shard_count."""
    owned = frozenset(shard_ids)
    return lambda guild_id: (guild_id >> 22) % shard_count in owned


class _HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[type[WakeUp], Handler] = {}

    def register(self, kind: type[W], handler: Callable[[W], Awaitable[None]]) -> None:
        if kind in self._handlers:
            raise ValueError(f"a handler for {kind.__name__} is registered twice")
        self._handlers[kind] = handler

    async def run(self, wake: WakeUp) -> None:
        with logs.context(inherit=False, job=wake.job_id):
            try:
                handler = self._handlers.get(type(wake))
                if handler is None:
                    raise LookupError(f"no handler registered for {type(wake).__name__}")
                await handler(wake)
            except asyncio.CancelledError:
                # Only a shutdown cancels a wake-up; its claim (if any) is recovered after the restart.
                log.info("scheduled job stopped by shutdown")
            except Exception:
                # A failed wake-up must not kill the scheduler; the next planning pass retries it.
                log.exception("scheduled job failed")


class APScheduler(_HandlerRegistry):
    """APScheduler 3.x with an in-memory job store: wake-ups only, rebuilt from the database at start-up.

    Wake-ups due at the same instant share one APScheduler job: the thousands of circles whose standups
    open at 09:00 are one job, not thousands (adding a job costs APScheduler a signature inspection and
    more, about 0.2 ms, which made planning 10,000 circles take seconds). Ids stay individual here, so
    each wake-up can still be replaced or cancelled on its own, and each still runs in its own task.
    """

    def __init__(self) -> None:
        super().__init__()
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._wakes: dict[str, tuple[datetime, WakeUp]] = {}
        self._due: dict[datetime, dict[str, None]] = {}  # instant → its wake-ups' ids, in planning order
        self._running: set[asyncio.Task[None]] = set()

    def at(self, wake: WakeUp, when: datetime) -> None:
        job_id = wake.job_id
        self.cancel(job_id)
        self._wakes[job_id] = (when, wake)
        ids = self._due.get(when)
        if ids is None:
            ids = self._due[when] = {}
            self._scheduler.add_job(
                self._fire,
                DateTrigger(run_date=when, timezone=UTC),
                args=[when],
                id=_instant_job(when),
                replace_existing=True,
                coalesce=True,
                # However late the loop gets to it, run it: the handler decides from the database
                # whether the occurrence is still due, already done, or missed.
                misfire_grace_time=None,
            )
        ids[job_id] = None

    async def _fire(self, when: datetime) -> None:
        for job_id in self._due.pop(when, {}):
            _, wake = self._wakes.pop(job_id)
            task = asyncio.create_task(self.run(wake), name=job_id)
            self._running.add(task)  # a reference until it ends, so it is not collected half-way
            task.add_done_callback(self._running.discard)

    def cancel(self, job_id: str) -> None:
        planned = self._wakes.pop(job_id, None)
        if planned is None:
            return
        when = planned[0]
        ids = self._due[when]
        del ids[job_id]
        if not ids:
            del self._due[when]
            if self._scheduler.get_job(_instant_job(when)) is not None:
                self._scheduler.remove_job(_instant_job(when))

    def job_ids(self) -> list[str]:
        return list(self._wakes)

    def next_run(self, job_id: str) -> datetime | None:
        planned = self._wakes.get(job_id)
        return planned[0] if planned is not None else None

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def stopped(self, grace: float = 5.0) -> None:
        """After ``shutdown``: let the wake-ups still running finish for up to ``grace`` seconds, then
        cancel the rest (their claims are taken over after a restart), so none of them is talking to
        Discord when the client closes."""
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _instant_job(when: datetime) -> str:
    return f"at:{when.astimezone(UTC).isoformat()}"


class FakeScheduler(_HandlerRegistry):
    """For tests: holds wake-ups in a dict; ``run_due(now)`` fires those due, in time order."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: dict[str, tuple[datetime, WakeUp]] = {}
        self.running = False

    def at(self, wake: WakeUp, when: datetime) -> None:
        self.jobs[wake.job_id] = (when, wake)

    def cancel(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)

    def job_ids(self) -> list[str]:
        return sorted(self.jobs)

    def start(self) -> None:
        self.running = True

    def shutdown(self) -> None:
        self.running = False

    async def stopped(self, grace: float = 5.0) -> None:
        return None  # runs nothing in the background

    async def run_due(self, now: datetime) -> list[str]:
        ran: list[str] = []
        while True:
            due = sorted((when, job_id) for job_id, (when, _) in self.jobs.items() if when <= now)
            if not due:
                return ran
            job_id = due[0][1]
            _, wake = self.jobs.pop(job_id)
            await self.run(wake)
            ran.append(job_id)
