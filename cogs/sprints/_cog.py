"""`/sprint` commands and the voice listener: parse → sprint service → render → respond."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotFound
from bot.timeparse import parse_days, parse_hhmm
from cogs._common.circle_option import complete_circle
from cogs._common.interactions import Interaction, actor_of, reply
from cogs.sprints import _render
from cogs.sprints._posting import SprintPoster, joined_text

if TYPE_CHECKING:
    from bot.client import CirclesBot

log = logging.getLogger(__name__)


async def complete_tag(interaction: discord.Interaction[CirclesBot], current: str) -> list[app_commands.Choice[str]]:
    """The member's recent tags (e.g. clients), most recent first."""
    if interaction.guild_id is None:
        return []
    tags = await interaction.client.services.sprints.recent_tags(interaction.guild_id, interaction.user.id, current)
    return [app_commands.Choice(name=tag, value=tag) for tag in tags]


@app_commands.guild_only()
class SprintsCog(commands.GroupCog, group_name="sprint", group_description="Focus sprints in the circle's voice room"):
    def __init__(self, bot: CirclesBot, poster: SprintPoster) -> None:
        self.bot = bot
        self.poster = poster
        self.sprints = bot.services.sprints
        self.voice = bot.services.voice
        self.circles = bot.services.circles
        self._disconnected_at: datetime | None = None
        self._orphans: asyncio.Task[None] | None = None
        super().__init__()

    # ----- voice ------------------------------------------------------------------------------------

    def on_raw_voice_state(self, data: dict[str, Any]) -> None:
        """Each VOICE_STATE_UPDATE as Discord sent it, in gateway order (see ``tap_gateway_event``): queued
        for the presence service with no await and no query. A mute or deafen toggle arrives with the same
        channel and changes nothing (deafened time counts)."""
        member = data.get("member") or {}
        if (member.get("user") or {}).get("bot") or "guild_id" not in data:
            return
        guild_id = int(data["guild_id"])
        channel = data.get("channel_id")
        guild = self.bot.get_guild(guild_id)
        afk = guild.afk_channel if guild is not None else None
        self.voice.record(
            guild_id, int(data["user_id"]), int(channel) if channel else None, afk.id if afk is not None else None
        )

    @commands.Cog.listener()
    async def on_disconnect(self) -> None:
        if self._disconnected_at is None:
            self._disconnected_at = self.bot.services.clock.now()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        self._disconnected_at = None  # Discord replays what happened meanwhile

    async def cog_load(self) -> None:
        """Before the gateway connects: the circles' rooms, in one query, for the GUILD_CREATE burst."""
        await self.voice.preload_rooms()

    async def _end_orphans(self) -> None:
        """Sessions a stopped or killed process left open in our guilds end at its last alive mark
        (downtime is never presence). Started by the first GUILD_CREATE, not at load: a process that
        never connects (`python -m bot sync-commands`) must not end a running bot's sessions. The order
        against the sessions GUILD_CREATE opens does not matter: those are this process's own rows."""
        try:
            await self.voice.end_orphans(self.bot.owns_guild)
        except Exception:
            log.exception("could not end the voice sessions a previous process left open")

    def on_raw_guild_create(self, data: dict[str, Any]) -> None:
        """Each GUILD_CREATE as Discord sent it (see ``tap_gateway_event``): its voice states open the
        sessions of whoever sits in a room now, right away rather than after discord.py's READY delay.
        After a new gateway session (not a resume) the open sessions end when the connection dropped."""
        if data.get("unavailable") or "id" not in data:
            return
        if self._orphans is None:
            self._orphans = asyncio.create_task(self._end_orphans(), name="voice-orphans")
        guild_id = int(data["id"])
        if not self.bot.owns_guild(guild_id):
            return
        me = self.bot.user.id if self.bot.user is not None else None
        present = [
            (int(vs["user_id"]), int(vs["channel_id"]))
            for vs in data.get("voice_states") or ()
            if vs.get("channel_id") and int(vs["user_id"]) != me
        ]
        afk = data.get("afk_channel_id")
        self.voice.guild_seen(guild_id, present, int(afk) if afk else None, gap_since=self._disconnected_at)

    async def ready(self) -> None:
        self._disconnected_at = None  # every guild of the new session has been seen

    # ----- commands ---------------------------------------------------------------------------------

    @app_commands.command(name="start", description="Start a focus sprint in the circle's voice room")
    @app_commands.describe(
        circle="The circle (may be left out when the server has just one)",
        focus="Focus minutes per round, 5–180 (default 25)",
        break_="Break minutes between rounds, 0–60 (default 5)",
        rounds="Rounds, 1–12 (default 4)",
        intention="What you'll work on (default: today's standup focus)",
        tag="A tag, 1–40 characters, e.g. a client or project",
    )
    @app_commands.rename(break_="break")
    @app_commands.autocomplete(circle=complete_circle, tag=complete_tag)
    async def start(
        self,
        interaction: Interaction,
        circle: str | None = None,
        focus: int | None = None,
        break_: int | None = None,
        rounds: int | None = None,
        intention: str | None = None,
        tag: str | None = None,
    ) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        started = await self.sprints.start(
            actor_of(interaction), target.id, focus=focus, break_=break_, rounds=rounds, intention=intention, tag=tag
        )
        source = " (your focus from today's standup)" if started.defaulted_intention else ""
        await reply(interaction, f"Sprint started in <#{started.card.sprint.channel_id}>{source}. Good focus!")
        await self.poster.announce(started.card)

    @app_commands.command(name="join", description="Join the running sprint without being in voice")
    @app_commands.describe(intention="What you'll work on (default: today's standup focus)", tag="1–40 characters")
    @app_commands.autocomplete(tag=complete_tag)
    async def join(self, interaction: Interaction, intention: str | None = None, tag: str | None = None) -> None:
        joined = await self.sprints.join(
            interaction.guild_id or 0,
            interaction.user.id,
            channel_id=interaction.channel_id,
            intention=intention,
            tag=tag,
        )
        await reply(interaction, joined_text(joined))
        await self.poster.refresh(joined.card)

    @app_commands.command(name="leave", description="Leave the running sprint")
    async def leave(self, interaction: Interaction) -> None:
        card = await self.sprints.leave(
            interaction.guild_id or 0, interaction.user.id, channel_id=interaction.channel_id
        )
        await reply(interaction, "You left the sprint. See you next time!")
        await self.poster.refresh(card)

    @app_commands.command(name="stop", description="(starter or host) End the sprint early, with a recap")
    async def stop(self, interaction: Interaction) -> None:
        recap = await self.sprints.stop(actor_of(interaction), channel_id=interaction.channel_id)
        await reply(interaction, "Sprint stopped; the recap is in the channel.")
        await self.poster.post_recap(recap)

    @app_commands.command(name="status", description="The running sprint: phase, round, participants")
    @app_commands.autocomplete(circle=complete_circle)
    async def status(self, interaction: Interaction, circle: str | None = None) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        card = await self.sprints.status(interaction.guild_id or 0, target.id)
        if card is None:
            raise NotFound(f"No sprint is running in **{_render.safe(target.name)}**. Start one with `/sprint start`.")
        await reply(interaction, embed=_render.card(card))

    @app_commands.command(name="schedule", description="(host) Recurring sprints, with a heads-up 5 minutes before")
    @app_commands.describe(
        circle="The circle",
        time="Start time, HH:MM (24-hour, circle timezone)",
        days="daily, weekdays, mon-fri or a list like mon,wed,fri",
        focus="Focus minutes per round, 5–180 (default 25)",
        break_="Break minutes, 0–60 (default 5)",
        rounds="Rounds, 1–12 (default 4)",
    )
    @app_commands.rename(break_="break")
    @app_commands.autocomplete(circle=complete_circle)
    async def schedule(
        self,
        interaction: Interaction,
        circle: str,
        time: str,
        days: str,
        focus: int | None = None,
        break_: int | None = None,
        rounds: int | None = None,
    ) -> None:
        start, day_set = parse_hhmm(time), parse_days(days)
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        view = await self.sprints.set_schedule(
            actor_of(interaction), target.id, start=start, days=day_set, focus=focus, break_=break_, rounds=rounds
        )
        await reply(interaction, _render.schedule_saved(view))

    @app_commands.command(name="unschedule", description="(host) Stop the recurring sprints of a circle")
    @app_commands.autocomplete(circle=complete_circle)
    async def unschedule(self, interaction: Interaction, circle: str) -> None:
        target = await self.circles.resolve(interaction.guild_id or 0, circle)
        done = await self.sprints.unschedule(actor_of(interaction), target.id)
        await reply(interaction, f"No more scheduled sprints in **{_render.safe(done.name)}**.")
