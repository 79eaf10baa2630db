"""`/pair` and `/goal`: parse → pairing service → render → respond. Every reply here is ephemeral."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.pairing.models import GoalStatus
from bot.scheduling import PlanScope
from bot.timeparse import parse_local_date
from cogs._common.circle_option import complete_circle
from cogs._common.interactions import Interaction, actor_of, component_errors, reply
from cogs.pairing import _render
from cogs.pairing._posting import PairPoster
from cogs.pairing._views import MODAL_RE, submit_goal, submitted_values

if TYPE_CHECKING:
    from bot.client import CirclesBot

NO_PINGS = discord.AllowedMentions.none()


@app_commands.guild_only()
class PairingCog(commands.GroupCog, group_name="pair", group_description="Accountability partners"):
    def __init__(self, bot: CirclesBot, poster: PairPoster) -> None:
        self.bot = bot
        self.poster = poster
        self.pairing = bot.services.pairing
        self.circles = bot.services.circles
        super().__init__()

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """Goal modal submits, recognised by custom id (the modal is never stored: see GoalModal)."""
        if interaction.type is not discord.InteractionType.modal_submit or interaction.data is None:
            return
        match = MODAL_RE.fullmatch(str(interaction.data.get("custom_id", "")))
        if match is None:
            return
        async with component_errors(interaction):
            await submit_goal(interaction, int(match["group"]), submitted_values(interaction.data))

    @app_commands.command(name="optin", description="Enter a circle's partner pool")
    @app_commands.autocomplete(circle=complete_circle)
    async def optin(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        added = await self.pairing.opt_in(interaction.guild_id or 0, interaction.user.id, target.id)
        text = "You're in the partner pool" if added else "You were already in the partner pool"
        await reply(interaction, f"{text} of **{_render.safe(target.name)}**. The next round will pair you up.")

    @app_commands.command(name="optout", description="Leave a circle's partner pool")
    @app_commands.autocomplete(circle=complete_circle)
    async def optout(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        await self.pairing.opt_out(interaction.guild_id or 0, interaction.user.id, target.id)
        await reply(
            interaction, f"You're out of the partner pool of **{_render.safe(target.name)}**. Come back anytime."
        )

    @app_commands.command(name="snooze", description="Skip pairing rounds until a date (up to 90 days ahead)")
    @app_commands.describe(until="YYYY-MM-DD, today, tomorrow or a weekday like friday")
    async def snooze(self, interaction: Interaction, until: str) -> None:
        guild_id = interaction.guild_id or 0
        today = await self.bot.services.profiles.local_today(guild_id, interaction.user.id)
        day = await self.pairing.snooze(guild_id, interaction.user.id, parse_local_date(until, today))
        await reply(interaction, _render.snoozed(day))

    @app_commands.command(name="avoid", description="Never be paired with a member (private: nobody is told)")
    async def avoid(self, interaction: Interaction, member: discord.Member) -> None:
        await self.pairing.avoid(interaction.guild_id or 0, interaction.user.id, member.id)
        await reply(interaction, "Noted, privately: you won't be grouped with them. Nobody else will ever see this.")

    @app_commands.command(name="unavoid", description="Take a member off your private do-not-pair list")
    async def unavoid(self, interaction: Interaction, member: discord.Member) -> None:
        await self.pairing.unavoid(interaction.guild_id or 0, interaction.user.id, member.id)
        await reply(interaction, "Done: they can be in your group again.")

    @app_commands.command(name="schedule", description="(host) Pairing rounds on a weekday and time")
    @app_commands.describe(
        circle="The circle (may be left out when the server has just one)",
        day="A weekday, e.g. monday",
        time="HH:MM (24-hour), in the circle's timezone",
        cadence="weekly (default) or biweekly",
        size="Group size, 2–4 (default 2)",
    )
    @app_commands.autocomplete(circle=complete_circle)
    async def schedule(
        self,
        interaction: Interaction,
        day: str,
        time: str,
        circle: str | None = None,
        cadence: str | None = None,
        size: int | None = None,
    ) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        view = await self.pairing.set_schedule(actor_of(interaction), target.id, day, time, cadence, size)
        await self.bot.services.planners.plan(PlanScope(owned_guilds=self.bot.owns_guild, circle_id=target.id))
        await reply(interaction, _render.schedule_saved(view))

    @app_commands.command(name="now", description="(host) Run a pairing round now")
    @app_commands.autocomplete(circle=complete_circle)
    async def now(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        await self.pairing.check_can_run_now(actor_of(interaction), target.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        claim = await self.pairing.rounds.claim_now(target.id)
        try:
            await self.poster.run(claim)
        finally:
            await self.bot.services.planners.plan(PlanScope(owned_guilds=self.bot.owns_guild, circle_id=target.id))
        await reply(interaction, _render.round_report(claim))

    @app_commands.command(name="status", description="Your partners, their local time, your thread, the next round")
    async def status(self, interaction: Interaction) -> None:
        result = await self.pairing.status(interaction.guild_id or 0, interaction.user.id)
        await reply(interaction, embed=_render.status(result, self.bot.services.clock.now()))

    @app_commands.command(name="history", description="Your past partners and how the cycles went")
    async def history(self, interaction: Interaction) -> None:
        entries = await self.pairing.history(interaction.guild_id or 0, interaction.user.id)
        await reply(interaction, embed=_render.history(entries))


async def complete_goal(interaction: discord.Interaction[CirclesBot], current: str) -> list[app_commands.Choice[str]]:
    """Only the caller's own open goals."""
    if interaction.guild_id is None:
        return []
    goals = await interaction.client.services.pairing.goal_choices(interaction.guild_id, interaction.user.id, current)
    return [app_commands.Choice(name=g.text[:100], value=str(g.id)) for g in goals]


