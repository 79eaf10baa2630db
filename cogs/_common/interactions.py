"""Turning a discord Interaction into plain values, and answering it safely."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

import discord

from bot import logs
from bot.actors import Actor

if TYPE_CHECKING:
    from bot.client import CirclesBot

    Interaction = discord.Interaction[CirclesBot]
else:
    Interaction = discord.Interaction


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """The caller's guild, roles and whether they manage the server, read from the interaction itself."""
    member = interaction.user
    roles: frozenset[int] = frozenset()
    manages = False
    if isinstance(member, discord.Member):
        roles = frozenset(role.id for role in member.roles)
        perms = member.guild_permissions
        manages = perms.manage_guild or perms.administrator
    return Actor(guild_id=interaction.guild_id or 0, user_id=interaction.user.id, role_ids=roles, manages_guild=manages)


def mentions_only(user_ids: Iterable[int]) -> discord.AllowedMentions:
    """Allowed mentions that ping exactly these users: never roles, @everyone or @here."""
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(uid) for uid in user_ids]
    )


async def reply(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    file: discord.File | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer (or follow up after a deferral). Replies never ping: user text is never a mention."""
    kwargs: dict[str, Any] = {"ephemeral": ephemeral, "allowed_mentions": discord.AllowedMentions.none()}
    if embed is not None:
        kwargs["embed"] = embed
    if file is not None:
        kwargs["file"] = file
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(content or discord.utils.MISSING, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)


Callback = Callable[[Any, discord.Interaction[Any]], Coroutine[Any, Any, None]]


@contextlib.asynccontextmanager
async def component_errors(interaction: discord.Interaction[Any]) -> AsyncIterator[None]:
    """Around a button's or modal's work: log lines carry guild, user and custom id, and any error
    goes to the one error path (discord.py only logs a component's errors; we answer the user)."""
    from bot.client import interaction_fields, report_error

    with logs.context(inherit=False, **interaction_fields(interaction)):
        try:
            yield
        except Exception as exc:
            await report_error(interaction, exc)


def routes_errors(callback: Callback) -> Callback:
    """For button and dynamic-item callbacks: see ``component_errors``."""

    @functools.wraps(callback)
    async def wrapper(self: Any, interaction: discord.Interaction[Any]) -> None:
        async with component_errors(interaction):
            await callback(self, interaction)

    return wrapper
