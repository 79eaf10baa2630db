"""Checkpointed side effects: several things made on Discord in a row, each recorded before the next.

Opening a standup creates a thread, then posts into it, then marks the standup open; a pairing round
creates a private thread, adds its members, posts the intro. The process may die between any two of
those steps. Each step therefore has the id the database already holds (done before the crash), a way
to find the thing on Discord when it was made but not recorded (only worth trying on a recovered claim),
a way to make it, and a way to record it, which always runs before the next step, whichever of the three
paths produced the id. A takeover after a second crash then finds every earlier step recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str  # for logs and tests: "thread", "opening message"
    recorded: int | None  # the id the database already holds for this step
    create: Callable[[], Awaitable[int]]  # make the thing on Discord; its id
    record: Callable[[int], Awaitable[None]]  # write the id down (commits)
    # Look for the thing made before a crash but not recorded; None when it cannot exist or be found.
    find: Callable[[], Awaitable[int | None]] | None = None


@dataclass(frozen=True)
class Done:
    id: int
    created: bool  # made by this attempt (so nothing made after it can exist yet)


async def checkpoint(step: Step, *, recovering: bool) -> Done:
    """Run one step: reuse, find (when recovering), or create; then record before returning."""
    if step.recorded is not None:
        return Done(step.recorded, created=False)
    found = await step.find() if recovering and step.find is not None else None
    if found is not None:
        await step.record(found)
        return Done(found, created=False)
    made = await step.create()
    await step.record(made)
    return Done(made, created=True)
