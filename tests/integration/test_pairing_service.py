"""Pairing and goals on a real database (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.actors import Actor
from bot.circles.service import CircleService, CircleView
from bot.clock import FixedClock
from bot.db import Database
from bot.db.claims import Claims
from bot.db.claims import OccurrenceStatus as Status
from bot.db.liveness import Liveness
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.pairing.models import (
    Goal,
    GoalOutcome,
    GoalStatus,
    PairAvoid,
    PairGroup,
    PairGroupMember,
    PairPoolEntry,
    PairRound,
    PairSchedule,
    PairSettings,
)
from bot.pairing.service import PairingService
from bot.pairing.wakeups import PairCheckin, PairClose, PairRoundDue, PairRoundRecovery
from bot.profiles.service import ProfileService
from bot.scheduling import FakeScheduler, PlanScope

GUILD, OTHER_GUILD = 500, 600
HOST = Actor(GUILD, 1, manages_guild=True)
MEMBER = Actor(GUILD, 11)
ALICE, BOB, CAROL, DAN, EVE = 11, 12, 13, 14, 15
HOME = 900
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # a Thursday
EVERYONE = lambda _guild: True  # noqa: E731


class Process:
    """One bot process's pairing services on the shared database."""

    def __init__(self, db: Database, clock: FixedClock) -> None:
        self.scheduler = FakeScheduler()
        self.circles = CircleService(db, clock)
        self.profiles = ProfileService(db, clock)
        self.liveness = Liveness(db, clock)
        self.claims = Claims(db, clock, self.liveness)
        self.pairing = PairingService(db, clock, self.scheduler, self.claims, self.circles, self.profiles)
        self.rounds = self.pairing.rounds


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def proc(db: Database, clock: FixedClock) -> AsyncIterator[Process]:
    p = Process(db, clock)
    await p.liveness.start()
    yield p
    await p.liveness.stop()


async def pool_circle(p: Process, members: tuple[int, ...] = (ALICE, BOB, CAROL, DAN, EVE)) -> CircleView:
    circle = await p.circles.create(HOST, name="EU mornings", channel_id=HOME, timezone="Europe/Berlin")
    for uid in members:
        await p.circles.join(GUILD, uid, circle.id)
        await p.pairing.opt_in(GUILD, uid, circle.id)
    return circle


async def count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_opting_in_needs_membership_and_is_idempotent(proc: Process, db: Database) -> None:
    circle = await pool_circle(proc, (ALICE,))
    with pytest.raises(InvalidInput, match="Join \\*\\*EU mornings\\*\\* first"):
        await proc.pairing.opt_in(GUILD, BOB, circle.id)
    assert await proc.pairing.opt_in(GUILD, ALICE, circle.id) is False
    assert await proc.pairing.opt_out(GUILD, ALICE, circle.id) is True
    assert await count(db, PairPoolEntry) == 0


@pytest.mark.parametrize(
    ("day", "at", "cadence", "size", "says"),
    [
        ("monday", "10:00", None, 5, "2 to 4 members"),
        ("monday", "10:00", "daily", None, "Use `weekly` or `biweekly`"),
        ("funday", "10:00", None, None, "is not a weekday"),
        ("mon-fri", "10:00", None, None, "is not a weekday"),
        ("monday", "25:00", None, None, "24-hour `HH:MM`"),
    ],
)
async def test_bad_schedules_are_refused_and_nothing_is_written(
    proc: Process, db: Database, day: str, at: str, cadence: str | None, size: int | None, says: str
) -> None:
    circle = await pool_circle(proc)
    with pytest.raises(InvalidInput, match=says):
        await proc.pairing.set_schedule(HOST, circle.id, day, at, cadence, size)
    assert await count(db, PairSchedule) == 0


async def test_schedules_are_host_only_and_planned(proc: Process) -> None:
    circle = await pool_circle(proc)
    with pytest.raises(Forbidden):
        await proc.pairing.set_schedule(MEMBER, circle.id, "monday", "10:00", None, None)
    view = await proc.pairing.set_schedule(HOST, circle.id, "monday", "10:00", "biweekly", 3)
    # Monday 30 November 2026, 10:00 in Berlin (UTC+1).
    assert view.next_round_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert (view.size, view.cadence) == (3, "biweekly")
    await proc.rounds.plan(PlanScope(EVERYONE))
    when, wake = proc.scheduler.jobs[f"pair-round:{circle.id}"]
    assert wake == PairRoundDue(circle.id, "2026-11-30") and when == view.next_round_at
    activities = await proc.pairing.activity([circle.id])
    assert "Pairing biweekly on Monday 10:00" in activities[circle.id][0].label


