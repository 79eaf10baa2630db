"""`/privacy export|forget`, on the member-data registry (every feature's data, this guild only)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common.interactions import Interaction, reply
from cogs.privacy import _render
from cogs.privacy._views import confirm_forget_view

if TYPE_CHECKING:
    from bot.client import CirclesBot


@app_commands.guild_only()
class PrivacyCog(commands.GroupCog, group_name="privacy", group_description="Your data: export it or delete it"):
    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.privacy = bot.services.privacy
        super().__init__()

    @app_commands.command(name="export", description="All your data in this server as one JSON file")
    async def export(self, interaction: Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        export = await self.privacy.export(interaction.guild_id or 0, interaction.user.id)
        await reply(interaction, _render.exported(export), file=discord.File(io.BytesIO(export.data), export.filename))

    @app_commands.command(name="forget", description="Delete all your data in this server (asks first)")
    async def forget(self, interaction: Interaction) -> None:
        await reply(interaction, _render.CONFIRM, view=confirm_forget_view(interaction.user.id))
