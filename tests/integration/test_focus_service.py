"""Sprints and voice sessions on a real database (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.actors import Actor
from bot.circles.activity import Activity
from bot.circles.service import CircleService, CircleView
from bot.clock import FixedClock
from bot.db import Database
from bot.db.claims import Claims, OccurrenceStatus
from bot.db.liveness import Liveness
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.focus.models import Sprint, SprintParticipant, SprintPhaseChange, VoiceSession
from bot.focus.results import PhaseClaim, Recap
from bot.focus.service import SprintHeadsUpWake, SprintPhaseWake, SprintService, SprintSlotWake
from bot.focus.timeline import PhaseKind
from bot.focus.voice import VoicePresence
from bot.scheduling import FakeScheduler, PlanScope
from bot.standups.models import StandupAnswer, StandupOccurrence
from bot.standups.questions import DEFAULT_QUESTIONS
from bot.timeparse import parse_days

GUILD = 500
HOST = Actor(GUILD, 1, manages_guild=True)
ALICE, BOB, CAROL = 11, 12, 13
ROOM, AFK, HOME = 700, 701, 900
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
EVERYONE = lambda _guild: True  # noqa: E731


class Process:
    """One bot process's focus services on the shared database."""

    def __init__(self, db: Database, clock: FixedClock, circles: CircleService | None = None) -> None:
        self.scheduler = FakeScheduler()
        self.circles = circles or CircleService(db, clock)
        self.liveness = Liveness(db, clock)
        self.claims = Claims(db, clock, self.liveness)
        self.voice = VoicePresence(db, clock, self.circles, self.liveness)
        self.sprints = SprintService(db, clock, self.scheduler, self.claims, self.circles, self.voice)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def proc(db: Database, clock: FixedClock) -> Process:
    p = Process(db, clock)
    await p.liveness.start()
    yield p  # type: ignore[misc]
    await p.liveness.stop()


async def make_circle(p: Process, voice: int | None = ROOM) -> CircleView:
    circle = await p.circles.create(HOST, name="EU mornings", channel_id=HOME, voice_channel_id=voice)
    for uid in (ALICE, BOB, CAROL):
        await p.circles.join(GUILD, uid, circle.id)
    return circle


async def count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"focus": 0}, "`focus` must be from 5 to 180"),
        ({"focus": 181}, "`focus` must be from 5 to 180"),
        ({"rounds": 13}, "`rounds` must be from 1 to 12"),
        ({"break_": 61}, "`break` must be from 0 to 60"),
        ({"tag": "x" * 41}, "A tag must be 1–40 characters"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    proc: Process, db: Database, kwargs: dict[str, object], says: str
) -> None:
    circle = await make_circle(proc)
    with pytest.raises(InvalidInput, match=says):
        await proc.sprints.start(Actor(GUILD, ALICE), circle.id, **kwargs)  # type: ignore[arg-type]
    assert await count(db, Sprint) == 0


async def test_a_circle_without_a_voice_channel_and_a_second_sprint_are_refused(proc: Process, db: Database) -> None:
    circle = await make_circle(proc, voice=None)
    with pytest.raises(InvalidInput, match="no focus room"):
        await proc.sprints.start(Actor(GUILD, ALICE), circle.id)
    await proc.circles.edit(HOST, circle.id, voice_channel_id=ROOM)
    await proc.sprints.start(Actor(GUILD, ALICE), circle.id)
    with pytest.raises(Conflict, match="already running"):
        await proc.sprints.start(Actor(GUILD, BOB), circle.id)
    assert await count(db, Sprint) == 1


async def test_concurrent_starts_leave_one_sprint(db: Database, clock: FixedClock) -> None:
    a, b = Process(db, clock), Process(db, clock)
    circle = await make_circle(a)
    results = await asyncio.gather(
        a.sprints.start(Actor(GUILD, ALICE), circle.id),
        b.sprints.start(Actor(GUILD, BOB), circle.id),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "SprintStarted"]
    assert await count(db, Sprint) == 1


