"""The services the composition root builds once and hands to every cog (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.circles.activity import ActivitySource
from bot.circles.service import CircleService
from bot.clock import Clock
from bot.db import Database
from bot.profiles.service import ProfileService
from bot.scheduling import Planners, Scheduler
from bot.standups.service import StandupService


@dataclass
class Services:
    db: Database
    clock: Clock
    scheduler: Scheduler
    planners: Planners
    circles: CircleService
    profiles: ProfileService
    standups: StandupService
    # Features add a source each, so `/circle list` and `/circle info` can say what runs in a circle.
    activity_sources: list[ActivitySource] = field(default_factory=list)

    @classmethod
    def build(cls, db: Database, clock: Clock, scheduler: Scheduler) -> Services:
        circles = CircleService(db, clock)
        profiles = ProfileService(db, clock)
        return cls(
            db=db,
            clock=clock,
            scheduler=scheduler,
            planners=Planners(),
            circles=circles,
            profiles=profiles,
            standups=StandupService(db, clock, scheduler, circles, profiles),
        )
