"""`/profile …`, `/away` and `/back`: parse → profile service → render → respond."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.timeparse import parse_hhmm, parse_local_date
from cogs._common.circle_option import complete_timezone
from cogs._common.interactions import Interaction, reply
from cogs.profiles import _render

if TYPE_CHECKING:
    from bot.client import CirclesBot


@app_commands.guild_only()
class ProfilesCog(commands.GroupCog, group_name="profile", group_description="Your profile in this server"):
    leaderboard = app_commands.Group(name="leaderboard", description="Show or hide yourself on leaderboards")

    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.profiles = bot.services.profiles
        super().__init__()

    @app_commands.command(name="timezone", description="Set your timezone (IANA name, e.g. Europe/Berlin)")
    @app_commands.describe(tz="Start typing a city or region")
    @app_commands.autocomplete(tz=complete_timezone)
    async def timezone(self, interaction: Interaction, tz: str) -> None:
        profile = await self.profiles.set_timezone(interaction.guild_id or 0, interaction.user.id, tz)
        now = self.bot.services.clock.now()
        local = now.astimezone(ZoneInfo(profile.zone))
        await reply(interaction, f"Timezone set to **{profile.zone}** (your local time is {local:%H:%M}).")

    @app_commands.command(name="hours", description="Your working hours, in your timezone (for pairing)")
    @app_commands.describe(start="HH:MM, e.g. 09:00", end="HH:MM, e.g. 17:30")
    async def hours(self, interaction: Interaction, start: str, end: str) -> None:
        start_time, end_time = parse_hhmm(start), parse_hhmm(end)
        profile = await self.profiles.set_hours(interaction.guild_id or 0, interaction.user.id, start_time, end_time)
        tz_note = "" if profile.timezone else " Set your timezone with `/profile timezone` so partners see them right."
        await reply(interaction, f"Working hours set to **{profile.hours_text}** ({profile.zone}).{tz_note}")

    @app_commands.command(name="about", description="What you can help with, and what you need")
    @app_commands.describe(offers="What you can help others with (≤ 300 characters)", asks="What you need (≤ 300)")
    async def about(self, interaction: Interaction, offers: str | None = None, asks: str | None = None) -> None:
        await self.profiles.set_about(interaction.guild_id or 0, interaction.user.id, offers, asks)
        await reply(interaction, "Saved. Partners and members see it on your `/profile show` card.")

    @leaderboard.command(name="show", description="Appear on circle leaderboards")
    async def leaderboard_show(self, interaction: Interaction) -> None:
        await self.profiles.set_leaderboard(interaction.guild_id or 0, interaction.user.id, True)
        await reply(interaction, "You'll appear on circle leaderboards.")

    @leaderboard.command(name="hide", description="Keep yourself off circle leaderboards")
    async def leaderboard_hide(self, interaction: Interaction) -> None:
        await self.profiles.set_leaderboard(interaction.guild_id or 0, interaction.user.id, False)
        await reply(interaction, "You're hidden from leaderboards. Your own stats still count for you.")

    @app_commands.command(name="show", description="A profile card")
    @app_commands.describe(member="Whose profile (default: yours)")
    async def show(self, interaction: Interaction, member: discord.Member | None = None) -> None:
        target = member or interaction.user
        guild_id = interaction.guild_id or 0
        profile = await self.profiles.get(guild_id, target.id)
        circles = await self.bot.services.circles.circles_of(guild_id, target.id)
        embed = _render.card(profile, target.display_name, circles, self.bot.services.clock.now())
        await reply(interaction, embed=embed)


class AwayCog(commands.Cog):
    """`/away` and `/back` are top-level commands, so they live outside the `/profile` group."""

    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.profiles = bot.services.profiles

    @app_commands.guild_only()
    @app_commands.command(name="away", description="Pause reminders, pairing and streaks until a date")
    @app_commands.describe(
        until="YYYY-MM-DD, tomorrow or a weekday (away through that day; ≤ 90 days)",
        reason="Optional, shown on your profile",
    )
    async def away(self, interaction: Interaction, until: str, reason: str | None = None) -> None:
        guild_id, user_id = interaction.guild_id or 0, interaction.user.id
        today = await self.profiles.local_today(guild_id, user_id)
        profile = await self.profiles.set_away(guild_id, user_id, parse_local_date(until, today), reason)
        assert profile.away_until is not None
        await reply(
            interaction,
            f"Enjoy the break. You're away through **{profile.away_until:%a %d %b}**: no reminders, no pairing, "
            "and your streaks wait for you. `/back` ends it early.",
        )

    @app_commands.guild_only()
    @app_commands.command(name="back", description="End an away period early")
    async def back(self, interaction: Interaction) -> None:
        _, was_away = await self.profiles.back(interaction.guild_id or 0, interaction.user.id)
        await reply(interaction, "Welcome back!" if was_away else "You weren't away. Nothing changed.")
