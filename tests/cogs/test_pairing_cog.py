"""`/pair` and `/goal` callbacks with spec'd fake interactions: parsing, permissions, rendering, errors."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import func, select

import cogs.pairing
from bot.actors import Actor
from bot.client import CirclesBot
from bot.clock import FixedClock
from bot.db import Database
from bot.pairing.models import Goal, PairAvoid, PairSchedule, PairSettings
from bot.pairing.results import GroupPlan, MemberCard, RoundClaim
from cogs.pairing import _render
from cogs.pairing._cog import GoalsCog, PairingCog, complete_goal
from cogs.pairing._views import ConfirmGoalButton, MetButton, close_view, intro_view
from tests.cogs.fakes import GUILD, Reply, fake_interaction, fake_member, invoke

HOST, ADA, BEN = 1, 21, 22
HOME = 777


@pytest.fixture
async def loaded(bot: CirclesBot) -> CirclesBot:
    await cogs.pairing.setup(bot)
    circles = bot.services.circles
    circle = await circles.create(Actor(GUILD, HOST, manages_guild=True), name="Writers", channel_id=HOME)
    for uid in (ADA, BEN):
        await circles.join(GUILD, uid, circle.id)
    return bot


def pair_cog(bot: CirclesBot) -> PairingCog:
    found = bot.get_cog("PairingCog")
    assert isinstance(found, PairingCog)
    return found


def goal_cog(bot: CirclesBot) -> GoalsCog:
    found = bot.get_cog("GoalsCog")
    assert isinstance(found, GoalsCog)
    return found


async def run(bot: CirclesBot, command: Any, *, user_id: int = ADA, host: bool = False, **options: Any) -> Reply:
    interaction = fake_interaction(bot, fake_member(user_id, manage_guild=host))
    reply = await invoke(bot, interaction, command, **options)
    assert reply.ephemeral, "pairing replies concern only the caller"
    assert reply.pings_nobody, "replies never ping"
    return reply


async def count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"day": "monday", "time": "10:00", "size": 5}, "Groups can have 2 to 4 members"),
        (
            {"day": "monday", "time": "10:00", "cadence": "daily"},
            "`daily` is not a cadence. Use `weekly` or `biweekly`",
        ),
        ({"day": "funday", "time": "10:00"}, "`funday` is not a weekday"),
        ({"day": "monday", "time": "25:00"}, "`25:00` is not a time"),
    ],
)
async def test_bad_schedules_get_a_clear_error_and_write_nothing(
    loaded: CirclesBot, database: Database, options: dict[str, Any], says: str
) -> None:
    reply = await run(loaded, pair_cog(loaded).schedule, host=True, **options)
    assert says in (reply.content or "")
    assert await count(database, PairSchedule) == 0


async def test_schedule_is_host_only_and_says_when_the_next_round_is(loaded: CirclesBot, database: Database) -> None:
    refused = await run(loaded, pair_cog(loaded).schedule, day="monday", time="10:00")
    assert "Only hosts of **Writers**" in (refused.content or "")
    assert await count(database, PairSchedule) == 0
    saved = await run(loaded, pair_cog(loaded).schedule, host=True, day="Monday", time="9:30", cadence="biweekly")
    assert saved.content is not None
    assert "biweekly on Monday at 09:30 (UTC), groups of 2" in saved.content
    monday = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # the clock fixture is Thursday 26 Nov
    assert f"<t:{int(monday.timestamp())}:F>" in saved.content
    assert any(j.startswith("pair-round:") for j in loaded.services.scheduler.job_ids())


async def test_pair_now_is_host_only(loaded: CirclesBot) -> None:
    reply = await run(loaded, pair_cog(loaded).now)
    assert "Only hosts" in (reply.content or "")


async def test_pair_now_with_a_lonely_pool_tells_the_host_why(loaded: CirclesBot) -> None:
    await run(loaded, pair_cog(loaded).optin)
    interaction = fake_interaction(loaded, fake_member(HOST, manage_guild=True))
    await invoke_deferred(loaded, interaction, pair_cog(loaded).now)
    sent = interaction.followup.send.call_args  # type: ignore[attr-defined]
    assert sent.kwargs["ephemeral"] is True
    assert "at least two members" in sent.args[0] and "<@21> (too few members in the pool this round)" in sent.args[0]


async def invoke_deferred(bot: CirclesBot, interaction: discord.Interaction[Any], command: Any) -> None:
    fake: Any = interaction
    fake.command = command
    await command.callback(command.binding, interaction)


async def test_optin_needs_membership(loaded: CirclesBot) -> None:
    reply = await run(loaded, pair_cog(loaded).optin, user_id=99)
    assert "Join **Writers** first" in (reply.content or "")
    ok = await run(loaded, pair_cog(loaded).optin)
    assert "You're in the partner pool of **Writers**" in (ok.content or "")


@pytest.mark.parametrize(
    ("until", "says"),
    [("2027-03-01", "at most 90 days"), ("2026-11-01", "That date has passed"), ("someday", "is not a date")],
)
async def test_bad_snoozes_are_refused(loaded: CirclesBot, database: Database, until: str, says: str) -> None:
    reply = await run(loaded, pair_cog(loaded).snooze, until=until)
    assert says in (reply.content or "")
    assert await count(database, PairSettings) == 0


async def test_avoid_is_private_and_refuses_oneself(loaded: CirclesBot, database: Database) -> None:
    myself = await run(loaded, pair_cog(loaded).avoid, member=fake_member(ADA))
    assert "can't avoid yourself" in (myself.content or "")
    assert await count(database, PairAvoid) == 0
    done = await run(loaded, pair_cog(loaded).avoid, member=fake_member(BEN, name="Ben"))
    assert "Ben" not in done.text() and "<@22>" not in done.text()
    assert await count(database, PairAvoid) == 1
    await run(loaded, pair_cog(loaded).unavoid, member=fake_member(BEN))
    assert await count(database, PairAvoid) == 0


async def test_goals_bad_input_and_someone_elses_goal(loaded: CirclesBot, database: Database) -> None:
    too_long = await run(loaded, goal_cog(loaded).add, text="x" * 201)
    assert "at most 200 characters (yours has 201)" in (too_long.content or "")
    bad_due = await run(loaded, goal_cog(loaded).add, text="Ship", due="32nd")
    assert "is not a date" in (bad_due.content or "")
    assert await count(database, Goal) == 0
    added = await run(loaded, goal_cog(loaded).add, text="@everyone ship the site", due="friday")
    assert "Goal set" in (added.content or "") and "@\u200beveryone" in (added.content or "")
    async with database.reader() as session:
        goal_id = await session.scalar(select(Goal.id))
    theirs = await run(loaded, goal_cog(loaded).done, user_id=BEN, goal=str(goal_id))
    assert "isn't one of your open goals" in (theirs.content or "")
    mine = await run(loaded, goal_cog(loaded).done, goal=str(goal_id))
    assert "Well done" in (mine.content or "")


async def test_goal_autocomplete_offers_only_own_open_goals(loaded: CirclesBot) -> None:
    await loaded.services.pairing.add_goal(GUILD, ADA, "Mine", None)
    await loaded.services.pairing.add_goal(GUILD, BEN, "His", None)
    interaction = fake_interaction(loaded, fake_member(ADA))
    choices = await complete_goal(interaction, "")
    assert [c.name for c in choices] == ["Mine"]


async def test_goal_list_of_someone_not_a_partner_is_refused(loaded: CirclesBot) -> None:
    reply = await run(loaded, goal_cog(loaded).list_, member=fake_member(BEN))
    assert "while you are their partner" in (reply.content or "")
    own = await run(loaded, goal_cog(loaded).list_)
    assert own.embed is not None and "No goals yet" in (own.embed.description or "")


def test_the_intro_shows_timezones_local_time_overlap_and_offers() -> None:
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    members = (
        MemberCard(ADA, "Europe/Berlin", "09:00–17:00", "Copywriting", "@everyone help"),
        MemberCard(BEN, "America/New_York", None, None, None),
    )
    window = (datetime(2026, 11, 26, 14, 0, tzinfo=UTC), datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
    group = GroupPlan(5, 0, members, (window,), None, False, None)
    trio = GroupPlan(6, 1, (*members, MemberCard(23, "UTC", None, None, None)), (), None, False, None)
    end = now + timedelta(days=6)
    claim = RoundClaim(1, 2, "Writers", GUILD, HOME, now, now, end, now, (group, trio), ())
    content, embed = _render.intro(group, claim, now)
    text = content + "\n".join(f.value or "" for f in embed.fields) + (embed.description or "")
    assert "<@21> and <@22>" in content
    assert "09:00 (Europe/Berlin)" in text and "03:00 (America/New_York)" in text
    assert f"<t:{int(window[0].timestamp())}:t>–<t:{int(window[1].timestamp())}:t>" in text
    assert "Offers: Copywriting" in text and "@\u200beveryone" in text
    assert "nobody gets left out" not in text
    _, trio_embed = _render.intro(trio, claim, now)
    assert "nobody gets left out" in (trio_embed.description or "")
    assert "don't overlap" in "\n".join(f.value or "" for f in trio_embed.fields)
    assert _render.thread_name(now, "Europe/Berlin", 0) == "Partners · Thu 26 Nov · 1"


def test_the_buttons_are_persistent_and_carry_what_they_act_on() -> None:
    view = intro_view(5)
    assert view.timeout is None
    assert [getattr(i, "custom_id", None) for i in view.children] == ["pair-goal:5"]
    from bot.pairing.results import CloseGroup, GoalView

    goals = tuple(GoalView(i, ADA, f"g{i}", None, "open", None, None) for i in range(1, 11))
    close = close_view(CloseGroup(5, 99, (ADA, BEN), goals))
    ids = [getattr(i, "custom_id", None) for i in close.children]
    assert ids[:2] == ["pair-met:5:yes", "pair-met:5:no"]
    assert len(ids) == 2 + 2 * _render.CLOSE_GOALS_MAX <= 25
    assert ids[2:4] == ["pair-confirm:5:1:done", "pair-confirm:5:1:not"]
    assert MetButton(5, "yes").custom_id == "pair-met:5:yes"
    assert ConfirmGoalButton(5, 3, "not", 2).item.label == "2. not done"


def test_the_nudge_mentions_only_the_partner_and_never_shames() -> None:
    text = _render.nudge(ADA, (BEN,))
    assert text.startswith("<@22>, <@21> has been quiet")
    for word in ("missed", "failed", "lazy", "absent"):
        assert word not in text.lower()


async def test_status_and_history_render(loaded: CirclesBot, clock: FixedClock) -> None:
    await loaded.services.profiles.set_hours(GUILD, BEN, time(9), time(17))
    status = await run(loaded, pair_cog(loaded).status)
    assert status.embed is not None and "No partners right now" in (status.embed.description or "")
    history = await run(loaded, pair_cog(loaded).history)
    assert history.embed is not None and "No rounds yet" in (history.embed.description or "")


async def test_circle_info_shows_the_pairing_schedule_and_the_next_round(loaded: CirclesBot) -> None:
    from cogs.circles._cog import CirclesCog

    await run(loaded, pair_cog(loaded).schedule, host=True, day="monday", time="10:00", size=3)
    circles = loaded.get_cog("CirclesCog")
    assert isinstance(circles, CirclesCog)
    info = await run(loaded, circles.info)
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert "Pairing weekly on Monday 10:00 (UTC), groups of 3" in info.text()
    assert f"<t:{int(monday.timestamp())}:R>" in info.text()
