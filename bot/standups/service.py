"""Standups, put together: the parts each hold one job and are reached through this one object.

- ``schedules`` (bot/standups/schedules.py): hosts set, pause and skip schedules;
- ``planner`` (bot/standups/planning.py): which wake-ups the database implies;
- ``lifecycle`` (bot/standups/lifecycle.py): the claimed opening, reminder and close;
- ``answers`` (bot/standups/answers.py): members' answers, history, streaks and their data;
- ``activity`` (bot/standups/activities.py): what `/circle list` and `/circle info` show.
"""

from __future__ import annotations

from bot.circles.service import CircleService
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import Claims
from bot.profiles.service import ProfileService
from bot.scheduling import Scheduler
from bot.standups.activities import StandupActivities
from bot.standups.answers import StandupAnswers
from bot.standups.lifecycle import StandupLifecycle
from bot.standups.planning import StandupPlanner
from bot.standups.schedules import StandupSchedules


class StandupService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Scheduler,
        claims: Claims,
        circles: CircleService,
        profiles: ProfileService,
    ) -> None:
        self.answers = StandupAnswers(db, clock, circles, profiles)
        self.activity = StandupActivities(db, clock)
        self.planner = StandupPlanner(db, clock, scheduler, claims, self.answers, self.activity)
        self.lifecycle = StandupLifecycle(db, clock, scheduler, claims, profiles, self.answers, self.planner)
        self.schedules = StandupSchedules(db, clock, self.planner)
