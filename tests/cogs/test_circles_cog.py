"""`/circle` callbacks with spec'd fake interactions: parsing, host checks, rendering, ephemeral errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.circles.activity import Activity
from bot.circles.models import Circle, CircleMember
from bot.client import CirclesBot
from bot.db import Database
from bot.scheduling import PlanScope
from cogs.circles._cog import CirclesCog
from cogs.circles._views import DeleteCircleButton
from tests.cogs.fakes import (
    GUILD,
    OTHER_GUILD,
    Reply,
    fake_interaction,
    fake_member,
    fake_role,
    fake_text_channel,
    fake_voice_channel,
    http_response,
    invoke,
    only_reply,
)

HOST_ROLE = 5001
MEMBER_ROLE = 5002


@pytest.fixture
def cog(bot: CirclesBot) -> CirclesCog:
    found = bot.get_cog("CirclesCog")
    assert isinstance(found, CirclesCog)
    return found


def host() -> discord.Member:
    return fake_member(1, name="Hana", manage_guild=True)


def member(user_id: int = 2) -> discord.Member:
    return fake_member(user_id, name="Milo")


async def circles(db: Database) -> list[Circle]:
    async with db.reader() as session:
        return list(await session.scalars(select(Circle).order_by(Circle.id)))


async def memberships(db: Database) -> list[tuple[int, int]]:
    async with db.reader() as session:
        result = await session.execute(select(CircleMember.circle_id, CircleMember.user_id))
        return sorted((c, u) for c, u in result.all())


async def create(bot: CirclesBot, cog: CirclesCog, user: discord.Member, name: str, **options: Any) -> Reply:
    options.setdefault("channel", fake_text_channel(10))
    return await invoke(bot, fake_interaction(bot, user), cog.create, name=name, **options)


def assert_safe(reply: Reply) -> None:
    assert reply.ephemeral, "replies that concern only the caller are ephemeral"
    assert reply.pings_nobody, "replies never ping"


# --- create ----------------------------------------------------------------------------------------


async def test_host_creates_a_circle(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    reply = await create(
        bot,
        cog,
        host(),
        "EU mornings",
        channel=fake_text_channel(10),
        voice=fake_voice_channel(20),
        role=fake_role(MEMBER_ROLE),
        host_role=fake_role(HOST_ROLE),
        timezone="europe/berlin",
    )
    assert_safe(reply)
    assert reply.content is not None
    assert "Circle **EU mornings** is ready" in reply.content
    assert "<#10>" in reply.content and "<#20>" in reply.content and "Europe/Berlin" in reply.content
    (row,) = await circles(database)
    assert (row.guild_id, row.name, row.channel_id, row.voice_channel_id) == (GUILD, "EU mornings", 10, 20)
    assert (row.role_id, row.host_role_id, row.timezone) == (MEMBER_ROLE, HOST_ROLE, "Europe/Berlin")


async def test_timezone_defaults_to_utc(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    assert_safe(await create(bot, cog, host(), "Writers"))
    (row,) = await circles(database)
    assert row.timezone == "UTC" and row.voice_channel_id is None and row.role_id is None


async def test_administrator_counts_as_host(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, fake_member(3, admin=True), "Admins")
    assert [c.name for c in await circles(database)] == ["Admins"]


async def test_non_host_cannot_create(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    reply = await create(bot, cog, member(), "Mine")
    assert_safe(reply)
    assert reply.content is not None and reply.content.startswith("Only hosts can create circles")
    assert await circles(database) == []


async def test_a_circles_host_role_may_create_more(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "First", host_role=fake_role(HOST_ROLE))
    role_host = fake_member(3, roles=[HOST_ROLE])
    reply = await create(bot, cog, role_host, "Second")
    assert reply.content is not None and "Circle **Second** is ready" in reply.content
    assert [c.name for c in await circles(database)] == ["First", "Second"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"name": "x" * 200}, "A circle name must be 1–50 characters (yours has 200)."),
        ({"name": "   "}, "A circle name must be 1–50 characters (yours has 0)."),
        ({"name": "Fine", "timezone": "Europe/Berln"}, "`Europe/Berln` is not a known timezone"),
        ({"name": "Fine", "timezone": "25:00"}, "Use an IANA name like `Europe/Berlin`"),
    ],
)
async def test_bad_input_is_refused_and_nothing_written(
    bot: CirclesBot, cog: CirclesCog, database: Database, options: dict[str, Any], expected: str
) -> None:
    reply = await create(bot, cog, host(), **options)
    assert_safe(reply)
    assert reply.content is not None and expected in reply.content
    assert "Something went wrong" not in reply.content
    assert await circles(database) == []


async def test_unknown_timezone_suggests_the_right_one(bot: CirclesBot, cog: CirclesCog) -> None:
    reply = await create(bot, cog, host(), "Berliners", timezone="Europe/Berln")
    assert reply.content is not None and "Did you mean" in reply.content and "`Europe/Berlin`" in reply.content


async def test_duplicate_name_is_refused(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers")
    reply = await create(bot, cog, host(), "  WRITERS ", channel=fake_text_channel(11))
    assert_safe(reply)
    assert reply.content == "There is already a circle called **WRITERS** here. Pick another name."
    assert [(c.name, c.channel_id) for c in await circles(database)] == [("Writers", 10)]


async def test_user_written_names_never_ping(bot: CirclesBot, cog: CirclesCog) -> None:
    reply = await create(bot, cog, host(), "@everyone <@&5002> club")
    assert reply.content is not None and "@everyone" in reply.content
    assert_safe(reply)


async def test_commands_refuse_direct_messages(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    interaction = fake_interaction(bot, host(), guild_id=None)
    reply = await invoke(bot, interaction, cog.create, name="DM circle", channel=fake_text_channel(10))
    assert_safe(reply)
    assert reply.content == "Cowork Circles works inside a server, not in DMs."
    assert await circles(database) == []


# --- edit ------------------------------------------------------------------------------------------


async def test_host_edits_and_schedules_follow_a_timezone_change(
    bot: CirclesBot, cog: CirclesCog, database: Database
) -> None:
    planned: list[PlanScope] = []

    async def planner(scope: PlanScope) -> None:
        planned.append(scope)

    bot.services.planners.add(planner)
    await create(bot, cog, host(), "Writers")
    (row,) = await circles(database)
    interaction = fake_interaction(bot, host())
    reply = await invoke(
        bot, interaction, cog.edit, circle=str(row.id), name="Night writers", voice=fake_voice_channel(21)
    )
    assert_safe(reply)
    assert reply.content is not None and reply.content.startswith("Saved. **Night writers**")
    assert planned == []  # nothing time-related moved
    reply = await invoke(bot, fake_interaction(bot, host()), cog.edit, circle="night writers", timezone="asia/tokyo")
    assert reply.content is not None and "Asia/Tokyo" in reply.content
    (row,) = await circles(database)
    assert (row.name, row.voice_channel_id, row.timezone) == ("Night writers", 21, "Asia/Tokyo")
    (scope,) = planned
    assert scope.circle_id == row.id and scope.covers(GUILD, row.id)


async def test_circle_host_role_may_edit(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers", host_role=fake_role(HOST_ROLE))
    (row,) = await circles(database)
    reply = await invoke(
        bot, fake_interaction(bot, fake_member(3, roles=[HOST_ROLE])), cog.edit, circle=str(row.id), name="Poets"
    )
    assert reply.content is not None and "Poets" in reply.content
    assert [c.name for c in await circles(database)] == ["Poets"]


async def test_non_host_cannot_edit(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers", host_role=fake_role(HOST_ROLE))
    (row,) = await circles(database)
    outsider = fake_member(2, roles=[MEMBER_ROLE])
    reply = await invoke(bot, fake_interaction(bot, outsider), cog.edit, circle=str(row.id), name="Hijacked")
    assert_safe(reply)
    assert reply.content == f"Only hosts of **Writers** can do that (Manage Server or the <@&{HOST_ROLE}> role)."
    assert [c.name for c in await circles(database)] == ["Writers"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"name": "y" * 200}, "1–50 characters"),
        ({"timezone": "Europe/Berln"}, "Did you mean"),
        ({"name": "Other"}, "There is already a circle called **Other** here"),
        ({}, "Nothing to change"),
    ],
)
async def test_bad_edits_change_nothing(
    bot: CirclesBot, cog: CirclesCog, database: Database, options: dict[str, Any], expected: str
) -> None:
    await create(bot, cog, host(), "Writers")
    await create(bot, cog, host(), "Other", channel=fake_text_channel(11))
    before = [(c.name, c.timezone) for c in await circles(database)]
    reply = await invoke(bot, fake_interaction(bot, host()), cog.edit, circle="writers", **options)
    assert_safe(reply)
    assert reply.content is not None and expected in reply.content
    assert [(c.name, c.timezone) for c in await circles(database)] == before


async def test_unknown_or_foreign_circle_is_not_found(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers")
    (row,) = await circles(database)
    reply = await invoke(bot, fake_interaction(bot, host()), cog.edit, circle="Painters", name="x")
    assert reply.content == "No circle called `Painters` here. `/circle list` shows them all."
    # Another guild's host cannot reach this guild's circle, even by its id.
    foreign = fake_interaction(bot, host(), guild_id=OTHER_GUILD)
    reply = await invoke(bot, foreign, cog.edit, circle=str(row.id), name="Stolen")
    assert_safe(reply)
    assert reply.content is not None and reply.content.startswith("This server has no circles yet")
    assert [c.name for c in await circles(database)] == ["Writers"]


# --- delete ----------------------------------------------------------------------------------------


async def _delete_prompt(bot: CirclesBot, cog: CirclesCog, user: discord.Member, circle: str) -> Reply:
    return await invoke(bot, fake_interaction(bot, user), cog.delete, circle=circle)


async def test_delete_asks_for_confirmation_first(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers")
    (row,) = await circles(database)
    reply = await _delete_prompt(bot, cog, host(), "Writers")
    assert_safe(reply)
    assert reply.content is not None and reply.content.startswith("Delete **Writers**?")
    assert reply.view is not None
    buttons = [item for item in reply.view.children if isinstance(item, DeleteCircleButton)]
    assert [(b.circle_id, b.confirm) for b in buttons] == [(row.id, True), (row.id, False)]
    assert [b.item.custom_id for b in buttons] == [f"circle-delete:{row.id}:1", f"circle-delete:{row.id}:0"]
    assert reply.view.timeout is None  # persistent: survives a restart
    assert len(await circles(database)) == 1  # nothing deleted until the click


async def test_non_host_cannot_even_ask_to_delete(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers")
    reply = await _delete_prompt(bot, cog, member(), "Writers")
    assert_safe(reply)
    assert reply.content is not None and reply.content.startswith("Only hosts of **Writers** can do that")
    assert reply.view is None
    assert len(await circles(database)) == 1


async def test_confirm_button_deletes_circle_and_memberships(
    bot: CirclesBot, cog: CirclesCog, database: Database
) -> None:
    planned: list[PlanScope] = []

    async def planner(scope: PlanScope) -> None:
        planned.append(scope)

    bot.services.planners.add(planner)
    await create(bot, cog, host(), "Writers")
    (row,) = await circles(database)
    await invoke(bot, fake_interaction(bot, member()), cog.join, circle="Writers")
    click = fake_interaction(bot, host())
    await DeleteCircleButton(row.id, confirm=True).callback(click)
    click.response.edit_message.assert_awaited_once()  # type: ignore[attr-defined]
    content = click.response.edit_message.call_args.kwargs["content"]  # type: ignore[attr-defined]
    assert content.startswith("Circle **Writers** was deleted.")
    assert click.response.edit_message.call_args.kwargs["view"] is None  # type: ignore[attr-defined]
    assert await circles(database) == [] and await memberships(database) == []
    assert [s.circle_id for s in planned] == [row.id]  # its schedules are re-planned away


async def test_keep_button_deletes_nothing(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers")
    (row,) = await circles(database)
    click = fake_interaction(bot, host())
    await DeleteCircleButton(row.id, confirm=False).callback(click)
    click.response.edit_message.assert_awaited_once_with(  # type: ignore[attr-defined]
        content="Nothing was deleted.", view=None
    )
    assert len(await circles(database)) == 1


async def test_confirm_button_rechecks_the_host_on_click(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers")
    (row,) = await circles(database)
    # The prompt was shown to a host; someone else presses the button.
    click = fake_interaction(bot, member())
    await DeleteCircleButton(row.id, confirm=True).callback(click)
    reply = only_reply(click)
    assert_safe(reply)
    assert reply.content is not None and reply.content.startswith("Only hosts of **Writers** can do that")
    click.response.edit_message.assert_not_awaited()  # type: ignore[attr-defined]
    assert len(await circles(database)) == 1


async def test_confirm_button_for_a_circle_already_gone(bot: CirclesBot, cog: CirclesCog) -> None:
    click = fake_interaction(bot, host())
    await DeleteCircleButton(424242, confirm=True).callback(click)
    reply = only_reply(click)
    assert_safe(reply)
    assert reply.content is not None and reply.content.startswith("That circle does not exist (any more)")


async def test_delete_button_custom_id_round_trips(bot: CirclesBot) -> None:
    button = DeleteCircleButton(77, confirm=True)
    match = DeleteCircleButton.__discord_ui_compiled_template__.fullmatch(button.item.custom_id or "")
    assert match is not None
    interaction = fake_interaction(bot, host())
    rebuilt = await DeleteCircleButton.from_custom_id(interaction, button.item, match)
    assert (rebuilt.circle_id, rebuilt.confirm) == (77, True)
    assert DeleteCircleButton.__discord_ui_compiled_template__.fullmatch("circle-delete:77:2") is None


# --- join and leave --------------------------------------------------------------------------------


async def test_join_and_leave_grant_and_remove_the_role(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers", role=fake_role(MEMBER_ROLE))
    (row,) = await circles(database)
    milo = member()
    reply = await invoke(bot, fake_interaction(bot, milo), cog.join, circle=str(row.id))
    assert_safe(reply)
    assert reply.content == "Welcome to **Writers**! Its home is <#10>."
    assert await memberships(database) == [(row.id, 2)]
    milo.add_roles.assert_awaited_once()  # type: ignore[attr-defined]
    (granted,) = milo.add_roles.call_args.args  # type: ignore[attr-defined]
    assert granted.id == MEMBER_ROLE

    reply = await invoke(bot, fake_interaction(bot, milo), cog.join, circle="writers")
    assert reply.content == "You're already in **Writers**."
    milo.add_roles.assert_awaited_once()  # type: ignore[attr-defined]  # not granted twice

    reply = await invoke(bot, fake_interaction(bot, milo), cog.leave, circle="Writers")
    assert_safe(reply)
    assert reply.content == "You left **Writers**. You're welcome back any time."
    assert await memberships(database) == []
    (removed,) = milo.remove_roles.call_args.args  # type: ignore[attr-defined]
    assert removed.id == MEMBER_ROLE

    reply = await invoke(bot, fake_interaction(bot, milo), cog.leave, circle="Writers")
    assert reply.content == "You're not in **Writers**."


async def test_join_without_a_role_touches_no_roles(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers")
    milo = member()
    await invoke(bot, fake_interaction(bot, milo), cog.join, circle="Writers")
    milo.add_roles.assert_not_awaited()  # type: ignore[attr-defined]
    assert len(await memberships(database)) == 1


async def test_join_still_counts_when_discord_refuses_the_role(
    bot: CirclesBot, cog: CirclesCog, database: Database
) -> None:
    await create(bot, cog, host(), "Writers", role=fake_role(MEMBER_ROLE))
    milo = member()
    milo.add_roles.side_effect = discord.Forbidden(http_response(403), "Missing Permissions")  # type: ignore[attr-defined]
    reply = await invoke(bot, fake_interaction(bot, milo), cog.join, circle="Writers")
    assert reply.content is not None and reply.content.startswith("Welcome to **Writers**!")
    assert "Manage Roles" in reply.content
    assert len(await memberships(database)) == 1


async def test_the_only_circle_is_found_by_name_or_id_and_several_need_a_pick(
    bot: CirclesBot, cog: CirclesCog, database: Database
) -> None:
    reply = await invoke(bot, fake_interaction(bot, member()), cog.join, circle="Writers")
    assert reply.content == "This server has no circles yet. A host can make one with `/circle create`."
    await create(bot, cog, host(), "Writers")
    await create(bot, cog, host(), "Painters", channel=fake_text_channel(11))
    reply = await invoke(bot, fake_interaction(bot, member()), cog.join, circle="painters")
    assert reply.content is not None and "Painters" in reply.content
    reply = await invoke(bot, fake_interaction(bot, member(3)), cog.join, circle=" ")
    assert reply.content == "This server has several circles: pick one in the `circle` option."
    assert len(await memberships(database)) == 1


async def test_circle_may_be_omitted_when_there_is_only_one(
    bot: CirclesBot, cog: CirclesCog, database: Database
) -> None:
    await create(bot, cog, host(), "Writers")
    reply = await invoke(bot, fake_interaction(bot, member()), cog.join)
    assert reply.content == "Welcome to **Writers**! Its home is <#10>."
    reply = await invoke(bot, fake_interaction(bot, member()), cog.info)
    assert reply.embed is not None and reply.embed.title == "Writers"
    await create(bot, cog, host(), "Painters", channel=fake_text_channel(11))
    reply = await invoke(bot, fake_interaction(bot, member(3)), cog.join)
    assert reply.content == "This server has several circles: pick one in the `circle` option."
    assert [user for _, user in await memberships(database)] == [2]


# --- list and info ---------------------------------------------------------------------------------


async def test_list(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    reply = await invoke(bot, fake_interaction(bot, member()), cog.list_circles)
    assert_safe(reply)
    assert reply.embed is not None and reply.embed.description is not None
    assert reply.embed.description.startswith("No circles yet")

    await create(bot, cog, host(), "Writers", voice=fake_voice_channel(20), timezone="Europe/Berlin")
    await create(bot, cog, host(), "Painters", channel=fake_text_channel(11))
    for user_id in (2, 3):
        await invoke(bot, fake_interaction(bot, member(user_id)), cog.join, circle="Writers")
    await create(bot, cog, fake_member(9, manage_guild=True), "Elsewhere", channel=fake_text_channel(12))
    # ^ same guild; another guild's circles must not show:
    await invoke(
        bot,
        fake_interaction(bot, fake_member(8, manage_guild=True), guild_id=OTHER_GUILD),
        cog.create,
        name="Secret",
        channel=fake_text_channel(13),
    )

    reply = await invoke(bot, fake_interaction(bot, member()), cog.list_circles)
    assert_safe(reply)
    assert reply.embed is not None
    fields = {f.name: f.value for f in reply.embed.fields}
    assert list(fields) == ["Elsewhere", "Painters", "Writers"]
    assert fields["Writers"] == "2 members · home <#10> · focus room <#20> · Europe/Berlin"
    assert str(fields["Painters"]).startswith("0 members · home <#11>")


async def test_info_shows_members_and_what_runs(bot: CirclesBot, cog: CirclesCog, database: Database) -> None:
    await create(bot, cog, host(), "Writers", role=fake_role(MEMBER_ROLE), host_role=fake_role(HOST_ROLE))
    (row,) = await circles(database)
    await invoke(bot, fake_interaction(bot, member(2)), cog.join, circle="Writers")
    await invoke(bot, fake_interaction(bot, member(3)), cog.join, circle="Writers")
    next_at = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

    async def source(circle_ids: list[int]) -> dict[int, list[Activity]]:
        return {cid: [Activity("Standup mon-fri 09:00 (UTC)", next_at=next_at)] for cid in circle_ids}

    bot.services.activity_sources.append(source)
    reply = await invoke(bot, fake_interaction(bot, member(2)), cog.info, circle=str(row.id))
    assert_safe(reply)
    embed = reply.embed
    assert embed is not None and embed.title == "Writers"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Members (2)"] == "<@2> <@3>"
    assert fields["Member role"] == f"<@&{MEMBER_ROLE}>" and fields["Host role"] == f"<@&{HOST_ROLE}>"
    assert fields["What runs here"] == f"Standup mon-fri 09:00 (UTC) — next <t:{int(next_at.timestamp())}:R>"


async def test_info_of_an_empty_circle(bot: CirclesBot, cog: CirclesCog) -> None:
    await create(bot, cog, host(), "Writers")
    reply = await invoke(bot, fake_interaction(bot, member()), cog.info, circle="Writers")
    assert reply.embed is not None
    fields = {f.name: f.value for f in reply.embed.fields}
    assert fields == {"What runs here": "Nothing scheduled yet.", "Members (0)": "Nobody yet."}


# --- autocomplete ----------------------------------------------------------------------------------


async def test_circle_autocomplete_offers_this_guilds_circles_by_id(
    bot: CirclesBot, cog: CirclesCog, database: Database
) -> None:
    from cogs._common.circle_option import complete_circle, complete_timezone

    await create(bot, cog, host(), "Writers")
    await create(bot, cog, host(), "Painters", channel=fake_text_channel(11))
    await invoke(
        bot,
        fake_interaction(bot, fake_member(8, manage_guild=True), guild_id=OTHER_GUILD),
        cog.create,
        name="Writers' guild",
        channel=fake_text_channel(13),
    )
    ids = {c.name: c.id for c in await circles(database) if c.guild_id == GUILD}
    choices = await complete_circle(fake_interaction(bot, member()), "rit")
    assert [(c.name, c.value) for c in choices] == [("Writers", str(ids["Writers"]))]
    assert await complete_circle(fake_interaction(bot, member(), guild_id=None), "") == []
    zones = await complete_timezone(fake_interaction(bot, member()), "berlin")
    assert zones[0].value == "Europe/Berlin" and len(zones) <= 25
