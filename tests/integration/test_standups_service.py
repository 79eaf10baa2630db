from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.actors import Actor
from bot.circles.service import CircleService, CircleView
from bot.clock import FixedClock
from bot.db import Database
from bot.db.claims import Claims
from bot.db.liveness import Liveness
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.profiles.service import ProfileService
from bot.scheduling import FakeScheduler, PlanScope
from bot.standups.models import StandupAnswer, StandupOccurrence
from bot.standups.service import StandupService
from bot.standups.wakeups import StandupClose, StandupOpening, StandupReminder, opening_job_id
from bot.timeparse import parse_days

GUILD = 500
HOST = Actor(GUILD, 1, manages_guild=True)
ALICE, BOB, CAROL = 11, 12, 13
# Thursday 2026-11-26 08:00 UTC = 09:00 in Berlin.
MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class World:
    def __init__(self, db: Database, clock: FixedClock) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = FakeScheduler()
        self.circles = CircleService(db, clock)
        self.profiles = ProfileService(db, clock)
        self.liveness = Liveness(db, clock)
        self.standups = StandupService(
            db, clock, self.scheduler, Claims(db, clock, self.liveness), self.circles, self.profiles
        )

    async def circle(self, *members: int) -> CircleView:
        circle = await self.circles.create(HOST, name="EU mornings", channel_id=900, timezone="Europe/Berlin")
        for uid in members:
            await self.circles.join(GUILD, uid, circle.id)
        return circle

    async def schedule(self, circle: CircleView, **kw: object) -> None:
        options: dict[str, object] = {"open_time": time(9, 0), "days": parse_days("daily")}
        options.update(kw)
        await self.standups.schedules.set_schedule(HOST, circle.id, **options)  # type: ignore[arg-type]

    async def open_today(self, circle: CircleView, day: date | None = None) -> int:
        claim = await self.standups.lifecycle.claim_opening(circle.id, day or self.clock.now().date())
        assert claim is not None
        await self.standups.lifecycle.record_thread(claim.occurrence_id, 7000 + claim.occurrence_id)
        await self.standups.lifecycle.mark_open(claim, 7000 + claim.occurrence_id, 8000 + claim.occurrence_id)
        return claim.occurrence_id

    async def answer(self, uid: int, occurrence_id: int, *texts: str) -> None:
        posted = await self.standups.answers.submit_answer(GUILD, uid, occurrence_id, texts or ("did", "do", "none"))
        await self.standups.answers.record_answer_message(posted.answer_id, 60000 + uid)


@pytest.fixture
def world(db: Database) -> World:
    return World(db, FixedClock(MORNING - timedelta(hours=1)))


async def occurrence_count(db: Database) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(StandupOccurrence)) or 0)


async def test_schedule_plans_the_next_opening(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle, days=parse_days("mon-fri"))
    when, wake = world.scheduler.jobs[opening_job_id(circle.id)]
    assert when == MORNING
    assert wake == StandupOpening(circle.id, date(2026, 11, 26))


async def test_bad_schedule_input_is_refused_and_nothing_written(world: World) -> None:
    circle = await world.circle()
    with pytest.raises(InvalidInput, match="1 to 23"):
        await world.schedule(circle, window_hours=24)
    with pytest.raises(InvalidInput, match="or `off`"):
        await world.schedule(circle, reminder="soon")
    with pytest.raises(InvalidInput, match="45"):
        await world.schedule(circle, questions="ok | " + "x" * 46)
    with pytest.raises(Forbidden):
        await world.standups.schedules.set_schedule(
            Actor(GUILD, ALICE), circle.id, open_time=time(9), days=frozenset({0})
        )
    assert await world.standups.schedules.get_schedule(GUILD, circle.id) is None
    assert world.scheduler.jobs == {}


