"""Stats and the weekly digest on a real database (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.actors import Actor
from bot.circles.service import CircleView
from bot.clock import FixedClock
from bot.db import Database
from bot.db.claims import OccurrenceStatus
from bot.errors import InvalidInput, NotFound
from bot.focus.models import Sprint, SprintParticipant, VoiceSession
from bot.pairing.models import Goal, GoalStatus
from bot.scheduling import FakeScheduler, PlanScope
from bot.services import Services
from bot.stats.days import Period
from bot.stats.digests import DigestWake
from bot.stats.models import DigestOccurrence

GUILD, OTHER_GUILD = 500, 600
HOST = Actor(GUILD, 1, manages_guild=True)
OTHER_HOST = Actor(OTHER_GUILD, 2, manages_guild=True)
ALICE, BOB, CAROL = 11, 12, 13
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 16, 0, tzinfo=BERLIN).astimezone(UTC)  # Thursday afternoon in Berlin
EVERYONE = lambda _guild: True  # noqa: E731


def berlin(d: int, h: int, mi: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, d, h, mi, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def services(db: Database, clock: FixedClock) -> AsyncIterator[Services]:
    built = Services.build(db, clock, FakeScheduler())
    await built.liveness.start()
    yield built
    await built.liveness.stop()


async def circle(s: Services, actor: Actor = HOST, name: str = "EU mornings", voice: int = 700) -> CircleView:
    made = await s.circles.create(
        actor, name=name, channel_id=voice + 200, voice_channel_id=voice, timezone="Europe/Berlin"
    )
    return made


async def add(db: Database, *rows: Any) -> None:
    async with db.transaction() as session:
        session.add_all(rows)


def voice(
    guild: int, user: int, circle_id: int | None, start: datetime, end: datetime | None, room: int = 700
) -> VoiceSession:
    return VoiceSession(
        guild_id=guild, user_id=user, circle_id=circle_id, channel_id=room, started_at=start, ended_at=end
    )


async def sprint(db: Database, c: CircleView, user: int, start: datetime, tag: str | None, minutes: int) -> None:
    async with db.transaction() as session:
        row = Sprint(
            guild_id=c.guild_id,
            circle_id=c.id,
            circle_name=c.name,
            channel_id=c.channel_id,
            voice_channel_id=c.voice_channel_id or 0,
            starter_user_id=user,
            started_at=start,
            focus_minutes=25,
            break_minutes=5,
            rounds=2,
            status="ended",
            ended_at=start + timedelta(minutes=55),
        )
        session.add(row)
        await session.flush()
        session.add(
            SprintParticipant(
                sprint_id=row.id, user_id=user, guild_id=c.guild_id, tag=tag, joined_at=start, focus_minutes=minutes
            )
        )


def goal(guild: int, user: int, closed: datetime | None, status: GoalStatus = GoalStatus.DONE) -> Goal:
    return Goal(guild_id=guild, user_id=user, text="ship it", status=status, created_at=closed or NOW, closed_at=closed)


async def test_member_stats_count_local_days_periods_sprints_and_goals(services: Services, db: Database) -> None:
    c = await circle(services)
    await services.profiles.set_timezone(GUILD, ALICE, "Europe/Berlin")
    await add(
        db,
        voice(GUILD, ALICE, c.id, berlin(25, 23, 30), berlin(26, 0, 30)),  # Wed 30 min + Thu 30 min
        voice(GUILD, ALICE, c.id, berlin(2, 9), berlin(2, 10)),  # 2 Nov: this month, not this week
        voice(GUILD, ALICE, c.id, berlin(26, 15, 0), None),  # still in the room: counts up to now (60 min)
        voice(GUILD, ALICE, None, berlin(10, 9, month=10), berlin(10, 11, month=10)),  # a deleted circle's room
        voice(OTHER_GUILD, ALICE, None, berlin(26, 9), berlin(26, 12)),  # another guild: never counted
        voice(GUILD, BOB, c.id, berlin(26, 9), berlin(26, 12)),  # another member
        goal(GUILD, ALICE, berlin(24, 12)),
        goal(GUILD, ALICE, berlin(3, 12)),
        goal(GUILD, ALICE, None, GoalStatus.OPEN),
        goal(OTHER_GUILD, ALICE, berlin(24, 12)),
    )
    await sprint(db, c, ALICE, berlin(24, 9), "acme", 50)
    week = await services.stats.member(GUILD, ALICE, Period.WEEK)
    assert week.since == date(2026, 11, 23) and week.timezone == "Europe/Berlin"
    assert week.focus_minutes == 120
    assert (week.sprints_joined, week.sprint_minutes, week.goals_done) == (1, 50, 1)
    month = await services.stats.member(GUILD, ALICE, Period.MONTH)
    assert (month.focus_minutes, month.goals_done) == (180, 2)
    everything = await services.stats.member(GUILD, ALICE, Period.ALL)
    assert everything.focus_minutes == 300
    heat = everything.heatmap
    assert heat.cells[2][11] == 30 and heat.cells[3][11] == 90  # Wednesday, Thursday (30 + the open hour)
    assert heat.total_minutes == 300


async def test_circle_stats_goal_leaderboard_hidden_members_and_other_guilds(services: Services, db: Database) -> None:
    c = await circle(services)
    other = await circle(services, OTHER_HOST, "Elsewhere", voice=800)
    for user in (ALICE, BOB, CAROL):
        await services.circles.join(GUILD, user, c.id)
    await services.profiles.set_leaderboard(GUILD, BOB, False)
    await add(
        db,
        voice(GUILD, ALICE, c.id, berlin(24, 9), berlin(24, 11)),
        voice(GUILD, BOB, c.id, berlin(24, 9), berlin(24, 14)),
        voice(GUILD, CAROL, c.id, berlin(10, 9), berlin(10, 10)),  # this month, an earlier week
        voice(GUILD, 99, c.id, berlin(24, 9), berlin(24, 10)),  # a guest, not a member: not ranked
        voice(OTHER_GUILD, ALICE, other.id, berlin(24, 9), berlin(24, 20), room=800),
    )
    stats = await services.stats.circle(GUILD, str(c.id), Period.WEEK)
    assert stats.focus_minutes == 120 + 300 + 60
    assert stats.members == 3
    assert [r.user_id for r in stats.leaderboard] == [ALICE]  # Bob hid himself; the guest is no member
    assert stats.goal.target_hours == 6 and stats.goal.hours == 8.0 and stats.goal.reached
    assert stats.weeks[-1].hours == 8.0 and stats.weeks[-3].hours == 1.0
    month = await services.stats.circle(GUILD, c.name, Period.MONTH)
    assert [r.user_id for r in month.leaderboard] == [ALICE, CAROL]
    with pytest.raises(NotFound):
        await services.stats.circle(GUILD, str(other.id), Period.WEEK)  # another guild's circle


async def test_timesheet_rows_minutes_tags_and_bad_ranges(services: Services, db: Database) -> None:
    c = await circle(services)
    await services.profiles.set_timezone(GUILD, ALICE, "Europe/Berlin")
    await add(
        db,
        voice(GUILD, ALICE, c.id, berlin(25, 23, 30), berlin(26, 0, 30)),
        voice(GUILD, ALICE, c.id, berlin(20, 9), berlin(20, 9, 40)),
        voice(OTHER_GUILD, ALICE, None, berlin(25, 9), berlin(25, 12)),
    )
    await sprint(db, c, ALICE, berlin(24, 9), "acme", 50)
    sheet = await services.stats.timesheet(GUILD, ALICE, "2026-11-23", "today")
    rows = list(csv.DictReader(io.StringIO(sheet.sessions_csv.lstrip("\ufeff"))))
    assert [(r["date"], r["minutes"], r["kind"], r["tag"]) for r in rows] == [
        ("2026-11-24", "50", "sprint", "acme"),
        ("2026-11-25", "30", "voice", ""),
        ("2026-11-26", "30", "voice", ""),
    ]
    assert sheet.voice_minutes == 60 and sheet.sprint_minutes == 50 and sheet.timezone == "Europe/Berlin"
    totals = list(csv.DictReader(io.StringIO(sheet.totals_csv.lstrip("\ufeff"))))
    assert totals == [{"week": "2026-W48", "week_start": "2026-11-23", "tag": "acme", "minutes": "50", "hours": "0.83"}]
    default = await services.stats.timesheet(GUILD, ALICE, None, None)
    assert default.first == date(2026, 11, 1) and default.rows == 4
    with pytest.raises(InvalidInput, match="after `to`"):
        await services.stats.timesheet(GUILD, ALICE, "2026-11-26", "2026-11-01")
    with pytest.raises(InvalidInput, match="more than a year ahead"):
        await services.stats.timesheet(GUILD, ALICE, None, "2028-01-01")
    with pytest.raises(InvalidInput, match="not a date"):
        await services.stats.timesheet(GUILD, ALICE, "26/11/2026", None)


# ----- the weekly digest ------------------------------------------------------------------------------

MONDAY_SLOT = datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN).astimezone(UTC)


async def digest_rows(db: Database) -> list[DigestOccurrence]:
    async with db.reader() as session:
        return list(await session.scalars(select(DigestOccurrence).order_by(DigestOccurrence.id)))


async def test_the_digest_is_planned_for_monday_nine_and_claimed_once(
    services: Services, db: Database, clock: FixedClock
) -> None:
    c = await circle(services)
    await services.circles.join(GUILD, ALICE, c.id)
    await add(
        db,
        voice(GUILD, ALICE, c.id, berlin(24, 9), berlin(24, 12)),
        voice(GUILD, ALICE, c.id, berlin(17, 9), berlin(17, 11)),
        goal(GUILD, ALICE, berlin(27, 12)),
    )
    scheduler = services.scheduler
    assert isinstance(scheduler, FakeScheduler)
    # The circle was made on Thursday: this Monday's slot was never promised; next Monday's is.
    await services.digests.plan(PlanScope(EVERYONE))
    when, wake = scheduler.jobs[f"stats-digest:{c.id}"]
    assert when == MONDAY_SLOT and wake == DigestWake(c.id, "2026-W49")
    clock.set(MONDAY_SLOT)
    await services.liveness.beat()  # the clock jumped days: this process is alive now
    second = Services.build(db, clock, FakeScheduler())  # another process on the same database
    await second.liveness.start()
    try:
        claim = await services.digests.claim(wake)
        assert await second.digests.claim(wake) is None
    finally:
        await second.liveness.stop()
    assert claim is not None and not claim.late and not claim.recovered
    figures = claim.figures
    assert figures.week_monday == date(2026, 11, 23)
    assert (figures.minutes, figures.previous_minutes, figures.change_percent) == (180, 120, 50)
    assert figures.daily_minutes[1] == 180 and figures.goals_done == 1 and figures.members == 1
    assert figures.new_members == (ALICE,)  # she joined on Thursday
    await services.digests.record_posted(claim.digest_id, 4242)
    assert await services.digests.claim(wake) is None
    [row] = await digest_rows(db)
    assert (row.status, row.message_id, row.iso_week) == (OccurrenceStatus.CLOSED, 4242, "2026-W49")
    await services.digests.plan(PlanScope(EVERYONE))
    assert scheduler.jobs[f"stats-digest:{c.id}"][1] == DigestWake(c.id, "2026-W50")


async def test_after_downtime_the_digest_is_posted_late_once_or_recorded_missed(
    services: Services, db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    late_circle = await circle(services)
    missed_circle = await circle(services, name="Writers", voice=710)
    clock.set(MONDAY_SLOT + timedelta(hours=3))  # back at noon: within the 12 hours
    late = await services.digests.claim(DigestWake(late_circle.id, "2026-W49"))
    assert late is not None and late.late
    clock.set(MONDAY_SLOT + timedelta(hours=13))  # 22:00: past the late limit
    assert await services.digests.claim(DigestWake(missed_circle.id, "2026-W49")) is None
    statuses = {r.circle_id: r.status for r in await digest_rows(db)}
    assert statuses == {late_circle.id: OccurrenceStatus.CLAIMED, missed_circle.id: OccurrenceStatus.MISSED}
    await services.digests.plan(PlanScope(EVERYONE, circle_id=missed_circle.id))
    assert services.scheduler.jobs[f"stats-digest:{missed_circle.id}"][1].iso_week == "2026-W50"  # type: ignore[attr-defined]
    # A third circle whose wake-up never ran (the bot came back on Tuesday): start-up planning records it.
    clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    quiet_circle = await circle(services, name="Quiet", voice=720)
    clock.set(MONDAY_SLOT + timedelta(days=1))
    await services.digests.plan(PlanScope(EVERYONE))
    statuses = {r.circle_id: r.status for r in await digest_rows(db)}
    assert statuses[quiet_circle.id] == OccurrenceStatus.MISSED
    assert services.scheduler.jobs[f"stats-digest:{quiet_circle.id}"][1].iso_week == "2026-W50"  # type: ignore[attr-defined]
    assert statuses[late_circle.id] == OccurrenceStatus.CLAIMED  # a claim under way is never marked missed


async def test_a_dead_holders_digest_is_taken_over_and_looked_for(
    services: Services, db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    c = await circle(services)
    clock.set(MONDAY_SLOT)
    dead = Services.build(db, clock, FakeScheduler())
    await dead.liveness.start()
    assert await dead.digests.claim(DigestWake(c.id, "2026-W49")) is not None
    # It dies without a clean stop (SIGKILL): its heartbeat stops with it.
    task = dead.liveness._task
    assert task is not None
    task.cancel()
    clock.advance(timedelta(seconds=10))
    assert await services.digests.claim(DigestWake(c.id, "2026-W49")) is None  # its heartbeat is still fresh
    await services.digests.plan(PlanScope(EVERYONE))
    when, wake = services.scheduler.jobs[f"stats-digest:{c.id}"]  # type: ignore[attr-defined]
    assert when == MONDAY_SLOT + timedelta(seconds=20) and wake == DigestWake(c.id, "2026-W49")
    clock.advance(timedelta(seconds=15))
    rescued = await services.digests.claim(wake)
    assert rescued is not None and rescued.recovered
    assert await services.digests.claim(wake) is None  # one rescuer
    await services.digests.record_failed(rescued.digest_id)
    assert [r.status for r in await digest_rows(db)] == [OccurrenceStatus.MISSED]


async def test_circle_stats_are_computed_once_for_concurrent_and_repeated_requests(
    services: Services, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from bot.stats import service as stats_service

    c = await circle(services)
    await services.circles.join(GUILD, ALICE, c.id)
    await add(db, voice(GUILD, ALICE, c.id, berlin(24, 9), berlin(24, 10)))
    first, second = await asyncio.gather(
        services.stats.circle(GUILD, c.name, Period.WEEK), services.stats.circle(GUILD, str(c.id), Period.WEEK)
    )
    assert first is second and first.focus_minutes == 60
    await add(db, voice(GUILD, ALICE, c.id, berlin(25, 9), berlin(25, 10)))
    assert (await services.stats.circle(GUILD, None, Period.WEEK)) is first  # within the 30 s: the same figures
    monkeypatch.setattr(stats_service, "CIRCLE_CACHE_SECONDS", 0.0)
    assert (await services.stats.circle(GUILD, None, Period.WEEK)).focus_minutes == 120
