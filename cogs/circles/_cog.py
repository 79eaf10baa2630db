"""`/circle` commands: parse → call the circle service → render → respond."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.circles.activity import gather_activities
from bot.circles.service import CircleView
from bot.scheduling import PlanScope
from cogs._common.circle_option import complete_circle, complete_timezone
from cogs._common.interactions import Interaction, actor_of, reply
from cogs.circles import _render
from cogs.circles._views import confirm_delete_view

if TYPE_CHECKING:
    from bot.client import CirclesBot

log = logging.getLogger(__name__)


@app_commands.guild_only()
class CirclesCog(commands.GroupCog, group_name="circle", group_description="Co-working circles in this server"):
    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.circles = bot.services.circles
        super().__init__()

    @app_commands.command(name="create", description="(host) Start a new circle with a home channel")
    @app_commands.describe(
        name="1–50 characters, unique in this server",
        channel="The circle's home text channel",
        voice="A voice channel for focus sprints",
        role="A role members get when they join",
        host_role="A role whose holders host this circle",
        timezone="IANA timezone, e.g. Europe/Berlin (default UTC)",
    )
    @app_commands.autocomplete(timezone=complete_timezone)
    async def create(
        self,
        interaction: Interaction,
        name: str,
        channel: discord.TextChannel,
        voice: discord.VoiceChannel | None = None,
        role: discord.Role | None = None,
        host_role: discord.Role | None = None,
        timezone: str | None = None,
    ) -> None:
        circle = await self.circles.create(
            actor_of(interaction),
            name=name,
            channel_id=channel.id,
            voice_channel_id=voice.id if voice else None,
            role_id=role.id if role else None,
            host_role_id=host_role.id if host_role else None,
            timezone=timezone,
        )
        await reply(interaction, _render.created(circle))

    @app_commands.command(name="edit", description="(host) Change a circle's name, channels, roles or timezone")
    @app_commands.describe(circle="The circle to change", timezone="IANA timezone; schedules follow it")
    @app_commands.autocomplete(circle=complete_circle, timezone=complete_timezone)
    async def edit(
        self,
        interaction: Interaction,
        circle: str | None = None,
        name: str | None = None,
        channel: discord.TextChannel | None = None,
        voice: discord.VoiceChannel | None = None,
        role: discord.Role | None = None,
        host_role: discord.Role | None = None,
        timezone: str | None = None,
    ) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        result = await self.circles.edit(
            actor_of(interaction),
            target.id,
            name=name,
            channel_id=channel.id if channel else None,
            voice_channel_id=voice.id if voice else None,
            role_id=role.id if role else None,
            host_role_id=host_role.id if host_role else None,
            timezone=timezone,
        )
        if result.timezone_changed:
            await self._replan(result.after)
        await reply(interaction, _render.edited(result.after))

    @app_commands.command(name="delete", description="(host) Delete a circle, its schedules and memberships")
    @app_commands.autocomplete(circle=complete_circle)
    async def delete(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        await self.circles.check_can_delete(actor_of(interaction), target.id)
        await reply(
            interaction,
            f"Delete **{discord.utils.escape_markdown(target.name)}**? Its schedules, memberships and standup "
            "history go; members keep their own focus history and goals.",
            view=confirm_delete_view(target.id),
        )

    @app_commands.command(name="join", description="Join a circle")
    @app_commands.autocomplete(circle=complete_circle)
    async def join(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        result = await self.circles.join(target.guild_id, interaction.user.id, target.id)
        name = discord.utils.escape_markdown(target.name)
        if not result.changed:
            await reply(interaction, f"You're already in **{name}**.")
            return
        note = await self._set_role(interaction, target, add=True)
        await reply(interaction, f"Welcome to **{name}**! Its home is <#{target.channel_id}>.{note}")

    @app_commands.command(name="leave", description="Leave a circle")
    @app_commands.autocomplete(circle=complete_circle)
    async def leave(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        result = await self.circles.leave(target.guild_id, interaction.user.id, target.id)
        name = discord.utils.escape_markdown(target.name)
        if not result.changed:
            await reply(interaction, f"You're not in **{name}**.")
            return
        note = await self._set_role(interaction, target, add=False)
        await reply(interaction, f"You left **{name}**. You're welcome back any time.{note}")

    @app_commands.command(name="list", description="Circles in this server and what runs in each")
    async def list_circles(self, interaction: Interaction) -> None:
        guild_id = interaction.guild_id or 0
        summaries = await self.circles.summaries(guild_id)
        activities = await gather_activities(self.bot.services.activity_sources, [s.circle.id for s in summaries])
        await reply(interaction, embed=_render.circle_list(summaries, activities))

    @app_commands.command(name="info", description="A circle's schedules, next events and members")
    @app_commands.autocomplete(circle=complete_circle)
    async def info(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        members = await self.circles.member_ids(target.guild_id, target.id)
        activities = await gather_activities(self.bot.services.activity_sources, [target.id])
        await reply(interaction, embed=_render.circle_info(target, members, activities[target.id]))

    async def _replan(self, circle: CircleView) -> None:
        await self.bot.services.planners.plan(PlanScope(owned_guilds=self.bot.owns_guild, circle_id=circle.id))

    @staticmethod
    async def _set_role(interaction: Interaction, circle: CircleView, *, add: bool) -> str:
        """Grant or remove the circle role after the membership is committed; say so if Discord refuses."""
        if circle.role_id is None or not isinstance(interaction.user, discord.Member):
            return ""
        role = discord.Object(circle.role_id)
        try:
            if add:
                await interaction.user.add_roles(role, reason=f"Joined circle {circle.name}")
            else:
                await interaction.user.remove_roles(role, reason=f"Left circle {circle.name}")
        except discord.HTTPException as exc:
            log.warning("could not %s circle role %s: %s", "add" if add else "remove", circle.role_id, exc)
            return "\n(I couldn't update your circle role: a host should check my Manage Roles permission.)"
        return ""