async def test_snooze_and_avoid_refuse_bad_input(proc: Process, db: Database) -> None:
    with pytest.raises(InvalidInput, match="at most 90 days"):
        await proc.pairing.snooze(GUILD, ALICE, date(2026, 11, 26) + timedelta(days=91))
    with pytest.raises(InvalidInput, match="has passed"):
        await proc.pairing.snooze(GUILD, ALICE, date(2026, 11, 25))
    with pytest.raises(InvalidInput, match="can't avoid yourself"):
        await proc.pairing.avoid(GUILD, ALICE, ALICE)
    assert await count(db, PairSettings) == 0
    assert await count(db, PairAvoid) == 0
    assert await proc.pairing.snooze(GUILD, ALICE, date(2026, 12, 1)) == date(2026, 12, 1)


async def test_a_round_pairs_everyone_records_seed_pool_and_who_sat_out(
    proc: Process, db: Database, clock: FixedClock
) -> None:
    circle = await pool_circle(proc, (ALICE, BOB, CAROL, DAN, EVE, 16, 17))
    await proc.pairing.snooze(GUILD, 16, date(2026, 12, 10))
    await proc.profiles.set_away(GUILD, 17, date(2026, 11, 28), None)
    await proc.pairing.avoid(GUILD, ALICE, BOB)
    claim = await proc.rounds.claim_now(circle.id)
    groups = [g.user_ids for g in claim.groups]
    assert sorted(len(g) for g in groups) == [2, 3]
    assert sorted(u for g in groups for u in g) == [ALICE, BOB, CAROL, DAN, EVE]
    assert not any({ALICE, BOB} <= set(g) for g in groups)
    assert {(s.user_id, s.reason) for s in claim.sat_out} == {(16, "snoozed"), (17, "away")}
    async with db.reader() as session:
        row = await session.get(PairRound, claim.round_id)
        assert row is not None
        assert row.status == Status.CLAIMED and row.seed > 0 and row.method == "exact"
        assert row.pool == [ALICE, BOB, CAROL, DAN, EVE]
        assert sorted(map(tuple, row.sat_out)) == [(16, "snoozed"), (17, "away")]
    # Within the same minute a second `/pair now` finds the round already there.
    with pytest.raises(Conflict):
        await proc.rounds.claim_now(circle.id)
    clock.advance(timedelta(minutes=1))
    second = await proc.rounds.claim_now(circle.id)
    before = {frozenset(g) for g in groups}
    assert not before & {frozenset(g.user_ids) for g in second.groups if len(g.user_ids) == 2}


async def test_concurrent_claimers_of_a_round_make_one_round(db: Database, clock: FixedClock) -> None:
    processes = [Process(db, clock) for _ in range(3)]
    for p in processes:
        await p.liveness.start()
    try:
        circle = await pool_circle(processes[0])
        await processes[0].pairing.set_schedule(HOST, circle.id, "thursday", "09:00", None, None)
        clock.set(datetime(2026, 12, 3, 8, 0, 5, tzinfo=UTC))  # Thursday 3 Dec, 09:00:05 in Berlin
        results = await asyncio.gather(*[p.rounds.claim_scheduled(circle.id, "2026-12-03") for p in processes * 2])
        won = [r for r in results if r is not None]
        assert len(won) == 1
        assert await count(db, PairRound) == 1
        assert await count(db, PairGroup) == len(won[0].groups) == 2
        assert await count(db, PairGroupMember) == 5
    finally:
        for p in processes:
            await p.liveness.stop()


async def test_a_dead_claimer_is_taken_over_with_its_checkpoints(db: Database, clock: FixedClock) -> None:
    first, second = Process(db, clock), Process(db, clock)
    await first.liveness.start()
    await second.liveness.start()
    circle = await pool_circle(first, (ALICE, BOB, CAROL, DAN))
    claim = await first.rounds.claim_now(circle.id)
    await first.rounds.record_thread(claim.groups[0].group_id, 4242)
    await first.rounds.record_members_added(claim.groups[0].group_id)
    await first.liveness.stop()  # a clean stop marks the process gone: its claims may be taken over
    clock.advance(timedelta(seconds=30))
    await second.rounds.plan(PlanScope(EVERYONE))
    assert f"pair-recover:{claim.round_id}" in second.scheduler.jobs
    recovered = await second.rounds.recover(claim.round_id)
    assert recovered is not None and recovered.recovered
    first_group = recovered.groups[0]
    assert (first_group.thread_id, first_group.members_added, first_group.intro_message_id) == (4242, True, None)
    assert await second.rounds.recover(claim.round_id) is None  # taken: nobody else gets it
    await second.liveness.stop()