async def test_concurrent_claimers_of_one_phase_change_have_one_winner(db: Database, clock: FixedClock) -> None:
    processes = [Process(db, clock) for _ in range(4)]
    for p in processes:
        await p.liveness.start()
    circle = await make_circle(processes[0])
    started = await processes[0].sprints.start(Actor(GUILD, ALICE), circle.id, focus=25, break_=5, rounds=2)
    clock.advance(timedelta(minutes=25, seconds=1))
    for p in processes:
        await p.liveness.beat()  # all alive (their heartbeats are current)
    claims = await asyncio.gather(*(p.sprints.claim_phase(started.card.sprint.id) for p in processes))
    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    assert isinstance(winners[0], PhaseClaim) and winners[0].catch_up.current.kind is PhaseKind.BREAK
    assert await count(db, SprintPhaseChange) == 1
    for p in processes:
        await p.liveness.stop()


async def test_voice_sessions_are_batched_and_closed_at_the_alive_mark(db: Database, clock: FixedClock) -> None:
    first = Process(db, clock)
    await first.liveness.start()
    circle = await make_circle(first)
    first.voice.record(GUILD, ALICE, ROOM, AFK)
    first.voice.record(GUILD, BOB, ROOM, AFK)
    first.voice.record(GUILD, CAROL, 999, AFK)  # not a circle's room
    await first.voice.settle()
    assert await count(db, VoiceSession) == 2
    clock.advance(timedelta(minutes=3))
    alive = await first.liveness.beat()
    clock.advance(timedelta(minutes=10))  # then the process dies: no clean stop, no more beats

    second = Process(db, clock)
    await second.liveness.start()
    assert await second.voice.end_orphans(EVERYONE) == 2
    second.voice.guild_seen(GUILD, [(BOB, ROOM), (CAROL, AFK)], AFK)  # GUILD_CREATE's voice states
    await second.voice.settle()
    async with db.reader() as session:
        rows = (await session.execute(select(VoiceSession).order_by(VoiceSession.id))).scalars().all()
    assert [(r.user_id, r.started_at, r.ended_at) for r in rows] == [
        (ALICE, T0, alive),
        (BOB, T0, alive),
        (BOB, clock.now(), None),  # reopened from what GUILD_CREATE reported
    ]
    assert rows[2].circle_id == circle.id
    await second.liveness.stop()


async def test_moves_afk_and_deafen_toggles(proc: Process, db: Database, clock: FixedClock) -> None:
    await make_circle(proc)
    proc.voice.record(GUILD, ALICE, ROOM, AFK)
    clock.advance(timedelta(minutes=5))
    proc.voice.record(GUILD, ALICE, ROOM, AFK)  # a self-deafen: same room, the session goes on
    clock.advance(timedelta(minutes=5))
    proc.voice.record(GUILD, ALICE, AFK, AFK)  # the AFK channel ends it
    clock.advance(timedelta(minutes=5))
    proc.voice.record(GUILD, ALICE, ROOM, AFK)
    clock.advance(timedelta(minutes=1))
    proc.voice.record(GUILD, ALICE, None, AFK)
    await proc.voice.settle()
    async with db.reader() as session:
        rows = (await session.execute(select(VoiceSession).order_by(VoiceSession.started_at))).scalars().all()
    assert [(r.started_at - T0, r.ended_at - T0 if r.ended_at else None) for r in rows] == [
        (timedelta(0), timedelta(minutes=10)),
        (timedelta(minutes=15), timedelta(minutes=16)),
    ]
    assert proc.voice.flushes == 1  # one batch for all five events