@app_commands.guild_only()
class GoalsCog(commands.GroupCog, group_name="goal", group_description="Personal goals your partners can see"):
    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.pairing = bot.services.pairing
        super().__init__()

    @app_commands.command(name="add", description="Set a goal (up to 200 characters)")
    @app_commands.describe(text="What you want to get done", due="YYYY-MM-DD, today, tomorrow or a weekday")
    async def add(self, interaction: Interaction, text: str, due: str | None = None) -> None:
        guild_id = interaction.guild_id or 0
        day = None
        if due is not None:
            day = parse_local_date(due, await self.bot.services.profiles.local_today(guild_id, interaction.user.id))
        change = await self.pairing.add_goal(guild_id, interaction.user.id, text, day)
        where = f" Your partners can see it in <#{change.thread_id}>." if change.thread_id else ""
        await reply(interaction, f"Goal set: **{_render.safe(change.goal.text)}**.{where}")
        if change.thread_id:
            await self.bot.get_partial_messageable(change.thread_id).send(
                _render.goal_set(change.goal), allowed_mentions=NO_PINGS
            )

    @app_commands.command(name="done", description="Mark one of your goals done")
    @app_commands.autocomplete(goal=complete_goal)
    async def done(self, interaction: Interaction, goal: str) -> None:
        change = await self.pairing.finish_goal(interaction.guild_id or 0, interaction.user.id, goal, GoalStatus.DONE)
        await reply(interaction, f"Well done! **{_render.safe(change.goal.text)}** is done. 🎉")
        if change.thread_id:
            await self.bot.get_partial_messageable(change.thread_id).send(
                _render.goal_done(change.goal), allowed_mentions=NO_PINGS
            )

    @app_commands.command(name="drop", description="Let one of your goals go")
    @app_commands.autocomplete(goal=complete_goal)
    async def drop(self, interaction: Interaction, goal: str) -> None:
        change = await self.pairing.finish_goal(
            interaction.guild_id or 0, interaction.user.id, goal, GoalStatus.DROPPED
        )
        await reply(interaction, f"Dropped **{_render.safe(change.goal.text)}**. Priorities change; that's fine.")

    @app_commands.command(name="list", description="Your goals, or a current partner's")
    @app_commands.describe(member="A current partner (default: you)")
    async def list_(self, interaction: Interaction, member: discord.Member | None = None) -> None:
        target = member or interaction.user
        items = await self.pairing.list_goals(interaction.guild_id or 0, interaction.user.id, target.id)
        await reply(interaction, embed=_render.goals(items, target.display_name))
