"""The one error path (ARCHITECTURE rule 5): bot.client.report_error and the tree's on_error."""

from __future__ import annotations

import logging
import re

import discord
import pytest
from discord import app_commands
from discord.app_commands.transformers import IdentityTransformer

from bot.client import CirclesBot, report_error
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound, UserError
from cogs.circles._cog import CirclesCog
from tests.cogs.fakes import GUILD, fake_interaction, fake_member, http_response, only_reply, replies

REF = re.compile(r"^Something went wrong on my side \(ref `([0-9a-f]{8})`\)\. Nothing was changed; please try again\.$")


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("error_type", [UserError, InvalidInput, NotFound, Forbidden, Conflict])
async def test_user_errors_become_their_message(
    bot: CirclesBot, caplog: pytest.LogCaptureFixture, error_type: type[UserError]
) -> None:
    interaction = fake_interaction(bot, fake_member(1))
    with caplog.at_level(logging.INFO):
        await report_error(interaction, error_type("That name is taken. Pick another one."))
    reply = only_reply(interaction)
    assert reply.content == "That name is taken. Pick another one."
    assert reply.ephemeral and reply.pings_nobody
    assert _errors(caplog) == []  # the user's mistake is not a bug


async def test_user_error_wrapped_by_discord_py_is_unwrapped(bot: CirclesBot) -> None:
    cog = bot.get_cog("CirclesCog")
    assert isinstance(cog, CirclesCog)
    interaction = fake_interaction(bot, fake_member(1))
    await report_error(interaction, app_commands.CommandInvokeError(cog.create, InvalidInput("`25:00` is not a time.")))
    assert only_reply(interaction).content == "`25:00` is not a time."


async def test_unexpected_error_gets_a_reference_and_is_logged_once(
    bot: CirclesBot, caplog: pytest.LogCaptureFixture
) -> None:
    cog = bot.get_cog("CirclesCog")
    assert isinstance(cog, CirclesCog)
    interaction = fake_interaction(bot, fake_member(1), command=cog.create)
    try:
        raise ZeroDivisionError("division by zero in the service")
    except ZeroDivisionError as exc:
        original = exc
    with caplog.at_level(logging.INFO):
        await report_error(interaction, app_commands.CommandInvokeError(cog.create, original))
    reply = only_reply(interaction)
    assert reply.ephemeral and reply.pings_nobody
    assert reply.content is not None
    match = REF.match(reply.content)
    assert match is not None, reply.content
    (record,) = _errors(caplog)
    assert record.name == "bot.client"
    assert match.group(1) in record.getMessage() and "circle create" in record.getMessage()
    # The traceback logged is the original error's, not discord.py's wrapper.
    assert record.exc_info is not None and record.exc_info[1] is original
    # Internal details never reach the user.
    assert "division" not in reply.content


async def test_each_unexpected_error_gets_its_own_reference(bot: CirclesBot) -> None:
    refs = set()
    for _ in range(3):
        interaction = fake_interaction(bot, fake_member(1))
        await report_error(interaction, RuntimeError("boom"))
        content = only_reply(interaction).content
        assert content is not None
        match = REF.match(content)
        assert match is not None
        refs.add(match.group(1))
    assert len(refs) == 3


async def test_after_a_deferral_the_error_is_a_follow_up(bot: CirclesBot) -> None:
    interaction = fake_interaction(bot, fake_member(1))
    await interaction.response.defer(ephemeral=True)
    await report_error(interaction, NotFound("No circle called `x` here."))
    interaction.response.send_message.assert_not_awaited()  # type: ignore[attr-defined]
    (reply,) = replies(interaction)
    assert reply.content == "No circle called `x` here."
    assert reply.ephemeral and reply.pings_nobody


