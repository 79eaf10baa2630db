"""What `/circle list` and `/circle info` show of standups, from cached schedules (no query when warm)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.circles.activity import Activity
from bot.circles.models import Circle
from bot.clock import Clock
from bot.db import Database
from bot.standups.common import schedule_view
from bot.standups.models import StandupSchedule, StandupSkip
from bot.standups.results import ScheduleView
from bot.standups.schedule import next_opening
from bot.timeparse import format_days, format_hhmm


class StandupActivities:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # Schedules as of() shows them, dropped whenever planning runs for their circle.
        self._schedules: dict[int, tuple[ScheduleView, frozenset[date]] | None] = {}
        # What of() last showed for a circle, reused until its next opening has passed.
        self._shown: dict[int, Activity] = {}

    def forget(self, circle_id: int | None) -> None:
        """Planning follows every schedule or circle change: what was cached is stale now."""
        if circle_id is None:
            self._schedules.clear()
            self._shown.clear()
        else:
            self._schedules.pop(circle_id, None)
            self._shown.pop(circle_id, None)

    async def of(self, circle_ids: list[int]) -> dict[int, list[Activity]]:
        now = self.clock.now()
        result: dict[int, list[Activity]] = {}
        for circle_id, known in (await self._schedules_of(circle_ids)).items():
            if known is None:
                continue
            shown = self._shown.get(circle_id)
            if shown is None or (shown.next_at is not None and now >= shown.next_at):
                view, skips = known
                slot = None if view.paused else next_opening(view.spec, now, skips)
                label = f"Standup {format_days(view.days)} {format_hhmm(view.open_time)} ({view.timezone})"
                shown = self._shown[circle_id] = Activity(label, slot.opens_at if slot else None, view.paused)
            result[circle_id] = [shown]
        return result

    async def _schedules_of(self, circle_ids: list[int]) -> dict[int, tuple[ScheduleView, frozenset[date]] | None]:
        missing = [cid for cid in circle_ids if cid not in self._schedules]
        if missing:
            async with self.db.reader() as session:
                found = {
                    row.circle_id: schedule_view(row, circle)
                    for row, circle in await session.execute(
                        select(StandupSchedule, Circle)
                        .join(Circle, Circle.id == StandupSchedule.circle_id)
                        .where(StandupSchedule.circle_id.in_(missing))
                    )
                }
                skips: dict[int, set[date]] = {}
                for cid, day in await session.execute(
                    select(StandupSkip.circle_id, StandupSkip.local_date).where(StandupSkip.circle_id.in_(missing))
                ):
                    skips.setdefault(cid, set()).add(day)
            for cid in missing:
                view = found.get(cid)
                self._schedules[cid] = None if view is None else (view, frozenset(skips.get(cid, ())))
        return {cid: self._schedules[cid] for cid in circle_ids}