async def test_focus_minutes_count_focus_only_and_the_recap_records_them(
    proc: Process, db: Database, clock: FixedClock
) -> None:
    circle = await make_circle(proc)
    proc.voice.record(GUILD, BOB, ROOM, AFK)
    started = await proc.sprints.start(Actor(GUILD, ALICE), circle.id, focus=25, break_=5, rounds=2, intention="Ship")
    sprint_id = started.card.sprint.id
    assert {p.user_id for p in started.card.participants} == {ALICE}  # Bob has 0 s of focus yet
    clock.advance(timedelta(minutes=10))
    proc.voice.record(GUILD, BOB, AFK, AFK)  # Bob went AFK after 10 minutes
    clock.advance(timedelta(minutes=15, seconds=2))
    change = await proc.sprints.claim_phase(sprint_id)
    assert isinstance(change, PhaseClaim) and change.catch_up.current.kind is PhaseKind.BREAK
    assert not change.catch_up.late
    assert set(change.card.present_ids) == {ALICE}  # Bob is in the AFK channel
    await proc.sprints.record_change_message(change.change_id, 1234)
    assert await proc.sprints.claim_phase(sprint_id) is None  # posted once
    clock.advance(timedelta(minutes=5))
    proc.voice.record(GUILD, CAROL, ROOM, AFK)  # Carol joins for focus 2
    focus2 = await proc.sprints.claim_phase(sprint_id)
    assert isinstance(focus2, PhaseClaim)
    await proc.sprints.record_change_message(focus2.change_id, 1235)
    clock.advance(timedelta(minutes=25))
    recap = await proc.sprints.claim_phase(sprint_id)
    assert isinstance(recap, Recap) and recap.stopped_by is None
    minutes = {p.user_id: p.focus_minutes for p in recap.participants}
    assert minutes == {ALICE: 50, BOB: 10, CAROL: 25}
    intentions = {p.user_id: p.intention for p in recap.participants}
    assert intentions[ALICE] == "Ship"
    await proc.sprints.record_recap(recap.change_id, sprint_id, 999)
    await proc.sprints.record_finish(GUILD, CAROL, sprint_id, "partly")
    with pytest.raises(NotFound):
        await proc.sprints.record_finish(GUILD, 4242, sprint_id, "yes")
    async with db.reader() as session:
        stored = {p.user_id: (p.focus_minutes, p.finished) for p in (await session.scalars(select(SprintParticipant)))}
    assert stored == {ALICE: (50, None), BOB: (10, None), CAROL: (25, "partly")}
    since = await proc.sprints.focus_since(GUILD, ALICE, T0 - timedelta(hours=1))
    assert (since.minutes, since.sprints) == (50, 1)


async def test_a_late_catch_up_posts_the_current_phase_once_with_what_was_missed(
    proc: Process, clock: FixedClock
) -> None:
    circle = await make_circle(proc)
    started = await proc.sprints.start(Actor(GUILD, ALICE), circle.id, focus=25, break_=5, rounds=3)
    clock.advance(timedelta(minutes=62))  # down through break 1, focus 2 and break 2
    change = await proc.sprints.claim_phase(started.card.sprint.id)
    assert isinstance(change, PhaseClaim)
    assert change.catch_up.late and (change.catch_up.current.kind, change.catch_up.current.round) == (
        PhaseKind.FOCUS,
        3,
    )
    assert len(change.catch_up.missed) == 3
    assert await proc.sprints.claim_phase(started.card.sprint.id) is None


async def test_stop_by_the_starter_or_a_host_only(proc: Process, clock: FixedClock) -> None:
    circle = await make_circle(proc)
    started = await proc.sprints.start(Actor(GUILD, ALICE), circle.id)
    await proc.sprints.join(GUILD, BOB, sprint_id=started.card.sprint.id, intention="Invoices", tag="ACME")
    with pytest.raises(Forbidden, match="started this sprint or a host"):
        await proc.sprints.stop(Actor(GUILD, BOB), sprint_id=started.card.sprint.id)
    clock.advance(timedelta(minutes=7))
    recap = await proc.sprints.stop(Actor(GUILD, ALICE), channel_id=HOME)
    assert recap.stopped_by == ALICE
    assert {p.user_id: p.focus_minutes for p in recap.participants} == {ALICE: 7, BOB: 7}
    assert await proc.sprints.claim_phase(started.card.sprint.id) is None
    with pytest.raises(NotFound):
        await proc.sprints.stop(HOST, channel_id=HOME)
    assert await proc.sprints.recent_tags(GUILD, BOB, "ac") == ["ACME"]
    # A new sprint may start now.
    await proc.sprints.start(Actor(GUILD, BOB), circle.id)


