"""`/stats me|circle|export`: parse → stats service → chart off the loop → respond.

Every command defers first (``thinking``, ephemeral): a chart takes tens of milliseconds of CPU, a
year of sessions a few queries, and the first chart also loads matplotlib. Bad input that needs no
database (an unknown period) is refused before deferring.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.stats import charts, offload
from bot.stats.days import Period, parse_period
from cogs._common.circle_option import complete_circle
from cogs._common.interactions import Interaction, reply
from cogs.stats import _render

if TYPE_CHECKING:
    from bot.client import CirclesBot

NO_PINGS = discord.AllowedMentions.none()


async def complete_period(interaction: discord.Interaction[CirclesBot], current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=p.value, value=p.value) for p in Period if p.value.startswith(current.lower())]


@app_commands.guild_only()
class StatsCog(commands.GroupCog, group_name="stats", group_description="Your focus time, circle stats, timesheets"):
    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.stats = bot.services.stats
        super().__init__()

    @app_commands.command(name="me", description="Your focus time, streak, goals and a 12-week heat map")
    @app_commands.describe(period="week (since Monday), month (since the 1st) or all")
    @app_commands.autocomplete(period=complete_period)
    async def me(self, interaction: Interaction, period: str | None = None) -> None:
        chosen = parse_period(period)
        await interaction.response.defer(ephemeral=True, thinking=True)
        stats = await self.stats.member(interaction.guild_id or 0, interaction.user.id, chosen)
        title = f"Focus minutes per day, last 12 weeks ({stats.timezone})"
        png = await offload.draw(charts.heatmap_png, stats.heatmap, title)
        await reply(
            interaction, embed=_render.member_stats(stats), file=discord.File(io.BytesIO(png), _render.HEATMAP_FILE)
        )

    @app_commands.command(name="circle", description="Circle totals, the cooperative goal and a leaderboard")
    @app_commands.describe(
        circle="The circle (may be left out when the server has just one)",
        period="week (since Monday), month (since the 1st) or all",
    )
    @app_commands.autocomplete(circle=complete_circle, period=complete_period)
    async def circle(self, interaction: Interaction, circle: str | None = None, period: str | None = None) -> None:
        chosen = parse_period(period)
        await interaction.response.defer(ephemeral=True, thinking=True)
        stats = await self.stats.circle(interaction.guild_id or 0, circle, chosen)
        title = f"{stats.circle_name}: focus hours per week"
        png = await offload.draw(charts.weekly_png, stats.weeks, title, float(stats.goal.target_hours))
        await reply(
            interaction, embed=_render.circle_stats(stats), file=discord.File(io.BytesIO(png), _render.CIRCLE_FILE)
        )

    @app_commands.command(name="export", description="A CSV timesheet of your sessions and sprints, hours by tag")
    @app_commands.rename(first="from", last="to")
    @app_commands.describe(
        first="First day: YYYY-MM-DD, today or a weekday (default: the 1st of this month)",
        last="Last day: YYYY-MM-DD, today or a weekday (default: today)",
    )
    async def export(self, interaction: Interaction, first: str | None = None, last: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        sheet = await self.stats.timesheet(interaction.guild_id or 0, interaction.user.id, first, last)
        files = [
            discord.File(io.BytesIO(sheet.sessions_csv.encode()), f"{sheet.filename_stub}-sessions.csv"),
            discord.File(io.BytesIO(sheet.totals_csv.encode()), f"{sheet.filename_stub}-hours-by-tag.csv"),
        ]
        await interaction.followup.send(
            _render.timesheet_text(sheet), files=files, ephemeral=True, allowed_mentions=NO_PINGS
        )
