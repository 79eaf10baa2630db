"""The profile service on a real database (SQLite always, PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.db import Database
from bot.errors import InvalidInput
from bot.profiles.models import Profile
from bot.profiles.service import ProfileService, ProfileView

GUILD = 111
OTHER_GUILD = 222
ADA = 1
BOB = 2
TODAY = date(2026, 11, 26)  # the clock fixture's Thursday, 08:00 UTC


async def rows(db: Database) -> list[Profile]:
    async with db.reader() as session:
        return list(await session.scalars(select(Profile).order_by(Profile.guild_id, Profile.user_id)))


async def row_count(db: Database) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Profile)) or 0)


@pytest.fixture
def service(db: Database, clock: FixedClock) -> ProfileService:
    return ProfileService(db, clock)


async def test_a_member_without_a_profile_gets_defaults(service: ProfileService, db: Database) -> None:
    profile = await service.get(GUILD, ADA)
    assert profile == ProfileView.default(GUILD, ADA)
    assert profile.zone == "UTC" and profile.hours_text is None
    assert profile.leaderboard_visible and profile.standup_reminders
    assert not profile.is_away_on(TODAY)
    assert await row_count(db) == 0  # reading writes nothing


# --- timezone --------------------------------------------------------------------------------------


async def test_set_timezone(service: ProfileService, db: Database) -> None:
    profile = await service.set_timezone(GUILD, ADA, "europe/berlin")
    assert profile.timezone == "Europe/Berlin" and profile.zone == "Europe/Berlin"
    assert (await service.get(GUILD, ADA)).timezone == "Europe/Berlin"
    (row,) = await rows(db)
    assert (row.guild_id, row.user_id, row.timezone) == (GUILD, ADA, "Europe/Berlin")
    await service.set_timezone(GUILD, ADA, "Asia/Tokyo")
    assert (await service.get(GUILD, ADA)).timezone == "Asia/Tokyo"
    assert await row_count(db) == 1


async def test_invalid_timezone_writes_nothing(service: ProfileService, db: Database) -> None:
    with pytest.raises(InvalidInput, match=r"Did you mean.*Europe/Berlin"):
        await service.set_timezone(GUILD, ADA, "Europe/Berln")
    assert await row_count(db) == 0
    await service.set_timezone(GUILD, ADA, "Europe/Paris")
    with pytest.raises(InvalidInput, match="not a known timezone"):
        await service.set_timezone(GUILD, ADA, "Mars/Olympus")
    assert (await service.get(GUILD, ADA)).timezone == "Europe/Paris"


async def test_local_today_follows_the_members_timezone(service: ProfileService, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 26, 20, 0, tzinfo=UTC))  # Thursday evening in UTC, Friday morning in Auckland
    assert await service.local_today(GUILD, ADA) == TODAY
    await service.set_timezone(GUILD, ADA, "Pacific/Auckland")
    assert await service.local_today(GUILD, ADA) == date(2026, 11, 27)
    clock.set(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))  # still Wednesday evening in Los Angeles
    await service.set_timezone(GUILD, BOB, "America/Los_Angeles")
    assert await service.local_today(GUILD, BOB) == date(2026, 11, 25)


# --- hours -----------------------------------------------------------------------------------------


async def test_set_hours(service: ProfileService, db: Database) -> None:
    profile = await service.set_hours(GUILD, ADA, time(9, 0), time(17, 30))
    assert profile.work_start == time(9, 0) and profile.work_end == time(17, 30)
    assert profile.hours_text == "09:00–17:30"
    (row,) = await rows(db)
    assert (row.work_start, row.work_end) == (9 * 60, 17 * 60 + 30)
    # Night owls: hours may cross midnight.
    night = await service.set_hours(GUILD, ADA, time(22, 0), time(6, 0))
    assert night.hours_text == "22:00–06:00"
    assert (await service.get(GUILD, ADA)).hours_text == "22:00–06:00"


async def test_hours_with_equal_start_and_end_are_refused(service: ProfileService, db: Database) -> None:
    with pytest.raises(InvalidInput, match="Start and end must differ"):
        await service.set_hours(GUILD, ADA, time(9, 0), time(9, 0))
    assert await row_count(db) == 0
    await service.set_hours(GUILD, ADA, time(8, 0), time(16, 0))
    with pytest.raises(InvalidInput):
        await service.set_hours(GUILD, ADA, time(0, 0), time(0, 0))
    assert (await service.get(GUILD, ADA)).hours_text == "08:00–16:00"


# --- about -----------------------------------------------------------------------------------------


async def test_set_about(service: ProfileService) -> None:
    profile = await service.set_about(GUILD, ADA, "  Django, Postgres  ", "design feedback")
    assert profile.offers == "Django, Postgres" and profile.asks == "design feedback"
    # Giving one keeps the other.
    profile = await service.set_about(GUILD, ADA, None, "a copy editor")
    assert profile.offers == "Django, Postgres" and profile.asks == "a copy editor"
    # An empty text clears that field.
    profile = await service.set_about(GUILD, ADA, "", None)
    assert profile.offers is None and profile.asks == "a copy editor"


async def test_about_up_to_300_characters_each(service: ProfileService, db: Database) -> None:
    profile = await service.set_about(GUILD, ADA, "o" * 300, "a" * 300)
    assert profile.offers == "o" * 300 and profile.asks == "a" * 300
    stored = (await rows(db))[0]
    assert stored.offers == "o" * 300 and stored.asks == "a" * 300


@pytest.mark.parametrize(("offers", "asks", "what"), [("o" * 301, None, "Offers"), ("fine", "a" * 301, "Asks")])
async def test_about_over_300_characters_writes_nothing(
    service: ProfileService, db: Database, offers: str, asks: str | None, what: str
) -> None:
    with pytest.raises(InvalidInput, match=f"{what} can be at most 300 characters \\(yours has 301\\)"):
        await service.set_about(GUILD, ADA, offers, asks)
    assert await row_count(db) == 0
    # Nor is an existing profile half-changed.
    await service.set_about(GUILD, ADA, "before", "before")
    with pytest.raises(InvalidInput):
        await service.set_about(GUILD, ADA, offers, asks)
    profile = await service.get(GUILD, ADA)
    assert (profile.offers, profile.asks) == ("before", "before")


async def test_about_needs_something(service: ProfileService, db: Database) -> None:
    with pytest.raises(InvalidInput, match="Give `offers`, `asks` or both"):
        await service.set_about(GUILD, ADA, None, None)
    assert await row_count(db) == 0


# --- leaderboard and reminders ---------------------------------------------------------------------


async def test_leaderboard_hide_and_show(service: ProfileService, db: Database) -> None:
    assert not (await service.set_leaderboard(GUILD, ADA, False)).leaderboard_visible
    assert not (await service.get(GUILD, ADA)).leaderboard_visible
    assert (await rows(db))[0].leaderboard_visible is False
    assert (await service.set_leaderboard(GUILD, ADA, True)).leaderboard_visible
    assert (await service.get(GUILD, ADA)).leaderboard_visible
    # Hiding in one guild does not hide elsewhere.
    await service.set_leaderboard(GUILD, BOB, False)
    assert (await service.get(OTHER_GUILD, BOB)).leaderboard_visible


async def test_standup_reminders_switch(service: ProfileService) -> None:
    assert not (await service.set_standup_reminders(GUILD, ADA, False)).standup_reminders
    assert not (await service.get(GUILD, ADA)).standup_reminders
    assert (await service.set_standup_reminders(GUILD, ADA, True)).standup_reminders


async def test_get_many(service: ProfileService) -> None:
    await service.set_timezone(GUILD, ADA, "Europe/Berlin")
    await service.set_timezone(OTHER_GUILD, BOB, "Asia/Tokyo")
    found = await service.get_many(GUILD, [ADA, BOB])
    assert found[ADA].timezone == "Europe/Berlin"
    assert found[BOB] == ProfileView.default(GUILD, BOB)  # Bob's Tokyo profile belongs to the other guild


# --- away and back ---------------------------------------------------------------------------------


async def test_away_until_a_date_is_inclusive(service: ProfileService, db: Database) -> None:
    until = TODAY + timedelta(days=3)
    profile = await service.set_away(GUILD, ADA, until, "  Conference in Lisbon ")
    assert profile.away_until == until and profile.away_reason == "Conference in Lisbon"
    assert profile.is_away_on(TODAY)
    assert profile.is_away_on(until)  # through that day
    assert not profile.is_away_on(until + timedelta(days=1))
    stored = (await rows(db))[0]
    assert stored.away_until == until and stored.away_reason == "Conference in Lisbon"


async def test_away_today_is_allowed_and_the_past_is_refused(service: ProfileService, db: Database) -> None:
    with pytest.raises(InvalidInput, match="That date has passed"):
        await service.set_away(GUILD, ADA, TODAY - timedelta(days=1), None)
    assert await row_count(db) == 0
    profile = await service.set_away(GUILD, ADA, TODAY, None)
    assert profile.is_away_on(TODAY) and profile.away_reason is None


async def test_away_at_most_90_days_ahead(service: ProfileService, db: Database) -> None:
    with pytest.raises(InvalidInput, match="at most 90 days"):
        await service.set_away(GUILD, ADA, TODAY + timedelta(days=91), None)
    assert await row_count(db) == 0
    profile = await service.set_away(GUILD, ADA, TODAY + timedelta(days=90), None)
    assert profile.away_until == date(2027, 2, 24)


async def test_away_past_and_limit_use_the_members_local_day(service: ProfileService, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 26, 20, 0, tzinfo=UTC))  # Friday 09:00 in Auckland
    await service.set_timezone(GUILD, ADA, "Pacific/Auckland")
    with pytest.raises(InvalidInput, match="That date has passed"):
        await service.set_away(GUILD, ADA, TODAY, None)  # Thursday is yesterday for Ada
    await service.set_away(GUILD, ADA, date(2026, 11, 27) + timedelta(days=90), None)
    # A UTC member on the same instant may still say "today" for Thursday.
    assert (await service.set_away(GUILD, BOB, TODAY, None)).away_until == TODAY


async def test_away_reason_at_most_200_characters(service: ProfileService, db: Database) -> None:
    with pytest.raises(InvalidInput, match="The reason can be at most 200 characters"):
        await service.set_away(GUILD, ADA, TODAY + timedelta(days=1), "r" * 201)
    assert await row_count(db) == 0
    profile = await service.set_away(GUILD, ADA, TODAY + timedelta(days=1), "r" * 200)
    assert profile.away_reason == "r" * 200


async def test_back_ends_an_away_period(service: ProfileService, db: Database) -> None:
    await service.set_away(GUILD, ADA, TODAY + timedelta(days=5), "holiday")
    profile, was_away = await service.back(GUILD, ADA)
    assert was_away
    assert profile.away_until is None and profile.away_reason is None
    assert not (await service.get(GUILD, ADA)).is_away_on(TODAY)
    stored = (await rows(db))[0]
    assert stored.away_until is None and stored.away_reason is None
    # Back again: nothing to end.
    _, was_away = await service.back(GUILD, ADA)
    assert not was_away


async def test_back_after_the_period_ended_says_not_away(service: ProfileService, clock: FixedClock) -> None:
    await service.set_away(GUILD, ADA, TODAY + timedelta(days=1), None)
    clock.advance(timedelta(days=2))
    _, was_away = await service.back(GUILD, ADA)
    assert not was_away


# --- isolation and privacy -------------------------------------------------------------------------


async def test_profiles_are_per_guild(service: ProfileService, db: Database) -> None:
    await service.set_timezone(GUILD, ADA, "Europe/Berlin")
    await service.set_hours(GUILD, ADA, time(9, 0), time(17, 0))
    await service.set_about(GUILD, ADA, "SQL", "marketing")
    await service.set_away(GUILD, ADA, TODAY + timedelta(days=2), "trip")
    elsewhere = await service.get(OTHER_GUILD, ADA)
    assert elsewhere == ProfileView.default(OTHER_GUILD, ADA)
    await service.set_timezone(OTHER_GUILD, ADA, "Asia/Tokyo")
    assert (await service.get(GUILD, ADA)).timezone == "Europe/Berlin"
    assert (await service.get(OTHER_GUILD, ADA)).timezone == "Asia/Tokyo"
    assert [(r.guild_id, r.user_id) for r in await rows(db)] == [(GUILD, ADA), (OTHER_GUILD, ADA)]


async def test_export_member(service: ProfileService) -> None:
    assert (await service.export_member(GUILD, ADA))["profile"]["timezone"] is None
    await service.set_timezone(GUILD, ADA, "Europe/Berlin")
    await service.set_hours(GUILD, ADA, time(9, 0), time(17, 0))
    await service.set_about(GUILD, ADA, "SQL", "marketing")
    await service.set_leaderboard(GUILD, ADA, False)
    await service.set_away(GUILD, ADA, TODAY + timedelta(days=2), "trip")
    await service.set_timezone(OTHER_GUILD, ADA, "Asia/Tokyo")
    exported = await service.export_member(GUILD, ADA)
    assert exported == {
        "profile": {
            "timezone": "Europe/Berlin",
            "working_hours": "09:00–17:00",
            "offers": "SQL",
            "asks": "marketing",
            "leaderboard_visible": False,
            "standup_reminders": True,
            "away_until": "2026-11-28",
            "away_reason": "trip",
        }
    }


async def test_forget_member_deletes_only_that_member_in_that_guild(service: ProfileService, db: Database) -> None:
    await service.set_timezone(GUILD, ADA, "Europe/Berlin")
    await service.set_timezone(GUILD, BOB, "Europe/Paris")
    await service.set_timezone(OTHER_GUILD, ADA, "Asia/Tokyo")
    await service.forget_member(GUILD, ADA)
    assert [(r.guild_id, r.user_id) for r in await rows(db)] == [(GUILD, BOB), (OTHER_GUILD, ADA)]
    assert await service.get(GUILD, ADA) == ProfileView.default(GUILD, ADA)
    assert (await service.get(OTHER_GUILD, ADA)).timezone == "Asia/Tokyo"
    await service.forget_member(GUILD, ADA)  # forgetting twice is fine
    assert await row_count(db) == 2