async def test_a_dead_claimers_change_is_taken_over_once(db: Database, clock: FixedClock) -> None:
    dead, alive = Process(db, clock), Process(db, clock)
    await dead.liveness.start()
    await alive.liveness.start()
    circle = await make_circle(dead)
    started = await dead.sprints.start(Actor(GUILD, ALICE), circle.id, focus=25, break_=5, rounds=2)
    clock.advance(timedelta(minutes=25, seconds=1))
    await dead.liveness.beat()
    assert isinstance(await dead.sprints.claim_phase(started.card.sprint.id), PhaseClaim)
    # The claimer dies before posting. Before its heartbeat is stale, nobody else may take it over.
    assert await alive.sprints.claim_phase(started.card.sprint.id) is None
    clock.advance(timedelta(minutes=1))
    taken = await asyncio.gather(*(alive.sprints.claim_phase(started.card.sprint.id) for _ in range(3)))
    recovered = [t for t in taken if t is not None]
    assert len(recovered) == 1 and isinstance(recovered[0], PhaseClaim) and recovered[0].recovered
    await alive.sprints.record_change_message(recovered[0].change_id, 77)
    assert await alive.sprints.claim_phase(started.card.sprint.id) is None
    await alive.liveness.stop()


async def test_a_scheduled_sprint_heads_up_and_start_once_each(db: Database, clock: FixedClock) -> None:
    a, b = Process(db, clock), Process(db, clock)
    circle = await make_circle(a)
    view = await a.sprints.set_schedule(HOST, circle.id, start=time(8, 30), days=parse_days("daily"), rounds=1)
    slot = T0 + timedelta(minutes=30)
    assert view.next_at == slot
    await a.sprints.plan(PlanScope(owned_guilds=EVERYONE))
    assert a.scheduler.jobs[SprintHeadsUpWake(circle.id, slot).job_id][0] == slot - timedelta(minutes=5)
    assert a.scheduler.jobs[SprintSlotWake(circle.id, slot).job_id][0] == slot
    with pytest.raises(Forbidden):
        await a.sprints.set_schedule(Actor(GUILD, BOB), circle.id, start=time(9, 0), days=parse_days("daily"))
    clock.set(slot - timedelta(minutes=5))
    heads = await asyncio.gather(a.sprints.claim_heads_up(circle.id, slot), b.sprints.claim_heads_up(circle.id, slot))
    assert sum(h is not None for h in heads) == 1
    clock.set(slot + timedelta(seconds=3))
    cards = await asyncio.gather(a.sprints.claim_slot(circle.id, slot), b.sprints.claim_slot(circle.id, slot))
    started = [c for c in cards if c is not None]
    assert len(started) == 1 and started[0].sprint.plan.started_at == slot
    assert started[0].sprint.starter_user_id is None
    activities = await a.sprints.activities([circle.id])
    assert any(x.label.startswith("Sprint running") for x in activities[circle.id])
    assert any(x.label.startswith("Sprints daily 08:30") for x in activities[circle.id])
    await a.sprints.unschedule(HOST, circle.id)
    with pytest.raises(NotFound):
        await a.sprints.unschedule(HOST, circle.id)


async def test_planning_after_a_restart_wakes_a_due_change_now(proc: Process, clock: FixedClock) -> None:
    circle = await make_circle(proc)
    started = await proc.sprints.start(Actor(GUILD, ALICE), circle.id, focus=25, break_=5, rounds=2)
    job = SprintPhaseWake(started.card.sprint.id).job_id
    assert proc.scheduler.jobs[job][0] == T0 + timedelta(minutes=25)
    clock.advance(timedelta(minutes=40))
    await proc.sprints.plan(PlanScope(owned_guilds=EVERYONE))
    assert proc.scheduler.jobs[job][0] == clock.now()