async def test_a_failed_delivery_is_logged_not_raised(bot: CirclesBot, caplog: pytest.LogCaptureFixture) -> None:
    interaction = fake_interaction(bot, fake_member(1))
    interaction.response.send_message.side_effect = discord.NotFound(  # type: ignore[attr-defined]
        http_response(404, "Not Found"), "Unknown interaction"
    )
    with caplog.at_level(logging.WARNING, logger="bot.client"):
        await report_error(interaction, InvalidInput("bad"))
    assert [r.getMessage() for r in caplog.records if r.name == "bot.client"] == [
        f"could not deliver an error message for interaction {interaction.id}"
    ]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (app_commands.NoPrivateMessage(), "Cowork Circles works inside a server, not in DMs."),
        (app_commands.MissingPermissions(["manage_guild"]), "You need the Manage Server permission for that."),
        (app_commands.CheckFailure(), "You can't use that command here."),
        (
            app_commands.CommandOnCooldown(app_commands.Cooldown(1, 10), 4.2),
            "Slow down a little: try again in 4 s.",
        ),
        (
            app_commands.TransformerError(
                "#gone", discord.AppCommandOptionType.channel, IdentityTransformer(discord.AppCommandOptionType.channel)
            ),
            "`#gone` is not a valid channel here.",
        ),
        (
            discord.Forbidden(http_response(403), "Missing Permissions"),
            "I'm missing a permission for that. A host can re-invite me with `python -m bot invite-url`.",
        ),
    ],
)
async def test_discord_py_errors_become_clear_messages(
    bot: CirclesBot, caplog: pytest.LogCaptureFixture, error: Exception, expected: str
) -> None:
    interaction = fake_interaction(bot, fake_member(1))
    with caplog.at_level(logging.INFO):
        await bot.tree.on_error(interaction, error)  # type: ignore[arg-type]
    reply = only_reply(interaction)
    assert reply.content == expected
    assert reply.ephemeral and reply.pings_nobody
    assert _errors(caplog) == []


async def test_interaction_check_sets_log_context_and_refuses_dms(bot: CirclesBot) -> None:
    from bot import logs

    cog = bot.get_cog("CirclesCog")
    assert isinstance(cog, CirclesCog)
    interaction = fake_interaction(bot, fake_member(7), command=cog.join)
    assert await bot.tree.interaction_check(interaction)
    assert logs.log_context.get() == {
        "guild": interaction.guild_id,
        "user": 7,
        "command": "circle join",
        "interaction": interaction.id,
    }
    assert replies(interaction) == []

    dm = fake_interaction(bot, fake_member(7), guild_id=None)
    assert not await bot.tree.interaction_check(dm)
    reply = only_reply(dm)
    assert reply.content == "Cowork Circles works inside a server, not in DMs."
    assert reply.ephemeral and reply.pings_nobody


async def test_an_error_in_a_button_logs_guild_user_and_custom_id(
    bot: CirclesBot, caplog: pytest.LogCaptureFixture
) -> None:
    from bot import logs
    from cogs._common.interactions import routes_errors

    interaction = fake_interaction(bot, fake_member(7))
    interaction.type = discord.InteractionType.component
    interaction.data = {"custom_id": "standup-post:42", "component_type": 2}
    seen: list[dict[str, object] | None] = []

    class Button:
        @routes_errors
        async def callback(self, interaction: discord.Interaction[CirclesBot]) -> None:
            seen.append(logs.log_context.get())
            raise ZeroDivisionError("a bug in a view")

    logger = logging.getLogger("bot.client")
    context_filter = logs.ContextFilter()
    logger.addFilter(context_filter)
    try:
        with caplog.at_level(logging.ERROR):
            await Button().callback(interaction)
    finally:
        logger.removeFilter(context_filter)
    assert seen == [{"guild": GUILD, "user": 7, "custom_id": "standup-post:42", "interaction": interaction.id}]
    (record,) = _errors(caplog)
    assert "component" in record.getMessage()
    assert (
        getattr(record, "context", "") == f"guild={GUILD} user=7 custom_id=standup-post:42 interaction={interaction.id}"
    )
    reply = only_reply(interaction)  # the member still gets the "Something went wrong (ref …)" reply
    assert reply.ephemeral and reply.content is not None and REF.match(reply.content)
