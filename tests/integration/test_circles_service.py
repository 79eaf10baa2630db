from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.actors import Actor
from bot.circles.models import Circle, CircleMember
from bot.circles.service import CircleService
from bot.clock import FixedClock
from bot.db import Database
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound

GUILD = 111
OTHER_GUILD = 222
HOST = Actor(GUILD, 1, manages_guild=True)
MEMBER = Actor(GUILD, 2)


async def count(db: Database, model: type[Circle] | type[CircleMember]) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_create_and_list(db: Database, clock: FixedClock) -> None:
    service = CircleService(db, clock)
    circle = await service.create(HOST, name="  EU   mornings ", channel_id=10, timezone="europe/berlin")
    assert circle.name == "EU mornings"
    assert circle.timezone == "Europe/Berlin"
    await service.join(GUILD, 5, circle.id)
    await service.join(GUILD, 6, circle.id)
    summaries = await service.summaries(GUILD)
    assert [(s.circle.name, s.member_count) for s in summaries] == [("EU mornings", 2)]
    assert await service.summaries(OTHER_GUILD) == []


async def test_names_are_unique_per_guild_case_insensitively(db: Database, clock: FixedClock) -> None:
    service = CircleService(db, clock)
    await service.create(HOST, name="Writers", channel_id=10)
    with pytest.raises(Conflict, match="already a circle called"):
        await service.create(HOST, name="WRITERS", channel_id=11)
    # The same name is fine in another guild.
    await service.create(Actor(OTHER_GUILD, 1, manages_guild=True), name="Writers", channel_id=12)
    assert await count(db, Circle) == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 51, "y" * 200])
async def test_bad_names_write_nothing(db: Database, clock: FixedClock, name: str) -> None:
    with pytest.raises(InvalidInput, match="1–50 characters"):
        await CircleService(db, clock).create(HOST, name=name, channel_id=10)
    assert await count(db, Circle) == 0


async def test_unknown_timezone_writes_nothing(db: Database, clock: FixedClock) -> None:
    with pytest.raises(InvalidInput, match="Europe/Berlin"):
        await CircleService(db, clock).create(HOST, name="A", channel_id=10, timezone="Europe/Berln")
    assert await count(db, Circle) == 0


async def test_non_host_is_refused_everything_host_only(db: Database, clock: FixedClock) -> None:
    service = CircleService(db, clock)
    with pytest.raises(Forbidden):
        await service.create(MEMBER, name="A", channel_id=10)
    circle = await service.create(HOST, name="A", channel_id=10, host_role_id=77)
    with pytest.raises(Forbidden):
        await service.edit(MEMBER, circle.id, name="B")
    with pytest.raises(Forbidden):
        await service.delete(MEMBER, circle.id)
    assert (await service.get(GUILD, circle.id)).name == "A"
    # The circle's host role makes a host of this circle, and may create further circles.
    role_host = Actor(GUILD, 3, role_ids=frozenset({77}))
    edit = await service.edit(role_host, circle.id, name="B", timezone="Asia/Tokyo")
    assert edit.after.name == "B" and edit.timezone_changed
    await service.create(role_host, name="C", channel_id=11)


async def test_edit_rename_to_taken_name_conflicts(db: Database, clock: FixedClock) -> None:
    service = CircleService(db, clock)
    await service.create(HOST, name="A", channel_id=10)
    b = await service.create(HOST, name="B", channel_id=11)
    with pytest.raises(Conflict):
        await service.edit(HOST, b.id, name="a")
    # Renaming to itself with a different case is allowed.
    assert (await service.edit(HOST, b.id, name="b")).after.name == "b"
    with pytest.raises(InvalidInput, match="Nothing to change"):
        await service.edit(HOST, b.id)


async def test_delete_cascades_memberships(db: Database, clock: FixedClock) -> None:
    service = CircleService(db, clock)
    circle = await service.create(HOST, name="A", channel_id=10)
    await service.join(GUILD, 5, circle.id)
    await service.delete(HOST, circle.id)
    assert await count(db, Circle) == 0
    assert await count(db, CircleMember) == 0


async def test_join_leave_idempotent(db: Database, clock: FixedClock) -> None:
    service = CircleService(db, clock)
    circle = await service.create(HOST, name="A", channel_id=10)
    assert (await service.join(GUILD, 5, circle.id)).changed
    assert not (await service.join(GUILD, 5, circle.id)).changed
    assert [c.name for c in await service.circles_of(GUILD, 5)] == ["A"]
    assert (await service.leave(GUILD, 5, circle.id)).changed
    assert not (await service.leave(GUILD, 5, circle.id)).changed
    assert await service.member_ids(GUILD, circle.id) == []


async def test_guild_isolation(db: Database, clock: FixedClock) -> None:
    service = CircleService(db, clock)
    circle = await service.create(HOST, name="A", channel_id=10)
    intruder = Actor(OTHER_GUILD, 9, manages_guild=True)
    with pytest.raises(NotFound):
        await service.get(OTHER_GUILD, circle.id)
    with pytest.raises(NotFound):
        await service.edit(intruder, circle.id, name="mine")
    with pytest.raises(NotFound):
        await service.delete(intruder, circle.id)
    with pytest.raises(NotFound):
        await service.join(OTHER_GUILD, 9, circle.id)
    with pytest.raises(NotFound):
        await service.resolve(OTHER_GUILD, str(circle.id))
    assert await service.autocomplete(OTHER_GUILD, "") == []


async def test_resolve(db: Database, clock: FixedClock) -> None:
    service = CircleService(db, clock)
    with pytest.raises(NotFound, match="no circles yet"):
        await service.resolve(GUILD, None)
    a = await service.create(HOST, name="Alpha", channel_id=10)
    assert (await service.resolve(GUILD, None)).id == a.id  # the only circle may be omitted
    b = await service.create(HOST, name="Beta", channel_id=11)
    with pytest.raises(InvalidInput, match="several circles"):
        await service.resolve(GUILD, None)
    assert (await service.resolve(GUILD, str(b.id))).id == b.id
    assert (await service.resolve(GUILD, "beta")).id == b.id
    assert [c.name for c in await service.autocomplete(GUILD, "ph")] == ["Alpha"]


async def test_export_and_forget(db: Database, clock: FixedClock) -> None:
    service = CircleService(db, clock)
    circle = await service.create(HOST, name="A", channel_id=10)
    await service.join(GUILD, 5, circle.id)
    exported = await service.export_member(GUILD, 5)
    assert exported["circles"][0]["circle"] == "A"
    await service.forget_member(GUILD, 5)
    assert await service.member_ids(GUILD, circle.id) == []