async def test_privacy_export_and_forget(proc: Process, db: Database, clock: FixedClock) -> None:
    circle = await make_circle(proc)
    proc.voice.record(GUILD, BOB, ROOM, AFK)
    started = await proc.sprints.start(Actor(GUILD, BOB), circle.id, intention="Draft", tag="Book")
    clock.advance(timedelta(minutes=3))
    await proc.sprints.stop(Actor(GUILD, BOB), sprint_id=started.card.sprint.id)
    data = await proc.sprints.export_member(GUILD, BOB)
    assert data["sprints"][0]["intention"] == "Draft" and data["sprints"][0]["started_by_me"]
    assert len(data["voice_sessions"]) == 1
    await proc.sprints.forget_member(GUILD, BOB)
    assert await proc.sprints.export_member(GUILD, BOB) == {"voice_sessions": [], "sprints": [], "sprint_joins": []}


async def test_an_empty_intention_defaults_to_todays_standup_focus(
    proc: Process, db: Database, clock: FixedClock
) -> None:
    circle = await make_circle(proc)
    async with db.transaction() as session:
        occurrence = StandupOccurrence(
            circle_id=circle.id,
            guild_id=GUILD,
            local_date=T0.date(),
            opens_at=T0 - timedelta(hours=1),
            closes_at=T0 + timedelta(hours=7),
            questions=list(DEFAULT_QUESTIONS),
            status=OccurrenceStatus.OPEN,
            claimed_at=T0 - timedelta(hours=1),
            channel_id=HOME,
            excused=[],
        )
        session.add(occurrence)
        await session.flush()
        session.add(
            StandupAnswer(
                occurrence_id=occurrence.id,
                circle_id=circle.id,
                guild_id=GUILD,
                user_id=ALICE,
                answers=["Proposals", "Finish the Acme landing page", "none"],
                blocker=False,
                created_at=T0 - timedelta(minutes=30),
                updated_at=T0 - timedelta(minutes=30),
            )
        )
    started = await proc.sprints.start(Actor(GUILD, ALICE), circle.id, focus=20, rounds=1)
    assert started.defaulted_intention
    assert started.card.participants[0].intention == "Finish the Acme landing page"
    joined = await proc.sprints.join(GUILD, BOB, sprint_id=started.card.sprint.id)  # Bob has no standup today
    assert joined.intention is None and not joined.defaulted_intention
    clock.advance(timedelta(minutes=21))
    assert isinstance(await proc.sprints.claim_phase(started.card.sprint.id), Recap)
    # What the next standup form shows: focus since the previous answer.
    assert await proc.sprints.focus_summary(GUILD, ALICE, T0 - timedelta(minutes=30)) == (20, 1)
    assert await proc.sprints.focus_summary(GUILD, ALICE, T0 + timedelta(minutes=1)) == (0, 0)