async def open_round(p: Process, circle: CircleView) -> tuple[int, dict[int, int]]:
    """A round made and opened, each group with a thread id of 1000 + position; user → group id."""
    claim = await p.rounds.claim_now(circle.id)
    for group in claim.groups:
        await p.rounds.record_thread(group.group_id, 1000 + group.position)
        await p.rounds.record_members_added(group.group_id)
        await p.rounds.record_intro(group.group_id, 2000 + group.position)
    await p.rounds.mark_open(claim)
    assert PairCheckin(claim.round_id).job_id in p.scheduler.jobs
    assert PairClose(claim.round_id).job_id in p.scheduler.jobs
    return claim.round_id, {uid: g.group_id for g in claim.groups for uid in g.user_ids}


async def test_goals_note_the_pair_thread_and_are_seen_only_by_partners(proc: Process) -> None:
    circle = await pool_circle(proc, (ALICE, BOB))
    with pytest.raises(InvalidInput, match="at most 200 characters \\(yours has 201\\)"):
        await proc.pairing.add_goal(GUILD, ALICE, "x" * 201, None)
    with pytest.raises(InvalidInput, match="has passed"):
        await proc.pairing.add_goal(GUILD, ALICE, "Ship it", date(2026, 11, 1))
    loose = await proc.pairing.add_goal(GUILD, ALICE, "Before any round", None)
    assert loose.thread_id is None
    await open_round(proc, circle)
    goal = await proc.pairing.add_goal(GUILD, ALICE, "Send the invoice", date(2026, 11, 30))
    assert goal.thread_id == 1000
    with pytest.raises(NotFound, match="isn't one of your open goals"):
        await proc.pairing.finish_goal(GUILD, BOB, str(goal.goal.id), GoalStatus.DONE)
    seen_by_bob = await proc.pairing.list_goals(GUILD, BOB, ALICE)
    assert [g.text for g in seen_by_bob] == ["Send the invoice", "Before any round"]
    with pytest.raises(Forbidden):
        await proc.pairing.list_goals(GUILD, CAROL, ALICE)
    with pytest.raises(Forbidden):
        await proc.pairing.list_goals(OTHER_GUILD, BOB, ALICE)
    choices = await proc.pairing.goal_choices(GUILD, ALICE, "invoice")
    assert [c.id for c in choices] == [goal.goal.id]
    done = await proc.pairing.finish_goal(GUILD, ALICE, str(goal.goal.id), GoalStatus.DONE)
    assert done.goal.status == "done" and done.thread_id == 1000
    with pytest.raises(NotFound):
        await proc.pairing.finish_goal(GUILD, ALICE, str(goal.goal.id), GoalStatus.DROPPED)


async def test_the_checkin_nudges_partners_of_quiet_members_once(proc: Process, clock: FixedClock) -> None:
    circle = await pool_circle(proc, (ALICE, BOB))
    round_id, _ = await open_round(proc, circle)
    clock.advance(timedelta(days=3, hours=12))
    await proc.pairing.add_goal(GUILD, ALICE, "Write the proposal", None)  # Alice is active, Bob quiet
    groups = await proc.rounds.claim_checkin(round_id)
    assert len(groups) == 1
    assert [(n.quiet_user_id, n.partner_ids) for n in groups[0].nudges] == [(BOB, (ALICE,))]
    assert await proc.rounds.claim_checkin(round_id) == []  # once per cycle


async def test_the_close_asks_did_you_meet_and_the_partner_confirms_goals(proc: Process, clock: FixedClock) -> None:
    circle = await pool_circle(proc, (ALICE, BOB))
    round_id, group_of = await open_round(proc, circle)
    goal = await proc.pairing.add_goal(GUILD, ALICE, "Send the invoice", None)
    clock.advance(timedelta(days=6))
    claim = await proc.rounds.claim_close(round_id)
    assert claim is not None and not claim.recovered
    groups = claim.groups
    assert [g.user_ids for g in groups] == [(ALICE, BOB)]
    assert [g.text for g in groups[0].goals] == ["Send the invoice"]
    group_id = group_of[ALICE]
    with pytest.raises(Forbidden):
        await proc.rounds.answer_met(GUILD, CAROL, group_id, True)
    first = await proc.rounds.answer_met(GUILD, ALICE, group_id, True)
    second = await proc.rounds.answer_met(GUILD, BOB, group_id, True)
    assert (first.confirmed, second.confirmed) == (False, True)
    with pytest.raises(InvalidInput, match="Your partner confirms"):
        await proc.rounds.confirm_goal(GUILD, ALICE, group_id, goal.goal.id, True)
    confirmed = await proc.rounds.confirm_goal(GUILD, BOB, group_id, goal.goal.id, True)
    assert confirmed.outcome == GoalOutcome.DONE and confirmed.confirmed_by_user_id == BOB
    assert await proc.rounds.claim_close(round_id) is None  # claimed once
    await proc.rounds.record_close_message(group_id, 3000)
    await proc.rounds.mark_closed(round_id)
    history = await proc.pairing.history(GUILD, ALICE)
    assert [(h.partner_ids, h.met, h.goals_total) for h in history] == [((BOB,), "met (confirmed)", 1)]
    assert (await proc.pairing.status(GUILD, ALICE)).partnerships == ()


