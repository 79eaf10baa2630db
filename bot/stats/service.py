"""Stats use cases: `/stats me`, `/stats circle`, `/stats export`. Read-only, one guild at a time.

Every figure comes from other features' tables when asked for (bot/stats/queries.py); the arithmetic is in
the pure modules (days, heatmap, timesheet, figures) and runs off the event loop when it is large.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.circles.service import CircleService, CircleView
from bot.clock import Clock
from bot.db import Database
from bot.errors import InvalidInput
from bot.focus.presence import Interval, union
from bot.focus.voice import VoicePresence
from bot.profiles.service import ProfileService
from bot.standups.answers import StandupAnswers
from bot.stats import offload, queries
from bot.stats.days import Period, bucket_by_day, clip, local_midnight, minutes, monday_of, period_start
from bot.stats.figures import GoalBar, goal_target_hours, leaderboard
from bot.stats.heatmap import WEEKS, HeatMap, heatmap_cells
from bot.stats.results import CircleStats, MemberStats, Timesheet, WeekBar
from bot.stats.timesheet import SPRINT, VOICE, rows_of, sessions_csv, tag_totals, totals_csv
from bot.timeparse import parse_local_date

# Dates further ahead than this are typing mistakes (2062 for 2026), not a plan.
FUTURE_LIMIT = timedelta(days=366)
# A big circle's stats cost hundreds of milliseconds of CPU: computed once per this many seconds.
CIRCLE_CACHE_SECONDS = 30.0
# Work on more intervals than this moves to a thread, so a big circle never stalls the event loop.
THREAD_THRESHOLD = 500


class StatsService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        circles: CircleService,
        profiles: ProfileService,
        answers: StandupAnswers,
        voice: VoicePresence,
    ) -> None:
        self.db = db
        self.clock = clock
        self.circles = circles
        self.profiles = profiles
        self.answers = answers
        self.voice = voice
        # (guild, circle, period) → (monotonic time, the computation): concurrent and repeated requests
        # for a circle's stats share one computation for CIRCLE_CACHE_SECONDS (figures up to that stale).
        self._circle_cache: dict[tuple[int, int, Period], tuple[float, asyncio.Future[CircleStats]]] = {}

    # ----- /stats me ------------------------------------------------------------------------------

    async def member(self, guild_id: int, user_id: int, period: Period) -> MemberStats:
        now = self.clock.now()
        profile = await self.profiles.get(guild_id, user_id)
        zone = ZoneInfo(profile.zone)
        today = now.astimezone(zone).date()
        since_day = period_start(period, today)
        first_monday = monday_of(today) - timedelta(weeks=WEEKS - 1)
        read_from_day = first_monday if since_day is None else min(first_monday, since_day)
        read_from = None if since_day is None else local_midnight(read_from_day, zone)
        since = None if since_day is None else local_midnight(since_day, zone)
        await self.voice.settle()  # voice changes are batched: count the last second's too
        async with self.db.reader() as session:
            spans = await queries.member_presence(session, guild_id, user_id, read_from, now, now)
            sprints = await queries.member_sprints(session, guild_id, user_id, since, now)
            goals = await queries.goals_done(session, guild_id, [user_id], since, now)
        streak = await self.answers.best_streak(guild_id, user_id)

        def crunch() -> tuple[timedelta, HeatMap]:
            by_day = bucket_by_day(spans, zone)
            in_period = sum((v for d, v in by_day.items() if since_day is None or d >= since_day), timedelta())
            return in_period, heatmap_cells({d: minutes(v) for d, v in by_day.items()}, today)

        in_period, heat = await offload.off_loop(crunch) if len(spans) > THREAD_THRESHOLD else crunch()
        return MemberStats(
            guild_id=guild_id,
            user_id=user_id,
            timezone=profile.zone,
            period=period,
            since=since_day,
            today=today,
            focus_minutes=minutes(in_period),
            sprint_minutes=sprints.minutes,
            sprints_joined=sprints.joined,
            streak=streak,
            goals_done=goals,
            heatmap=heat,
        )

    # ----- /stats circle --------------------------------------------------------------------------

    async def circle(self, guild_id: int, circle_ref: str | None, period: Period) -> CircleStats:
        # Resolved within this guild only: another guild's circle id is "no circle called …" here.
        circle = await self.circles.resolve(guild_id, circle_ref)
        key = (guild_id, circle.id, period)
        now = time.monotonic()
        cached = self._circle_cache.get(key)
        if cached is not None and now - cached[0] < CIRCLE_CACHE_SECONDS:
            return await asyncio.shield(cached[1])
        for old in [k for k, (at, _) in self._circle_cache.items() if now - at >= CIRCLE_CACHE_SECONDS]:
            del self._circle_cache[old]
        task = asyncio.ensure_future(self._circle(circle, period))
        self._circle_cache[key] = (now, task)
        try:
            return await asyncio.shield(task)
        except BaseException:
            if self._circle_cache.get(key, (0.0, None))[1] is task:
                del self._circle_cache[key]  # a failure is not remembered
            raise

    async def _circle(self, circle: CircleView, period: Period) -> CircleStats:
        guild_id = circle.guild_id
        now = self.clock.now()
        zone = ZoneInfo(circle.timezone)
        today = now.astimezone(zone).date()
        since_day = period_start(period, today)
        first_monday = monday_of(today) - timedelta(weeks=WEEKS - 1)
        read_from = None if since_day is None else local_midnight(min(first_monday, since_day), zone)
        since = None if since_day is None else local_midnight(since_day, zone)
        await self.voice.settle()
        async with self.db.reader() as session:
            presence = await queries.circle_presence(session, guild_id, circle.id, read_from, now, now)
            joined = await queries.members_joined(session, circle.id)
            hidden = await queries.hidden_members(session, guild_id)
            sprints = await queries.circle_sprints(session, guild_id, circle.id, since, now)
            standups = await queries.circle_standups(session, guild_id, circle.id, since, now)
            goals = await queries.goals_done(session, guild_id, joined, since, now)

        def crunch() -> tuple[dict[int, int], dict[date, int]]:
            per_member: dict[int, int] = {}
            per_day: dict[date, int] = {}
            for user_id, spans in presence.items():
                days = bucket_by_day(spans, zone)
                per_member[user_id] = minutes(
                    sum((v for d, v in days.items() if since_day is None or d >= since_day), timedelta())
                )
                for d, v in days.items():
                    per_day[d] = per_day.get(d, 0) + int(v.total_seconds())
            return per_member, per_day

        size = sum(len(spans) for spans in presence.values())
        per_member, seconds_per_day = await offload.off_loop(crunch) if size > THREAD_THRESHOLD else crunch()
        this_monday = monday_of(today)
        week_seconds = sum(s for d, s in seconds_per_day.items() if d >= this_monday)
        # Leaderboard: current members only (a guest in the room is not ranked), never the hidden.
        members_minutes = {uid: mins for uid, mins in per_member.items() if uid in joined}
        return CircleStats(
            guild_id=guild_id,
            circle_id=circle.id,
            circle_name=circle.name,
            timezone=circle.timezone,
            period=period,
            since=since_day,
            today=today,
            focus_minutes=sum(per_member.values()),
            active_members=sum(1 for mins in per_member.values() if mins > 0),
            members=len(joined),
            sprints=sprints,
            standups_held=len(standups),
            answers=sum(len(s.answered_by) for s in standups),
            goals_done=goals,
            goal=GoalBar(round(week_seconds / 3600, 1), goal_target_hours(len(joined))),
            leaderboard=tuple(leaderboard(members_minutes, hidden)),
            weeks=weekly_bars(seconds_per_day, first_monday),
        )

    # ----- /stats export --------------------------------------------------------------------------

    async def timesheet(self, guild_id: int, user_id: int, first_text: str | None, last_text: str | None) -> Timesheet:
        now = self.clock.now()
        profile = await self.profiles.get(guild_id, user_id)
        zone = ZoneInfo(profile.zone)
        today = now.astimezone(zone).date()
        first, last = export_range(first_text, last_text, today)
        start, end = local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
        await self.voice.settle()
        async with self.db.reader() as session:
            activities = await queries.member_activities(session, guild_id, user_id, start, min(end, now), now)
        rows = rows_of(activities, zone)
        totals = tag_totals(rows)
        return Timesheet(
            timezone=profile.zone,
            first=first,
            last=last,
            rows=len(rows),
            voice_minutes=sum(r.minutes for r in rows if r.kind == VOICE),
            sprint_minutes=sum(r.minutes for r in rows if r.kind == SPRINT),
            sessions_csv=sessions_csv(rows, profile.zone),
            totals_csv=totals_csv(totals),
            tags=len(totals),
        )


DATE_HELP = "Use `YYYY-MM-DD`, `today`, `tomorrow` or a weekday like `friday`."


def export_range(first_text: str | None, last_text: str | None, today: date) -> tuple[date, date]:
    """The export's local days: `from` defaults to the 1st of this month, `to` to today."""
    first = parse_local_date(first_text, today) if first_text else today.replace(day=1)
    last = parse_local_date(last_text, today) if last_text else today
    for name, value in (("from", first), ("to", last)):
        if value > today + FUTURE_LIMIT:
            raise InvalidInput(f"`{name}` is more than a year ahead ({value.isoformat()}). {DATE_HELP}")
    if first > last:
        raise InvalidInput(
            f"`from` ({first.isoformat()}) is after `to` ({last.isoformat()}): give the earlier date first."
        )
    return first, last


def weekly_bars(seconds_per_day: Mapping[date, int], first_monday: date, weeks: int = WEEKS) -> tuple[WeekBar, ...]:
    out = []
    for column in range(weeks):
        monday = first_monday + timedelta(weeks=column)
        seconds = sum(seconds_per_day.get(monday + timedelta(days=i), 0) for i in range(7))
        out.append(WeekBar(f"{monday.day} {monday:%b}", round(seconds / 3600, 1)))
    return tuple(out)


def presence_seconds(spans: list[Interval], start: datetime, end: datetime) -> int:
    return int(sum(((b - a) for a, b in union(clip(spans, start, end))), timedelta()).total_seconds())