async def test_events_during_a_flush_are_written_by_the_next_batch(
    proc: Process, db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_circle(proc)
    monkeypatch.setattr("bot.focus.voice.FLUSH_SECONDS", 0.01)
    proc.voice.record(GUILD, ALICE, ROOM, AFK)
    await asyncio.sleep(0)  # the event is applied: a batch is due
    write = db.write
    release = asyncio.Event()

    async def slow_write(*args: object) -> object:
        await release.wait()
        return await write(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(db, "write", slow_write)
    await asyncio.sleep(0.05)  # the first batch is being written...
    proc.voice.record(GUILD, BOB, ROOM, AFK)  # ...when another event comes in
    await asyncio.sleep(0)
    release.set()
    for _ in range(100):
        if await count(db, VoiceSession) == 2:
            break
        await asyncio.sleep(0.01)
    assert await count(db, VoiceSession) == 2  # written without any further event or settle()


async def test_a_guild_create_after_a_new_gateway_session_ends_sessions_at_the_drop(
    proc: Process, db: Database, clock: FixedClock
) -> None:
    circle = await make_circle(proc)
    await proc.voice.preload_rooms()
    proc.voice.guild_seen(GUILD, [(ALICE, ROOM), (BOB, ROOM)], AFK)  # the first GUILD_CREATE
    clock.advance(timedelta(minutes=5))
    proc.voice.record(GUILD, CAROL, ROOM, AFK)  # a live event keeps its own session
    dropped = clock.now() + timedelta(minutes=1)
    clock.advance(timedelta(minutes=10))
    # Invalidated session, re-identified: Alice is still there, Bob left while we were away.
    proc.voice.guild_seen(GUILD, [(ALICE, ROOM), (CAROL, ROOM)], AFK, gap_since=dropped)
    await proc.voice.settle()
    async with db.reader() as session:
        rows = (await session.execute(select(VoiceSession).order_by(VoiceSession.id))).scalars().all()
    spans = sorted((r.user_id, r.started_at - T0, r.ended_at - T0 if r.ended_at else None) for r in rows)
    assert spans == [
        (ALICE, timedelta(0), timedelta(minutes=6)),
        (ALICE, timedelta(minutes=15), None),
        (BOB, timedelta(0), timedelta(minutes=6)),
        (CAROL, timedelta(minutes=5), timedelta(minutes=6)),
        (CAROL, timedelta(minutes=15), None),
    ]
    assert all(r.circle_id == circle.id for r in rows)
    # Without a gap (the first GUILD_CREATE after start-up, a guild back from an outage), a session in
    # the same room goes on and whoever is gone is closed now.
    clock.advance(timedelta(minutes=1))
    proc.voice.guild_seen(GUILD, [(ALICE, ROOM)], AFK)
    await proc.voice.settle()
    assert [(s.user_id, s.started_at - T0) for s in proc.voice.open_sessions()] == [(ALICE, timedelta(minutes=15))]


async def test_leaving_while_in_the_room_stops_the_mentions(proc: Process, clock: FixedClock) -> None:
    circle = await make_circle(proc)
    proc.voice.record(GUILD, BOB, ROOM, AFK)
    started = await proc.sprints.start(Actor(GUILD, ALICE), circle.id, focus=25, break_=5, rounds=2)
    clock.advance(timedelta(minutes=10))
    card = await proc.sprints.leave(GUILD, BOB, sprint_id=started.card.sprint.id)
    assert BOB not in card.present_ids and ALICE in card.present_ids
    with pytest.raises(NotFound):
        await proc.sprints.leave(GUILD, CAROL, sprint_id=started.card.sprint.id)
    clock.advance(timedelta(minutes=15, seconds=1))
    change = await proc.sprints.claim_phase(started.card.sprint.id)
    assert isinstance(change, PhaseClaim) and change.card.present_ids == (ALICE,)
    bob = next(p for p in change.card.participants if p.user_id == BOB)
    assert bob.focus_minutes == 25  # the room still counts


async def test_circle_list_activity_is_cached_and_follows_starts_stops_and_schedules(
    proc: Process, clock: FixedClock
) -> None:
    circle = await make_circle(proc)
    reads = 0
    source = proc.sprints.activity.source

    async def counted(circle_ids: list[int]) -> dict[int, list[Activity]]:
        nonlocal reads
        reads += 1
        return await source(circle_ids)

    proc.sprints.activity.source = counted

    async def labels() -> list[str]:
        return [a.label for a in (await proc.sprints.activity.of([circle.id])).get(circle.id, [])]

    assert await labels() == [] and await labels() == []
    assert reads == 1  # the second read came from the cache
    await proc.sprints.start(Actor(GUILD, ALICE), circle.id, focus=25, rounds=1)
    assert [label.split(":")[0] for label in await labels()] == ["Sprint running"]
    await labels()
    assert reads == 2
    clock.advance(timedelta(minutes=25, seconds=1))  # the focus phase it named is over
    await labels()
    assert reads == 3
    await proc.sprints.stop(Actor(GUILD, ALICE), sprint_id=None, channel_id=HOME)
    assert await labels() == []
    await proc.sprints.set_schedule(HOST, circle.id, start=time(8, 30), days=parse_days("daily"))
    assert any(label.startswith("Sprints daily 08:30") for label in await labels())
    await proc.sprints.unschedule(HOST, circle.id)
    assert await labels() == []