async def test_forgetting_a_member_keeps_the_others_history(proc: Process, db: Database) -> None:
    circle = await pool_circle(proc, (ALICE, BOB, CAROL, DAN))
    await proc.pairing.avoid(GUILD, ALICE, EVE)
    await proc.pairing.avoid(GUILD, BOB, ALICE)
    round_id, _ = await open_round(proc, circle)
    await proc.pairing.add_goal(GUILD, ALICE, "Mine", None)
    exported = await proc.pairing.export_member(GUILD, ALICE)
    assert exported["avoiding_user_ids"] == [str(EVE)]  # her own list; Bob's entry about her is not there
    assert [g["text"] for g in exported["goals"]] == ["Mine"]
    await proc.pairing.forget_member(GUILD, ALICE)
    export_after = await proc.pairing.export_member(GUILD, ALICE)
    assert export_after["goals"] == [] and export_after["rounds"] == [] and export_after["avoiding_user_ids"] == []
    for uid in (BOB, CAROL, DAN):
        history = await proc.pairing.history(GUILD, uid)
        assert len(history) == 1 and ALICE not in history[0].partner_ids
    async with db.reader() as session:
        row = await session.get(PairRound, round_id)
        assert row is not None and ALICE not in row.pool
        assert await session.scalar(select(func.count()).select_from(Goal).where(Goal.user_id == ALICE)) == 0


async def test_status_shows_partners_their_thread_and_the_next_round(proc: Process) -> None:
    circle = await pool_circle(proc, (ALICE, BOB))
    await proc.profiles.set_timezone(GUILD, BOB, "America/New_York")
    await proc.profiles.set_hours(GUILD, BOB, time(9), time(17))
    await proc.pairing.set_schedule(HOST, circle.id, "monday", "10:00", None, None)
    await open_round(proc, circle)
    status = await proc.pairing.status(GUILD, ALICE)
    assert [(p.circle_name, p.thread_id) for p in status.partnerships] == [("EU mornings", 1000)]
    assert [(c.user_id, c.timezone, c.hours_text) for c in status.partnerships[0].partners] == [
        (BOB, "America/New_York", "09:00–17:00")
    ]
    assert status.pool_circles == ("EU mornings",)
    assert status.next_rounds == (("EU mornings", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),)
    assert (await proc.pairing.status(OTHER_GUILD, ALICE)).partnerships == ()


async def test_a_lonely_pool_records_the_round_and_says_why(proc: Process, db: Database) -> None:
    circle = await pool_circle(proc, (ALICE,))
    claim = await proc.rounds.claim_now(circle.id)
    assert claim.groups == ()
    assert [(s.user_id, s.reason) for s in claim.sat_out] == [(ALICE, "too few members in the pool this round")]
    async with db.reader() as session:
        row = await session.get(PairRound, claim.round_id)
        assert row is not None and row.status == Status.CLOSED


async def test_recovery_wakes_are_planned_for_unfinished_rounds(proc: Process) -> None:
    circle = await pool_circle(proc, (ALICE, BOB))
    claim = await proc.rounds.claim_now(circle.id)
    proc.scheduler.jobs.clear()
    await proc.rounds.plan(PlanScope(EVERYONE, circle.id))
    assert PairRoundRecovery(claim.round_id).job_id in proc.scheduler.jobs


async def test_a_round_discord_keeps_refusing_is_given_up_after_a_day(proc: Process, clock: FixedClock) -> None:
    circle = await pool_circle(proc, (ALICE, BOB))
    claim = await proc.rounds.claim_now(circle.id)
    clock.advance(timedelta(days=1, minutes=1))
    proc.scheduler.jobs.clear()
    await proc.rounds.plan(PlanScope(EVERYONE, circle.id))
    assert PairRoundRecovery(claim.round_id).job_id not in proc.scheduler.jobs
