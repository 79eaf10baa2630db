"""`/privacy export` and `/privacy forget` on a real database, through the member-data registry.

Export, forget, export again: the second export is empty. Another member's rows and the same member's
rows in another guild are counted before and after, table by table, and are unchanged.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.actors import Actor
from bot.clock import FixedClock
from bot.db import Database
from bot.db.claims import OccurrenceStatus
from bot.db.models import metadata
from bot.focus.models import Sprint, SprintParticipant, VoiceSession
from bot.pairing.models import Goal, GoalStatus, PairAvoid, PairPoolEntry
from bot.privacy import service as privacy_service
from bot.scheduling import FakeScheduler
from bot.services import Services
from bot.standups.models import StandupAnswer, StandupOccurrence

GUILD, OTHER_GUILD = 500, 600
ALICE, BOB = 11, 12
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.fixture
async def services(db: Database) -> AsyncIterator[Services]:
    built = Services.build(db, FixedClock(NOW), FakeScheduler())
    await built.liveness.start()
    yield built
    await built.liveness.stop()


async def populate(s: Services, guild: int, user: int, other: int) -> None:
    """A member's data in every feature: membership, profile, a standup answer, voice, a sprint, pairing, goals."""
    circle = await s.circles.create(
        Actor(guild, 1, manages_guild=True),
        name=f"Circle {user}",
        channel_id=guild + user,
        voice_channel_id=guild + user + 1,
    )
    await s.circles.join(guild, user, circle.id)
    await s.profiles.set_timezone(guild, user, "Europe/Berlin")
    await s.profiles.set_about(guild, user, "design reviews", "a second pair of eyes")
    async with s.db.transaction() as session:
        occurrence = StandupOccurrence(
            circle_id=circle.id,
            guild_id=guild,
            local_date=date(2026, 11, 26) - timedelta(days=user % 3),
            opens_at=NOW - timedelta(hours=6),
            closes_at=NOW + timedelta(hours=2),
            questions=["Done?", "Today?", "Blockers?"],
            channel_id=guild + user,
            thread_id=guild + user + 5,
            excused=[],
            status=OccurrenceStatus.OPEN,
            claimed_at=NOW,
        )
        session.add(occurrence)
        await session.flush()
        session.add(
            StandupAnswer(
                occurrence_id=occurrence.id,
                circle_id=circle.id,
                guild_id=guild,
                user_id=user,
                answers=["a", "b", "none"],
                message_id=guild * 1000 + user,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(
            VoiceSession(
                guild_id=guild,
                user_id=user,
                circle_id=circle.id,
                channel_id=1,
                started_at=NOW,
                ended_at=NOW + timedelta(hours=1),
            )
        )
        sprint = Sprint(
            guild_id=guild,
            circle_id=circle.id,
            circle_name=circle.name,
            channel_id=guild + user,
            voice_channel_id=1,
            starter_user_id=user,
            started_at=NOW,
            focus_minutes=25,
            break_minutes=5,
            rounds=1,
            status="ended",
            ended_at=NOW + timedelta(minutes=25),
        )
        session.add(sprint)
        await session.flush()
        session.add(
            SprintParticipant(
                sprint_id=sprint.id, user_id=user, guild_id=guild, tag="acme", joined_at=NOW, focus_minutes=25
            )
        )
        session.add(PairPoolEntry(circle_id=circle.id, user_id=user, guild_id=guild, joined_at=NOW))
        session.add(PairAvoid(guild_id=guild, user_id=user, avoided_user_id=other, created_at=NOW))
        session.add(
            Goal(guild_id=guild, user_id=user, text="ship", status=GoalStatus.DONE, created_at=NOW, closed_at=NOW)
        )


async def counts(db: Database, guild: int, user: int) -> dict[str, int]:
    """Rows naming (guild, user) in every table that has both columns."""
    out: dict[str, int] = {}
    async with db.reader() as session:
        for table in metadata.sorted_tables:
            if "guild_id" in table.c and "user_id" in table.c:
                query = (
                    select(func.count()).select_from(table).where(table.c.guild_id == guild, table.c.user_id == user)
                )
                out[table.name] = int(await session.scalar(query) or 0)
    return out


def filled(value: Any) -> list[Any]:
    """Every non-empty leaf of an export (an empty export has none)."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in filled(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in filled(v)]
    return [] if value in (None, "", False) else [value]


async def test_export_forget_export_is_empty_and_nobody_elses_rows_change(services: Services, db: Database) -> None:
    await populate(services, GUILD, ALICE, BOB)
    await populate(services, GUILD, BOB, ALICE)
    await populate(services, OTHER_GUILD, ALICE, BOB)
    bob_before, elsewhere_before = await counts(db, GUILD, BOB), await counts(db, OTHER_GUILD, ALICE)
    alice_before = await counts(db, GUILD, ALICE)
    assert sum(alice_before.values()) >= 7 and sum(bob_before.values()) >= 7

    export = await services.privacy.export(GUILD, ALICE)
    assert export.filename.endswith(".json") and not export.compressed
    document = json.loads(export.data)
    assert document["user_id"] == str(ALICE) and document["guild_id"] == str(GUILD)
    assert set(document["data"]) == {entry.name for entry in services.member_data.entries}
    text = json.dumps(document)
    assert "design reviews" in text and "acme" in text and "ship" in text
    assert str(BOB) in json.dumps(document["data"]["pairing"])  # her own avoid list is hers to see

    forgotten = await services.privacy.forget(GUILD, ALICE)
    assert (GUILD + ALICE + 5, GUILD * 1000 + ALICE) in forgotten.messages  # her answer's message, to delete
    again = json.loads((await services.privacy.export(GUILD, ALICE)).data)
    stranger = json.loads((await services.privacy.export(GUILD, 999)).data)
    # Nothing left but defaults: the same as for someone the bot never met (settings like
    # "reminders on" are defaults, not data), and no row anywhere.
    assert again["data"] == stranger["data"]
    assert filled(again["data"]) == [True, True]  # leaderboard_visible, standup_reminders: the defaults
    assert sum((await counts(db, GUILD, ALICE)).values()) == 0
    assert await counts(db, GUILD, BOB) == bob_before
    assert await counts(db, OTHER_GUILD, ALICE) == elsewhere_before


async def test_an_export_over_the_attachment_limit_is_compressed(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await populate(services, GUILD, ALICE, BOB)
    monkeypatch.setattr(privacy_service, "ATTACHMENT_LIMIT", 200)
    export = await services.privacy.export(GUILD, ALICE)
    assert export.compressed and export.filename.endswith(".json.gz")
    assert json.loads(gzip.decompress(export.data))["user_id"] == str(ALICE)
