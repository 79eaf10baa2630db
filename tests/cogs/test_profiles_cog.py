"""`/profile`, `/away` and `/back` callbacks with spec'd fake interactions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.client import CirclesBot
from bot.clock import FixedClock
from bot.db import Database
from bot.profiles.models import Profile
from cogs.profiles._cog import AwayCog, ProfilesCog
from tests.cogs.fakes import GUILD, OTHER_GUILD, Reply, fake_interaction, fake_member, fake_text_channel, invoke

ADA = 1


@pytest.fixture
def profiles(bot: CirclesBot) -> ProfilesCog:
    found = bot.get_cog("ProfilesCog")
    assert isinstance(found, ProfilesCog)
    return found


@pytest.fixture
def away_cog(bot: CirclesBot) -> AwayCog:
    found = bot.get_cog("AwayCog")
    assert isinstance(found, AwayCog)
    return found


async def stored(db: Database) -> list[Profile]:
    async with db.reader() as session:
        return list(await session.scalars(select(Profile).order_by(Profile.guild_id, Profile.user_id)))


def ada() -> object:
    return fake_member(ADA, name="Ada")


def text_of(reply: Reply) -> str:
    assert reply.ephemeral, "profile replies concern only the caller"
    assert reply.pings_nobody, "replies never ping"
    assert reply.content is not None
    return reply.content


async def run(
    bot: CirclesBot, command: object, *, user_id: int = ADA, guild_id: int = GUILD, **options: object
) -> Reply:
    interaction = fake_interaction(bot, fake_member(user_id, name="Ada"), guild_id=guild_id)
    return await invoke(bot, interaction, command, **options)


# --- /profile timezone -----------------------------------------------------------------------------


async def test_profile_timezone(bot: CirclesBot, profiles: ProfilesCog, database: Database) -> None:
    reply = await run(bot, profiles.timezone, tz="europe/berlin")
    # 08:00 UTC on the clock fixture's Thursday is 09:00 in Berlin (CET).
    assert text_of(reply) == "Timezone set to **Europe/Berlin** (your local time is 09:00)."
    (row,) = await stored(database)
    assert (row.guild_id, row.user_id, row.timezone) == (GUILD, ADA, "Europe/Berlin")


async def test_profile_timezone_unknown_is_refused_with_suggestions(
    bot: CirclesBot, profiles: ProfilesCog, database: Database
) -> None:
    text = text_of(await run(bot, profiles.timezone, tz="Europe/Berln"))
    assert text.startswith("`Europe/Berln` is not a known timezone.")
    assert "Did you mean" in text and "`Europe/Berlin`" in text
    assert await stored(database) == []


# --- /profile hours --------------------------------------------------------------------------------


async def test_profile_hours(bot: CirclesBot, profiles: ProfilesCog, database: Database) -> None:
    text = text_of(await run(bot, profiles.hours, start="9:00", end="17:30"))
    assert text.startswith("Working hours set to **09:00–17:30** (UTC).")
    assert "Set your timezone with `/profile timezone`" in text
    (row,) = await stored(database)
    assert (row.work_start, row.work_end) == (540, 1050)
    await run(bot, profiles.timezone, tz="Asia/Tokyo")
    text = text_of(await run(bot, profiles.hours, start="22:00", end="06:00"))
    assert text == "Working hours set to **22:00–06:00** (Asia/Tokyo)."


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("25:00", "17:00", "`25:00` is not a time. Use 24-hour `HH:MM`"),
        ("09:00", "9:60", "`9:60` is not a time."),
        ("930", "17:00", "`930` is not a time."),
        ("9am", "5pm", "`9am` is not a time."),
        ("09:00", "9:00", "Start and end must differ"),
    ],
)
async def test_profile_hours_bad_input_writes_nothing(
    bot: CirclesBot, profiles: ProfilesCog, database: Database, start: str, end: str, expected: str
) -> None:
    text = text_of(await run(bot, profiles.hours, start=start, end=end))
    assert text.startswith(expected)
    assert await stored(database) == []


# --- /profile about --------------------------------------------------------------------------------


async def test_profile_about(bot: CirclesBot, profiles: ProfilesCog, database: Database) -> None:
    text = text_of(await run(bot, profiles.about, offers="Postgres tuning", asks="o" * 300))
    assert text == "Saved. Partners and members see it on your `/profile show` card."
    (row,) = await stored(database)
    assert row.offers == "Postgres tuning" and row.asks == "o" * 300


@pytest.mark.parametrize(
    ("offers", "asks", "expected"),
    [
        ("x" * 301, None, "Offers can be at most 300 characters (yours has 301)."),
        (None, "y" * 301, "Asks can be at most 300 characters (yours has 301)."),
        (None, None, "Give `offers`, `asks` or both"),
    ],
)
async def test_profile_about_bad_input_writes_nothing(
    bot: CirclesBot, profiles: ProfilesCog, database: Database, offers: str | None, asks: str | None, expected: str
) -> None:
    text = text_of(await run(bot, profiles.about, offers=offers, asks=asks))
    assert text.startswith(expected)
    assert await stored(database) == []


# --- /profile leaderboard show|hide ----------------------------------------------------------------


async def test_profile_leaderboard_hide_and_show(bot: CirclesBot, profiles: ProfilesCog, database: Database) -> None:
    text = text_of(await run(bot, profiles.leaderboard_hide))
    assert text.startswith("You're hidden from leaderboards.")
    assert [r.leaderboard_visible for r in await stored(database)] == [False]
    text = text_of(await run(bot, profiles.leaderboard_show))
    assert text == "You'll appear on circle leaderboards."
    assert [r.leaderboard_visible for r in await stored(database)] == [True]


# --- /profile show ---------------------------------------------------------------------------------


async def test_profile_show_own_card(bot: CirclesBot, profiles: ProfilesCog) -> None:
    await run(bot, profiles.timezone, tz="Europe/Berlin")
    await run(bot, profiles.hours, start="09:00", end="17:00")
    await run(bot, profiles.about, offers="*bold* @everyone help", asks="design")
    circles_cog = bot.get_cog("CirclesCog")
    assert circles_cog is not None
    await invoke(
        bot,
        fake_interaction(bot, fake_member(9, manage_guild=True)),
        circles_cog.create,  # type: ignore[attr-defined]
        name="Writers",
        channel=fake_text_channel(10),
    )
    await invoke(bot, fake_interaction(bot, fake_member(ADA)), circles_cog.join, circle="Writers")  # type: ignore[attr-defined]
    reply = await run(bot, profiles.show)
    assert reply.ephemeral and reply.pings_nobody
    embed = reply.embed
    assert embed is not None and embed.title == "Ada"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Timezone"] == "Europe/Berlin\nlocal time 09:00"
    # 09:00–17:00 Berlin on Thursday 26 Nov 2026 = 08:00–16:00 UTC, shown as timestamps.
    start = int(datetime(2026, 11, 26, 8, 0, tzinfo=UTC).timestamp())
    end = int(datetime(2026, 11, 26, 16, 0, tzinfo=UTC).timestamp())
    assert fields["Working hours"] == f"09:00–17:00 local\n(for you: <t:{start}:t>–<t:{end}:t>)"
    # User-written text is escaped: no markdown, no mention.
    assert fields["Can help with"] == "\\*bold\\* @\u200beveryone help"
    assert fields["Looking for"] == "design"
    assert fields["Circles"] == "Writers"
    assert "Away" not in fields


async def test_profile_show_another_member(bot: CirclesBot, profiles: ProfilesCog) -> None:
    await run(bot, profiles.about, user_id=2, offers="copy editing")
    other = fake_member(2, name="Bo_b")
    reply = await invoke(bot, fake_interaction(bot, fake_member(ADA)), profiles.show, member=other)
    assert reply.ephemeral and reply.pings_nobody
    assert reply.embed is not None and reply.embed.title == "Bo\\_b"
    fields = {f.name: f.value for f in reply.embed.fields}
    assert fields["Timezone"] == "not set (UTC assumed)\nlocal time 08:00"
    assert fields["Can help with"] == "copy editing"
    assert "Working hours" not in fields


async def test_profile_show_away_note(bot: CirclesBot, profiles: ProfilesCog, away_cog: AwayCog) -> None:
    await run(bot, away_cog.away, until="2026-11-28", reason="family")
    reply = await run(bot, profiles.show)
    assert reply.embed is not None
    fields = {f.name: f.value for f in reply.embed.fields}
    assert fields["Away"] == "until Sat 28 Nov (family)"


async def test_profiles_are_per_guild(bot: CirclesBot, profiles: ProfilesCog, database: Database) -> None:
    await run(bot, profiles.timezone, tz="Asia/Tokyo")
    reply = await run(bot, profiles.show, guild_id=OTHER_GUILD)
    assert reply.embed is not None
    assert str({f.name: f.value for f in reply.embed.fields}["Timezone"]).startswith("not set")
    assert [(r.guild_id, r.timezone) for r in await stored(database)] == [(GUILD, "Asia/Tokyo")]


# --- /away and /back -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        ("friday", date(2026, 11, 27)),
        ("today", date(2026, 11, 26)),
        ("tomorrow", date(2026, 11, 27)),
        ("thursday", date(2026, 12, 3)),
        ("2027-02-24", date(2027, 2, 24)),
    ],
)
async def test_away(bot: CirclesBot, away_cog: AwayCog, database: Database, until: str, expected: date) -> None:
    text = text_of(await run(bot, away_cog.away, until=until, reason="Conference"))
    assert text.startswith(f"Enjoy the break. You're away through **{expected:%a %d %b}**")
    (row,) = await stored(database)
    assert (row.away_until, row.away_reason) == (expected, "Conference")


async def test_away_uses_the_members_local_day(
    bot: CirclesBot, profiles: ProfilesCog, away_cog: AwayCog, clock: FixedClock, database: Database
) -> None:
    clock.set(datetime(2026, 11, 26, 20, 0, tzinfo=UTC))  # already Friday morning in Auckland
    await run(bot, profiles.timezone, tz="Pacific/Auckland")
    text_of(await run(bot, away_cog.away, until="today"))
    assert [r.away_until for r in await stored(database)] == [date(2026, 11, 27)]


@pytest.mark.parametrize(
    ("until", "reason", "expected"),
    [
        ("2026-11-25", None, "That date has passed."),
        ("2027-02-25", None, "You can be away for at most 90 days (until 2027-02-24)."),
        ("someday", None, "`someday` is not a date. Use `YYYY-MM-DD`, `today`, `tomorrow` or a weekday"),
        ("2026-02-30", None, "`2026-02-30` is not a date."),
        ("friday", "r" * 201, "The reason can be at most 200 characters (yours has 201)."),
    ],
)
async def test_away_bad_input_writes_nothing(
    bot: CirclesBot, away_cog: AwayCog, database: Database, until: str, reason: str | None, expected: str
) -> None:
    text = text_of(await run(bot, away_cog.away, until=until, reason=reason))
    assert text.startswith(expected)
    assert await stored(database) == []


async def test_back(bot: CirclesBot, away_cog: AwayCog, database: Database) -> None:
    assert text_of(await run(bot, away_cog.back)) == "You weren't away. Nothing changed."
    await run(bot, away_cog.away, until="friday")
    assert text_of(await run(bot, away_cog.back)) == "Welcome back!"
    assert [(r.away_until, r.away_reason) for r in await stored(database)] == [(None, None)]
    assert text_of(await run(bot, away_cog.back)) == "You weren't away. Nothing changed."
