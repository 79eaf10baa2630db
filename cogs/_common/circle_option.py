"""Autocomplete for `circle` and `timezone` options, shared by every cog that has them."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.timeparse import timezone_suggestions


async def complete_circle(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    circles = await interaction.client.services.circles.autocomplete(interaction.guild_id, current)
    # The value is the id, so two circles whose names differ only in case stay distinct.
    return [app_commands.Choice(name=c.name, value=str(c.id)) for c in circles]


async def complete_timezone(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in timezone_suggestions(current, limit=25)]