async def test_full_day(world: World) -> None:
    circle = await world.circle(ALICE, BOB, CAROL)
    await world.schedule(circle, reminder="60")
    await world.profiles.set_standup_reminders(GUILD, CAROL, False)
    world.clock.set(MORNING)
    occ = await world.open_today(circle)
    assert world.scheduler.jobs[StandupReminder(occ).job_id][0] == MORNING + timedelta(minutes=60)
    assert world.scheduler.jobs[StandupClose(occ).job_id][0] == MORNING + timedelta(hours=8)
    # The next opening is tomorrow, not today again.
    assert world.scheduler.jobs[opening_job_id(circle.id)][1] == StandupOpening(circle.id, date(2026, 11, 27))

    form = await world.standups.answers.answer_form(GUILD, ALICE, circle_id=circle.id)
    assert form.current is None and form.yesterday_plan is None
    await world.answer(ALICE, occ, "shipped the invoice tool", "client call", "none")
    form = await world.standups.answers.answer_form(GUILD, ALICE, occurrence_id=occ)
    assert form.current == ("shipped the invoice tool", "client call", "none")
    edited = await world.standups.answers.submit_answer(GUILD, ALICE, occ, ["shipped it", "client call", "none"])
    assert edited.previous_message_id == 60000 + ALICE  # the cog replaces that message

    world.clock.advance(timedelta(minutes=60))
    reminder = await world.standups.lifecycle.claim_reminder(occ)
    assert reminder is not None
    assert reminder.user_ids == (BOB,)  # not Alice (answered), not Carol (reminders off)
    assert await world.standups.lifecycle.claim_reminder(occ) is None  # never a second reminder

    await world.answer(BOB, occ, "", "", "waiting on a client")
    world.clock.set(MORNING + timedelta(hours=8))
    summary = await world.standups.lifecycle.claim_close(occ)
    assert summary is not None
    assert summary.answered == (ALICE, BOB)
    assert summary.expected == 3
    assert [b.user_id for b in summary.blockers] == [BOB]
    assert summary.blockers[0].message_id == 60000 + BOB
    assert summary.next_opens_at == MORNING + timedelta(days=1)
    assert await world.standups.lifecycle.claim_close(occ) is None  # exactly one summary

    with pytest.raises(Conflict, match=r"has closed\. The next one opens <t:"):
        await world.standups.answers.submit_answer(GUILD, CAROL, occ, ["late", "", ""])


