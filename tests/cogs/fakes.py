"""Spec'd fakes of what discord.py hands a command callback (autospec everywhere, never a bare Mock).

``invoke`` runs a command the way the CommandTree does: the tree's interaction_check first, then the
callback; an exception goes to the tree's on_error wrapped in CommandInvokeError, exactly as discord.py
does, so tests see the reply the user would see.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast
from unittest.mock import create_autospec

import aiohttp
import discord
from discord import app_commands

from bot.client import CirclesBot

GUILD = 111_111_111_111
OTHER_GUILD = 222_222_222_222
_ids = itertools.count(900_000_000_000_000_000)


@functools.cache  # only their ids are read; autospec is slow enough to matter
def fake_role(role_id: int) -> discord.Role:
    role = create_autospec(discord.Role, instance=True)
    role.id = role_id
    role.mention = f"<@&{role_id}>"
    return cast(discord.Role, role)


@functools.cache  # only their ids are read; autospec is slow enough to matter
def fake_text_channel(channel_id: int) -> discord.TextChannel:
    channel = create_autospec(discord.TextChannel, instance=True)
    channel.id = channel_id
    channel.mention = f"<#{channel_id}>"
    return cast(discord.TextChannel, channel)


@functools.cache  # only their ids are read; autospec is slow enough to matter
def fake_voice_channel(channel_id: int) -> discord.VoiceChannel:
    channel = create_autospec(discord.VoiceChannel, instance=True)
    channel.id = channel_id
    channel.mention = f"<#{channel_id}>"
    return cast(discord.VoiceChannel, channel)


def fake_member(
    user_id: int, *, name: str = "Ada", roles: Iterable[int] = (), manage_guild: bool = False, admin: bool = False
) -> discord.Member:
    member = create_autospec(discord.Member, instance=True)
    member.id = user_id
    member.display_name = name
    member.mention = f"<@{user_id}>"
    member.roles = [fake_role(r) for r in roles]
    member.guild_permissions = discord.Permissions(manage_guild=manage_guild, administrator=admin)
    return cast(discord.Member, member)


def http_response(status: int, reason: str = "Forbidden") -> aiohttp.ClientResponse:
    """What discord.HTTPException and its subclasses are built from."""
    response = create_autospec(aiohttp.ClientResponse, instance=True)
    response.status = status
    response.reason = reason
    return cast(aiohttp.ClientResponse, response)


@dataclass
class Reply:
    """One message the interaction sent back (first response or follow-up)."""

    content: str | None
    kwargs: dict[str, Any]

    @property
    def ephemeral(self) -> bool:
        return bool(self.kwargs.get("ephemeral"))

    @property
    def embed(self) -> discord.Embed | None:
        embed = self.kwargs.get("embed")
        assert embed is None or isinstance(embed, discord.Embed)
        return embed

    @property
    def view(self) -> discord.ui.View | None:
        view = self.kwargs.get("view")
        assert view is None or isinstance(view, discord.ui.View)
        return view

    @property
    def pings_nobody(self) -> bool:
        mentions = self.kwargs.get("allowed_mentions")
        if not isinstance(mentions, discord.AllowedMentions):
            return False
        sent = mentions.to_dict()
        return sent.get("parse") == [] and not sent.get("users") and not sent.get("roles")

    def text(self) -> str:
        """Content plus every embed text, for searching."""
        parts = [self.content or ""]
        if self.embed is not None:
            parts += [self.embed.title or "", self.embed.description or ""]
            parts += [f"{f.name}\n{f.value}" for f in self.embed.fields]
        return "\n".join(parts)


def fake_interaction(
    bot: CirclesBot, user: discord.Member, *, guild_id: int | None = GUILD, command: Any = None
) -> discord.Interaction[Any]:
    interaction = create_autospec(discord.Interaction, instance=True)
    interaction.id = next(_ids)
    interaction.client = bot
    interaction.guild_id = guild_id
    interaction.user = user
    interaction.command = command

    response = create_autospec(discord.InteractionResponse, instance=True)
    done = [False]

    async def respond(*_: Any, **__: Any) -> None:
        if done[0]:
            raise discord.InteractionResponded(interaction)
        done[0] = True

    response.is_done.side_effect = lambda: done[0]
    for method in (response.send_message, response.defer, response.edit_message, response.send_modal):
        method.side_effect = respond
    interaction.response = response
    interaction.followup = create_autospec(discord.Webhook, instance=True)
    return cast(discord.Interaction[Any], interaction)


def replies(interaction: discord.Interaction[Any]) -> list[Reply]:
    """Everything sent back, in order: the initial response, then follow-ups."""
    found: list[Reply] = []
    for call in interaction.response.send_message.call_args_list:  # type: ignore[attr-defined]
        content = call.args[0] if call.args else call.kwargs.get("content")
        found.append(Reply(content, dict(call.kwargs)))
    for call in interaction.followup.send.call_args_list:  # type: ignore[attr-defined]
        content = call.args[0] if call.args else call.kwargs.get("content")
        found.append(Reply(None if content is discord.utils.MISSING else content, dict(call.kwargs)))
    return found


def only_reply(interaction: discord.Interaction[Any]) -> Reply:
    found = replies(interaction)
    assert len(found) == 1, f"expected exactly one reply, got {found}"
    return found[0]


async def invoke(bot: CirclesBot, interaction: discord.Interaction[Any], command: Any, **options: Any) -> Reply:
    """Run a slash command as the tree would and return the single reply the user sees."""
    assert isinstance(command, app_commands.Command)
    assert command.binding is not None, "the command's cog is not loaded"
    fake: Any = interaction  # a spec'd mock: `command` is a read-only property on the real class
    fake.command = command
    if await bot.tree.interaction_check(interaction):
        try:
            await command.callback(command.binding, interaction, **options)
        except Exception as exc:
            await bot.tree.on_error(interaction, app_commands.CommandInvokeError(command, exc))
    return only_reply(interaction)
