"""`/sprint` callbacks with spec'd fake interactions: parsing, permissions, rendering, ephemeral errors."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import create_autospec

import discord
import pytest
from sqlalchemy import func, select

import cogs.sprints
from bot.actors import Actor
from bot.client import CirclesBot
from bot.clock import FixedClock
from bot.db import Database
from bot.db.liveness import BotProcess as ProcessRow
from bot.focus.models import Sprint, SprintSchedule, VoiceSession
from bot.focus.results import ParticipantView, SprintCard, SprintView
from bot.focus.timeline import CatchUp, Plan, phases
from bot.standups.questions import DEFAULT_QUESTIONS
from bot.standups.results import AnswerForm
from cogs.sprints import _render
from cogs.sprints._cog import SprintsCog, complete_tag
from cogs.sprints._posting import SprintPoster
from cogs.sprints._views import FinishButton, SprintButton, finish_view, sprint_view
from cogs.standups._views import AnswerModal, focus_hint
from tests.cogs.fakes import GUILD, fake_interaction, fake_member, invoke

HOME, ROOM, AFK = 7001, 7002, 7003
HOST, ALICE, BOB = 1, 2, 3


@pytest.fixture
async def cog(bot: CirclesBot) -> SprintsCog:
    await cogs.sprints.setup(bot)
    found = bot.get_cog("SprintsCog")
    assert isinstance(found, SprintsCog)
    found.poster = create_autospec(SprintPoster, instance=True)  # no Discord here: only what is asked of it
    return found


async def make_circle(bot: CirclesBot, voice: int | None = ROOM) -> int:
    circle = await bot.services.circles.create(
        Actor(GUILD, HOST, manages_guild=True), name="Deep work", channel_id=HOME, voice_channel_id=voice
    )
    return circle.id


def interaction(bot: CirclesBot, user_id: int, *, host: bool = False) -> discord.Interaction[Any]:
    fake = fake_interaction(bot, fake_member(user_id, manage_guild=host))
    fake.channel_id = HOME  # type: ignore[misc]
    return fake


async def sprint_count(db: Database) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Sprint)) or 0)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"focus": 0}, "`focus` must be from 5 to 180 minutes (default 25)"),
        ({"focus": 181}, "`focus` must be from 5 to 180"),
        ({"rounds": 13}, "`rounds` must be from 1 to 12 (default 4)"),
        ({"break_": 61}, "`break` must be from 0 to 60"),
        ({"tag": "t" * 41}, "A tag must be 1–40 characters"),
        ({"intention": "i" * 201}, "at most 200 characters"),
    ],
)
async def test_bad_start_input_is_an_ephemeral_error_and_nothing_is_written(
    bot: CirclesBot, cog: SprintsCog, database: Database, options: dict[str, Any], says: str
) -> None:
    await make_circle(bot)
    reply = await invoke(bot, interaction(bot, ALICE), cog.start, **options)
    assert reply.ephemeral and says in reply.text() and reply.pings_nobody
    assert await sprint_count(database) == 0
    cog.poster.announce.assert_not_called()  # type: ignore[attr-defined]


async def test_no_voice_channel_and_a_second_sprint_are_refused(
    bot: CirclesBot, cog: SprintsCog, database: Database
) -> None:
    circle_id = await make_circle(bot, voice=None)
    reply = await invoke(bot, interaction(bot, ALICE), cog.start)
    assert reply.ephemeral and "no focus room" in reply.text()
    await bot.services.circles.edit(Actor(GUILD, HOST, manages_guild=True), circle_id, voice_channel_id=ROOM)
    first = await invoke(bot, interaction(bot, ALICE), cog.start, focus=30)
    assert first.ephemeral and "Sprint started" in first.text()
    cog.poster.announce.assert_awaited_once()  # type: ignore[attr-defined]
    card = cog.poster.announce.await_args.args[0]  # type: ignore[attr-defined]
    assert card.sprint.plan.focus_minutes == 30 and card.sprint.plan.rounds == 4
    second = await invoke(bot, interaction(bot, BOB), cog.start)
    assert second.ephemeral and "already running" in second.text()
    assert await sprint_count(database) == 1


async def test_stop_by_a_non_starter_is_refused_and_the_starter_or_a_host_may(
    bot: CirclesBot, cog: SprintsCog, clock: FixedClock
) -> None:
    await make_circle(bot)
    await invoke(bot, interaction(bot, ALICE), cog.start)
    refused = await invoke(bot, interaction(bot, BOB), cog.stop)
    assert refused.ephemeral and "Only the member who started this sprint or a host" in refused.text()
    cog.poster.post_recap.assert_not_called()  # type: ignore[attr-defined]
    clock.advance(timedelta(minutes=3))
    stopped = await invoke(bot, interaction(bot, HOST, host=True), cog.stop)
    assert stopped.ephemeral and "recap" in stopped.text()
    recap = cog.poster.post_recap.await_args.args[0]  # type: ignore[attr-defined]
    assert recap.stopped_by == HOST and [(p.user_id, p.focus_minutes) for p in recap.participants] == [(ALICE, 3)]


async def test_status_join_leave_and_tag_autocomplete(bot: CirclesBot, cog: SprintsCog) -> None:
    await make_circle(bot)
    none = await invoke(bot, interaction(bot, BOB), cog.status)
    assert none.ephemeral and "No sprint is running" in none.text()
    await invoke(bot, interaction(bot, ALICE), cog.start, intention="Write", tag="ACME")
    joined = await invoke(bot, interaction(bot, BOB), cog.join, intention="@everyone invoices", tag="Globex")
    assert joined.ephemeral and "You're in" in joined.text() and joined.pings_nobody
    assert "@everyone" not in joined.text()  # escaped, so it can never ping
    status = await invoke(bot, interaction(bot, BOB), cog.status)
    assert status.embed is not None and "Focus · round 1 of 4" in status.text()
    assert f"<@{BOB}>" in status.text() and "Globex" in status.text()
    left = await invoke(bot, interaction(bot, BOB), cog.leave)
    assert left.ephemeral and "You left" in left.text()
    again = await invoke(bot, interaction(bot, BOB), cog.leave)
    assert again.ephemeral and "not in this sprint" in again.text()
    choices = await complete_tag(interaction(bot, ALICE), "ac")
    assert [c.value for c in choices] == ["ACME"]


async def test_schedule_is_host_only_and_parses_like_standups(
    bot: CirclesBot, cog: SprintsCog, database: Database
) -> None:
    circle_id = await make_circle(bot)
    refused = await invoke(
        bot, interaction(bot, ALICE), cog.schedule, circle=str(circle_id), time="10:00", days="daily"
    )
    assert refused.ephemeral and "Only hosts" in refused.text()
    bad_time = await invoke(
        bot, interaction(bot, HOST, host=True), cog.schedule, circle=str(circle_id), time="25:00", days="daily"
    )
    assert "HH:MM" in bad_time.text()
    bad_days = await invoke(
        bot, interaction(bot, HOST, host=True), cog.schedule, circle=str(circle_id), time="10:00", days="someday"
    )
    assert "is not a set of days" in bad_days.text()
    saved = await invoke(
        bot,
        interaction(bot, HOST, host=True),
        cog.schedule,
        circle=str(circle_id),
        time="10:00",
        days="mon-fri",
        rounds=2,
    )
    assert saved.ephemeral and "mon-fri at 10:00" in saved.text() and "heads-up 5 minutes before" in saved.text()
    async with database.reader() as session:
        assert await session.get(SprintSchedule, circle_id) is not None
    gone = await invoke(bot, interaction(bot, HOST, host=True), cog.unschedule, circle=str(circle_id))
    assert "No more scheduled sprints" in gone.text()


async def test_raw_voice_states_are_queued_in_gateway_order_and_toggles_change_nothing(
    bot: CirclesBot, cog: SprintsCog, clock: FixedClock
) -> None:
    await make_circle(bot)
    parse = bot._connection.parsers["VOICE_STATE_UPDATE"]  # what the websocket calls for each dispatch

    def payload(user_id: int, channel: int | None, *, deaf: bool = False, is_bot: bool = False) -> dict[str, Any]:
        return {
            "guild_id": str(GUILD),
            "user_id": str(user_id),
            "channel_id": str(channel) if channel else None,
            "self_deaf": deaf,
            "member": {"user": {"id": str(user_id), "bot": is_bot}},
        }

    # A burst for one member: join, deafen, move out, back in. The tap runs first; discord.py's own parse
    # then fails here only because this bot never logged in (it has no user of its own).
    events = [payload(ALICE, ROOM), payload(ALICE, ROOM, deaf=True), payload(ALICE, AFK), payload(ALICE, ROOM)]
    for data in [*events, payload(4242, ROOM, is_bot=True)]:  # bots are nobody's co-working time
        clock.advance(timedelta(seconds=1))
        with contextlib.suppress(AttributeError):
            parse(data)
    await bot.services.voice.settle()
    sessions = bot.services.voice.open_sessions()
    assert [(s.user_id, s.channel_id) for s in sessions] == [(ALICE, ROOM)]
    async with bot.services.db.reader() as session:
        rows = (await session.execute(select(VoiceSession.user_id, VoiceSession.ended_at))).all()
    assert sorted((u, e is None) for u, e in rows) == [(ALICE, False), (ALICE, True)]


def test_persistent_custom_ids_and_the_late_phase_line() -> None:
    view = sprint_view(42)
    assert [item.custom_id for item in view.children] == [  # type: ignore[attr-defined]
        "sprint-join:42",
        "sprint-leave:42",
        "sprint-stop:42",
    ]
    assert [i.custom_id for i in finish_view(42).children] == [  # type: ignore[attr-defined]
        "sprint-finish:42:yes",
        "sprint-finish:42:partly",
        "sprint-finish:42:no",
    ]
    assert SprintButton.__discord_ui_compiled_template__.fullmatch("sprint-stop:42")  # type: ignore[attr-defined]
    assert FinishButton.__discord_ui_compiled_template__.fullmatch("sprint-finish:42:partly")  # type: ignore[attr-defined]
    plan = Plan(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), 25, 5, 3)
    ps = phases(plan)
    sprint = SprintView(1, GUILD, 1, "Deep work", HOME, ROOM, ALICE, plan, "running", None, 5)
    card = SprintCard(sprint, ps[4], (ParticipantView(ALICE, "@everyone", "@here", True, 0),))
    text = _render.phase_message(CatchUp(ps[4], (ps[1], ps[2], ps[3]), late=True), card)
    assert text.startswith("*(late)*") and "round 3 of 3" in text
    assert "While I was away: break · round 1 of 3, focus · round 2 of 3, break · round 2 of 3 passed." in text
    assert text.endswith(f"<@{ALICE}>") and "@everyone" not in text
    embed = _render.card(card)
    assert "@everyone" not in str(embed.to_dict())


def test_the_standup_form_hint_shows_the_plan_and_focus_time() -> None:
    base = AnswerForm(1, datetime(2026, 12, 1).date(), DEFAULT_QUESTIONS, None, "Ship the page", datetime.now(UTC))
    assert focus_hint(base) == "Yesterday you planned: Ship the page"
    both = dataclasses.replace(base, focused=(75, 3))
    assert focus_hint(both) == "Yesterday you planned: Ship the page — you focused 75 min in 3 sprints"
    only = dataclasses.replace(base, yesterday_plan=None, focused=(25, 1))
    assert focus_hint(only) == "You focused 25 min in 1 sprint"
    first = AnswerModal(both).children[0]
    assert isinstance(first, discord.ui.TextInput) and first.placeholder == focus_hint(both)
    long = AnswerModal(dataclasses.replace(both, yesterday_plan="x" * 90)).children[0]
    assert isinstance(long, discord.ui.TextInput) and long.placeholder is not None
    assert long.placeholder.endswith("…") and len(long.placeholder) == 100


async def test_orphaned_sessions_end_at_the_first_guild_create_not_at_load(
    bot: CirclesBot, database: Database, clock: FixedClock
) -> None:
    """A process that loads the cogs without connecting (`python -m bot sync-commands`) must not end a
    running bot's sessions; the first GUILD_CREATE of a connecting process ends a dead one's."""
    alive = clock.now() - timedelta(minutes=3)
    async with database.transaction() as session:
        session.add(ProcessRow(id="dead", host="h", started_at=alive, alive_at=alive))
        session.add(
            VoiceSession(
                guild_id=GUILD, user_id=ALICE, channel_id=ROOM, started_at=alive - timedelta(hours=1), holder="dead"
            )
        )
    await cogs.sprints.setup(bot)
    cog = bot.get_cog("SprintsCog")
    assert isinstance(cog, SprintsCog)
    async with database.reader() as session:
        assert (await session.scalar(select(VoiceSession.ended_at))) is None
    with contextlib.suppress(Exception):  # discord.py's own parse needs a logged-in client
        bot._connection.parsers["GUILD_CREATE"]({"id": str(GUILD), "voice_states": [], "afk_channel_id": None})
    assert cog._orphans is not None
    await cog._orphans
    async with database.reader() as session:
        assert (await session.scalar(select(VoiceSession.ended_at))) == alive