async def test_yesterdays_plan_is_offered(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    world.clock.set(MORNING)
    await world.answer(ALICE, await world.open_today(circle), "a", "write the proposal", "none")
    world.clock.set(MORNING + timedelta(days=1))
    occ = await world.open_today(circle)
    form = await world.standups.answers.answer_form(GUILD, ALICE, occurrence_id=occ)
    assert form.yesterday_plan == "write the proposal"
    assert form.current is None


async def test_two_claimers_one_winner(world: World, db: Database) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    world.clock.set(MORNING)
    # A second service on its own engine stands in for a second process.
    other_db = Database(db.url)
    try:
        other = StandupService(
            other_db,
            world.clock,
            FakeScheduler(),
            Claims(other_db, world.clock, Liveness(other_db, world.clock)),
            CircleService(other_db, world.clock),
            ProfileService(other_db, world.clock),
        )
        results = await asyncio.gather(
            *[svc.lifecycle.claim_opening(circle.id, date(2026, 11, 26)) for svc in (world.standups, other) * 4]
        )
    finally:
        await other_db.dispose()
    assert sum(r is not None for r in results) == 1
    assert await occurrence_count(db) == 1


async def test_crashed_claim_is_recovered_once_after_the_lease(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    world.clock.set(MORNING)
    first = await world.standups.lifecycle.claim_opening(circle.id, date(2026, 11, 26))
    assert first is not None
    await world.standups.lifecycle.record_thread(first.occurrence_id, 4242)
    # The process dies here. Within the lease nobody may take over; after it, exactly one does.
    world.clock.advance(timedelta(minutes=1))
    assert await world.standups.lifecycle.claim_opening(circle.id, date(2026, 11, 26)) is None
    world.clock.advance(timedelta(minutes=2))
    recovered = await world.standups.lifecycle.claim_opening(circle.id, date(2026, 11, 26))
    assert recovered is not None
    assert recovered.occurrence_id == first.occurrence_id
    assert recovered.thread_id == 4242  # the thread is reused, not made twice
    assert recovered.recovered and not first.recovered
    assert await world.standups.lifecycle.claim_opening(circle.id, date(2026, 11, 26)) is None


async def test_downtime_past_the_window_records_missed_and_never_opens_late(world: World, db: Database) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    world.clock.set(MORNING + timedelta(hours=9))  # the bot was down all through Thursday's window
    await world.standups.planner.plan(world_scope())
    async with db.reader() as session:
        statuses = list(await session.scalars(select(StandupOccurrence.status)))
    assert statuses == ["missed"]
    assert await world.standups.lifecycle.claim_opening(circle.id, date(2026, 11, 26)) is None
    assert world.scheduler.jobs[opening_job_id(circle.id)][1] == StandupOpening(circle.id, date(2026, 11, 27))


async def test_start_up_inside_the_window_opens_now(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    world.clock.set(MORNING + timedelta(hours=3))
    await world.standups.planner.plan(world_scope())
    when, wake = world.scheduler.jobs[opening_job_id(circle.id)]
    assert when == world.clock.now()
    assert wake == StandupOpening(circle.id, date(2026, 11, 26))


async def test_skip_and_pause(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    await world.standups.schedules.skip(HOST, circle.id, date(2026, 11, 26))
    assert world.scheduler.jobs[opening_job_id(circle.id)][1] == StandupOpening(circle.id, date(2026, 11, 27))
    world.clock.set(MORNING)
    assert await world.standups.lifecycle.claim_opening(circle.id, date(2026, 11, 26)) is None
    await world.standups.schedules.set_paused(HOST, circle.id, True)
    assert opening_job_id(circle.id) not in world.scheduler.jobs
    await world.standups.schedules.set_paused(HOST, circle.id, False)
    assert opening_job_id(circle.id) in world.scheduler.jobs
    with pytest.raises(InvalidInput, match="passed"):
        await world.standups.schedules.skip(HOST, circle.id, date(2026, 11, 1))


async def test_streak_ignores_skips_and_away_days(world: World) -> None:
    circle = await world.circle(ALICE, BOB)
    await world.schedule(circle)
    day = MORNING
    for index in range(6):
        world.clock.set(day)
        occ = await world.open_today(circle)
        if index == 3:
            await world.profiles.set_away(GUILD, ALICE, day.date(), "holiday")
        else:
            await world.answer(ALICE, occ)
            if index == 4:
                await world.profiles.back(GUILD, ALICE)
        if index < 2:
            await world.answer(BOB, occ)
        world.clock.set(day + timedelta(hours=8))
        assert await world.standups.lifecycle.claim_close(occ) is not None
        day += timedelta(days=1)
    assert await world.standups.answers.streak_for(GUILD, ALICE, circle.id) == 5
    assert await world.standups.answers.streak_for(GUILD, BOB, circle.id) == 0


async def test_non_members_and_other_guilds_cannot_answer(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    world.clock.set(MORNING)
    occ = await world.open_today(circle)
    with pytest.raises(NotFound, match="join first"):
        await world.standups.answers.submit_answer(GUILD, 99, occ, ["a", "b", "c"])
    with pytest.raises(NotFound):
        await world.standups.answers.submit_answer(GUILD + 1, ALICE, occ, ["a", "b", "c"])
    with pytest.raises(InvalidInput, match="empty"):
        await world.standups.answers.submit_answer(GUILD, ALICE, occ, ["", " ", ""])
    with pytest.raises(InvalidInput, match="1000"):
        await world.standups.answers.submit_answer(GUILD, ALICE, occ, ["x" * 1001, "", ""])


async def test_history_only_from_shared_circles(world: World) -> None:
    circle = await world.circle(ALICE, BOB)
    await world.schedule(circle)
    world.clock.set(MORNING)
    await world.answer(ALICE, await world.open_today(circle), "a", "b", "c")
    assert len(await world.standups.answers.history(GUILD, ALICE, ALICE, 7)) == 1
    assert len(await world.standups.answers.history(GUILD, BOB, ALICE, 7)) == 1
    assert await world.standups.answers.history(GUILD, CAROL, ALICE, 7) == []  # shares no circle
    assert await world.standups.answers.history(GUILD + 1, ALICE, ALICE, 7) == []
    exported = await world.standups.answers.export_member(GUILD, ALICE)
    assert exported["standup_answers"][0]["answers"]["What will you focus on today?"] == "b"
    assert await world.standups.answers.forget_member(GUILD, ALICE) == [(7001, 60000 + ALICE)]
    assert await world.standups.answers.history(GUILD, ALICE, ALICE, 7) == []


async def test_timezone_change_moves_the_schedule(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    await world.circles.edit(HOST, circle.id, timezone="America/New_York")
    await world.standups.planner.plan(world_scope(circle.id))
    when, _ = world.scheduler.jobs[opening_job_id(circle.id)]
    assert when == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 09:00 in New York


async def test_deleting_the_circle_cancels_its_wake_ups(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    await world.circles.delete(HOST, circle.id)
    await world.standups.planner.plan(world_scope(circle.id))
    assert opening_job_id(circle.id) not in world.scheduler.jobs


async def test_activities_describe_the_schedule(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle, days=parse_days("mon-fri"))
    activities = await world.standups.activity.of([circle.id])
    assert activities[circle.id][0].label == "Standup mon-fri 09:00 (Europe/Berlin)"
    assert activities[circle.id][0].next_at == MORNING
    # Once that opening has passed, the next one is shown (what was shown is not kept past its time)...
    world.clock.set(MORNING + timedelta(minutes=1))
    assert (await world.standups.activity.of([circle.id]))[circle.id][0].next_at == MORNING + timedelta(days=1)
    # ... and a schedule change shows at once.
    await world.schedule(circle, open_time=time(10, 0), days=parse_days("mon-fri"))
    assert (await world.standups.activity.of([circle.id]))[circle.id][0].label.endswith("10:00 (Europe/Berlin)")


def world_scope(circle_id: int | None = None) -> PlanScope:
    return PlanScope(owned_guilds=lambda _guild: True, circle_id=circle_id)


async def test_a_late_opening_moves_the_reminder_instead_of_sending_it_at_once(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle, reminder="60")
    # The bot comes back at 11:00 Berlin: the window (09:00–17:00) is open, the 10:00 reminder has passed.
    world.clock.set(MORNING + timedelta(hours=2))
    occ = await world.open_today(circle)
    when, _ = world.scheduler.jobs[StandupReminder(occ).job_id]
    assert when == world.clock.now() + timedelta(hours=6) * 3 / 4  # 75 % of the six hours left


async def test_a_wake_up_on_a_skipped_day_posts_nothing_and_plans_the_next(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    await world.standups.schedules.skip(HOST, circle.id, date(2026, 11, 27))
    world.clock.set(MORNING + timedelta(days=1))
    assert await world.standups.lifecycle.claim_opening(circle.id, date(2026, 11, 27)) is None
    await world.standups.planner.plan(world_scope(circle.id))
    assert world.scheduler.jobs[opening_job_id(circle.id)][1] == StandupOpening(circle.id, date(2026, 11, 28))


async def test_a_close_whose_summary_never_went_out_is_taken_over_after_the_lease(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    world.clock.set(MORNING)
    occ = await world.open_today(circle)
    world.clock.set(MORNING + timedelta(hours=8))
    assert await world.standups.lifecycle.claim_close(occ) is not None
    # Discord refused the summary (or the process died): no summary recorded. Answers stay refused.
    with pytest.raises(Conflict, match="has closed"):
        await world.standups.answers.submit_answer(GUILD, ALICE, occ, ["late", "", ""])
    assert await world.standups.lifecycle.claim_close(occ) is None  # within the lease
    await world.standups.planner.plan(world_scope(circle.id))
    when, _ = world.scheduler.jobs[StandupClose(occ).job_id]
    assert when == world.clock.now() + timedelta(minutes=2)
    world.clock.advance(timedelta(minutes=3))
    retry = await world.standups.lifecycle.claim_close(occ)
    assert retry is not None and retry.occurrence_id == occ
    await world.standups.lifecycle.record_summary(occ, 999)
    world.clock.advance(timedelta(minutes=3))
    assert await world.standups.lifecycle.claim_close(occ) is None  # closed for good


async def test_answers_are_taken_as_soon_as_the_thread_exists(world: World) -> None:
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    world.clock.set(MORNING)
    claim = await world.standups.lifecycle.claim_opening(circle.id, date(2026, 11, 26))
    assert claim is not None
    with pytest.raises(Conflict, match="just opening"):
        await world.standups.answers.answer_form(GUILD, ALICE, circle_id=circle.id)
    # The thread and its message are out; the status is not "open" yet. A quick member still gets in.
    await world.standups.lifecycle.record_thread(claim.occurrence_id, 4242)
    form = await world.standups.answers.answer_form(GUILD, ALICE, occurrence_id=claim.occurrence_id)
    posted = await world.standups.answers.submit_answer(GUILD, ALICE, form.occurrence_id, ["a", "b", "none"])
    assert posted.thread_id == 4242


async def test_hot_writes_read_back_as_written(world: World, db: Database) -> None:
    """The hot writes (on SQLite: the raw writer thread) store what SQLAlchemy itself would: JSON lists,
    booleans, aware UTC datetimes, and message ids written in a batch."""
    circle = await world.circle(ALICE)
    await world.schedule(circle)
    world.clock.set(MORNING + timedelta(minutes=1))
    occurrence_id = await world.open_today(circle)
    posted = await world.standups.answers.submit_answer(GUILD, ALICE, occurrence_id, ["Shipped", "Docs", "Stuck"])
    await world.standups.answers.record_answer_message(posted.answer_id, 123456789012345678)
    await world.standups.answers.flush_message_ids()
    async with db.reader() as session:
        answer = await session.get(StandupAnswer, posted.answer_id)
        occurrence = await session.get(StandupOccurrence, occurrence_id)
    assert answer is not None and occurrence is not None
    assert answer.answers == ["Shipped", "Docs", "Stuck"]
    assert answer.blocker is True
    assert answer.created_at == answer.updated_at == world.clock.now()
    assert answer.created_at.tzinfo is UTC
    assert answer.message_id == 123456789012345678
    assert occurrence.status == "open" and occurrence.thread_id == 7000 + occurrence_id
    assert occurrence.message_id == 8000 + occurrence_id
    assert occurrence.reminder_at is not None and occurrence.reminder_at.tzinfo is UTC


async def test_forgetting_a_member_leaves_no_trace_in_excused_days(world: World, db: Database) -> None:
    circle = await world.circle(ALICE, BOB)
    await world.schedule(circle)
    world.clock.set(MORNING)
    await world.profiles.set_away(GUILD, ALICE, MORNING.date(), "holiday")
    await world.profiles.set_away(GUILD, BOB, MORNING.date(), "holiday")
    occ = await world.open_today(circle)
    world.clock.set(MORNING + timedelta(hours=8))
    assert await world.standups.lifecycle.claim_close(occ) is not None

    async def excused() -> list[int]:
        async with db.reader() as session:
            row = await session.get(StandupOccurrence, occ)
            assert row is not None
            return list(row.excused)

    assert sorted(await excused()) == [ALICE, BOB]
    await world.standups.answers.forget_member(GUILD + 1, ALICE)  # another guild: nothing of this one changes
    assert sorted(await excused()) == [ALICE, BOB]
    await world.standups.answers.forget_member(GUILD, ALICE)
    assert await excused() == [BOB]  # Bob's day stays excused
