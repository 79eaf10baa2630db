"""`/standup` commands: parse → standup service → render → respond."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.timeparse import parse_days, parse_hhmm, parse_local_date
from cogs._common.circle_option import complete_circle, complete_timezone
from cogs._common.interactions import Interaction, actor_of, component_errors, reply
from cogs.standups import _render
from cogs.standups._posting import AnswerReplies, post_answer
from cogs.standups._views import MODAL_RE, AnswerModal, answers_in_order, submitted_values

if TYPE_CHECKING:
    from bot.client import CirclesBot


@app_commands.guild_only()
class StandupsCog(commands.GroupCog, group_name="standup", group_description="Async standups in daily threads"):
    reminders = app_commands.Group(name="reminders", description="Personal standup reminder mentions")

    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.standups = bot.services.standups
        self.circles = bot.services.circles
        self.answer_replies = AnswerReplies()
        super().__init__()

    @commands.Cog.listener()
    async def on_interaction(self, interaction: Interaction) -> None:
        """Standup answer submits, recognised by custom_id (see AnswerModal for why not a stored modal)."""
        if interaction.type is not discord.InteractionType.modal_submit or interaction.data is None:
            return
        match = MODAL_RE.fullmatch(str(interaction.data.get("custom_id", "")))
        if match is None:
            return
        answers = answers_in_order(submitted_values(interaction.data))
        async with component_errors(interaction):
            await post_answer(interaction, int(match["occ"]), answers, self.answer_replies)

    @app_commands.command(name="schedule", description="(host) Open a standup thread on a schedule")
    @app_commands.describe(
        circle="The circle (may be left out when the server has just one)",
        time="Opening time, HH:MM (24-hour)",
        days="daily, weekdays, mon-fri or a list like mon,wed,fri",
        timezone="IANA timezone (default: the circle's)",
        window_hours="How long it stays open: 1–23 hours (default 8)",
        reminder="Minutes after opening for one gentle reminder, or off (default 75% of the window)",
        questions="1–5 questions separated by |, each ≤ 45 characters",
    )
    @app_commands.autocomplete(circle=complete_circle, timezone=complete_timezone)
    async def schedule(
        self,
        interaction: Interaction,
        time: str,
        days: str,
        circle: str | None = None,
        timezone: str | None = None,
        window_hours: int | None = None,
        reminder: str | None = None,
        questions: str | None = None,
    ) -> None:
        open_time, day_set = parse_hhmm(time), parse_days(days)
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        change = await self.standups.schedules.set_schedule(
            actor_of(interaction),
            target.id,
            open_time=open_time,
            days=day_set,
            timezone=timezone,
            window_hours=window_hours,
            reminder=reminder,
            questions=questions,
        )
        await reply(interaction, _render.schedule_saved(change))

    @app_commands.command(name="pause", description="(host) Stop opening standups until resumed")
    @app_commands.autocomplete(circle=complete_circle)
    async def pause(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        change = await self.standups.schedules.set_paused(actor_of(interaction), target.id, True)
        await reply(interaction, _render.schedule_saved(change))

    @app_commands.command(name="resume", description="(host) Start opening standups again")
    @app_commands.autocomplete(circle=complete_circle)
    async def resume(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        change = await self.standups.schedules.set_paused(actor_of(interaction), target.id, False)
        await reply(interaction, _render.schedule_saved(change))

    @app_commands.command(name="skip", description="(host) No standup on a day (a holiday); streaks unaffected")
    @app_commands.describe(date="YYYY-MM-DD, today, tomorrow or a weekday")
    @app_commands.autocomplete(circle=complete_circle)
    async def skip(self, interaction: Interaction, date: str, circle: str | None = None) -> None:
        guild_id = interaction.guild_id or 0
        target = await self.circles.resolve(guild_id, circle)
        today = await self.bot.services.profiles.local_today(guild_id, interaction.user.id)
        day = parse_local_date(date, today)
        change = await self.standups.schedules.skip(actor_of(interaction), target.id, day)
        await reply(
            interaction, f"No standup on **{day:%a %d %b}**; streaks are unaffected.\n" + _render.schedule_saved(change)
        )

    @app_commands.command(name="post", description="Answer (or edit) today's standup")
    @app_commands.autocomplete(circle=complete_circle)
    async def post(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        form = await self.standups.answers.answer_form(
            interaction.guild_id or 0, interaction.user.id, circle_id=target.id
        )
        await interaction.response.send_modal(AnswerModal(form))

    @reminders.command(name="on", description="Get one gentle mention when you haven't posted yet")
    async def reminders_on(self, interaction: Interaction) -> None:
        await self.standups.answers.set_reminders(interaction.guild_id or 0, interaction.user.id, True)
        await reply(interaction, "Reminders on: at most one gentle mention per standup.")

    @reminders.command(name="off", description="No reminder mentions")
    async def reminders_off(self, interaction: Interaction) -> None:
        await self.standups.answers.set_reminders(interaction.guild_id or 0, interaction.user.id, False)
        await reply(interaction, "Reminders off. The thread is still there whenever you want it.")

    @app_commands.command(name="history", description="Past standup answers")
    @app_commands.describe(member="Whose answers (default: yours)", days="How far back, 1–90 days (default 14)")
    async def history(self, interaction: Interaction, member: discord.Member | None = None, days: int = 14) -> None:
        target = member or interaction.user
        entries = await self.standups.answers.history(interaction.guild_id or 0, interaction.user.id, target.id, days)
        await reply(interaction, embed=_render.history(entries, target.display_name))
