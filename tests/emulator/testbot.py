"""A tiny discord.py bot that exercises every interaction path the emulator supports."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from emulator import Emulator

ZONES = ["Europe/Berlin", "Europe/Lisbon", "America/New_York", "Asia/Tokyo", "UTC"]


class PanelView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Update", custom_id="panel:update")
    async def update(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        await interaction.response.edit_message(content="Updated", view=self)

    @discord.ui.button(label="Later", custom_id="panel:later")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="Edited later")

    @discord.ui.button(label="Form", custom_id="panel:form")
    async def form(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        await interaction.response.send_modal(StandupModal())

    @discord.ui.select(
        custom_id="panel:size",
        max_values=2,
        options=[discord.SelectOption(label=str(n), value=str(n)) for n in (2, 3, 4)],
    )
    async def size(self, interaction: discord.Interaction, select: discord.ui.Select[PanelView]) -> None:
        await interaction.response.send_message(f"Picked {','.join(select.values)}", ephemeral=True)


class StandupModal(discord.ui.Modal, title="Standup"):
    done: discord.ui.TextInput[StandupModal] = discord.ui.TextInput(
        label="Done", custom_id="standup:done", style=discord.TextStyle.paragraph, max_length=1000
    )
    plan: discord.ui.TextInput[StandupModal] = discord.ui.TextInput(
        label="Plan", custom_id="standup:plan", required=False, default="Write tests"
    )

    def __init__(self) -> None:
        super().__init__(custom_id="standup:modal")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Got {self.done.value} / {self.plan.value}", ephemeral=True)


class GoalModal(discord.ui.Modal, title="New goal"):
    text: discord.ui.Label[GoalModal] = discord.ui.Label(
        text="Goal", component=discord.ui.TextInput(custom_id="goal:text", max_length=200)
    )

    def __init__(self) -> None:
        super().__init__(custom_id="goal:modal")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.text.component, discord.ui.TextInput)
        await interaction.response.send_message(f"Goal: {self.text.component.value}", ephemeral=True)


class SprintLayout(discord.ui.LayoutView):
    container: discord.ui.Container[SprintLayout] = discord.ui.Container(
        discord.ui.TextDisplay("Sprint · focus"),
        discord.ui.Section(
            discord.ui.TextDisplay("Round 1 of 4"),
            accessory=discord.ui.Button(label="Join", custom_id="sprint:join"),
        ),
    )


class EchoBot(commands.AutoShardedBot):
    def __init__(self, *, shard_count: int | None = None, intents: discord.Intents | None = None) -> None:
        if intents is None:
            intents = discord.Intents.none()
            intents.guilds = True
            intents.voice_states = True
            intents.members = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            shard_count=shard_count,
            guild_ready_timeout=0.05,
            help_command=None,
        )
        self.ready_event = asyncio.Event()
        self.late_errors: list[discord.HTTPException] = []
        self.seen: list[tuple[str, Any]] = []
        self.interaction_shards: list[int | None] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py waits 5 s between shard IDENTIFYs for Discord's concurrency limit; the emulator
        # does not enforce it, so the test bot skips the wait.
        return None

    async def setup_hook(self) -> None:
        self.add_view(PanelView())
        register_commands(self)

    async def on_ready(self) -> None:
        self.ready_event.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        self.interaction_shards.append(interaction.guild.shard_id if interaction.guild else None)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        self.seen.append(("voice", (member.id, after.channel.id if after.channel else None)))

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.seen.append(("thread_create", thread.id))

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        self.seen.append(("member_update", (after.id, sorted(r.id for r in after.roles))))

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(("message", message.content))

    async def on_resumed(self) -> None:
        self.seen.append(("resumed", None))


def register_commands(bot: EchoBot) -> None:
    tree = bot.tree

    @tree.command(description="Echo typed options")
    @app_commands.describe(text="what to say")
    async def echo(
        interaction: discord.Interaction,
        text: str,
        count: app_commands.Range[int, 1, 5] = 1,
        ratio: float = 1.0,
        loud: bool = False,
        who: discord.Member | None = None,
        where: discord.TextChannel | None = None,
        role: discord.Role | None = None,
    ) -> None:
        parts = [
            text * count,
            f"{ratio:.1f}",
            str(loud),
            f"{type(who).__name__}:{who.name if who else '-'}",
            where.name if where else "-",
            role.name if role else "-",
        ]
        await interaction.response.send_message("|".join(parts), ephemeral=True)

    circle = app_commands.Group(name="circle", description="Circles")

    @circle.command(name="create", description="Create a circle")
    async def circle_create(interaction: discord.Interaction, name: str, channel: discord.TextChannel) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content=f"Created {name} in {channel.mention}")

    @circle.command(name="info", description="About a circle")
    async def circle_info(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.followup.send("Info via followup")

    settings = app_commands.Group(name="settings", description="Settings", parent=circle)

    @settings.command(name="set", description="Set a value")
    async def settings_set(interaction: discord.Interaction, key: str, value: int) -> None:
        await interaction.response.send_message(f"{key}={value}")

    tree.add_command(circle)

    @tree.command(description="A panel with buttons")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Panel", view=PanelView())

    @tree.command(description="Open the standup form")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(StandupModal())

    @tree.command(description="Add a goal")
    async def goal(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(GoalModal())

    @tree.command(description="Pick a timezone")
    async def tz(interaction: discord.Interaction, zone: str) -> None:
        await interaction.response.send_message(f"Timezone {zone}", ephemeral=True)

    @tz.autocomplete("zone")
    async def tz_complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in ZONES if current.lower() in z.lower()][:25]

    @tree.command(description="Several followups")
    async def multi(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        await interaction.followup.send("second")
        await interaction.followup.send("third", ephemeral=True)

    @tree.command(description="A report file")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        data = io.BytesIO(b"date,minutes\n2026-01-01,25\n")
        await interaction.followup.send("Here it is", file=discord.File(data, filename="report.csv"))

    @tree.command(description="Answers too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(3.1)
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as error:
            bot.late_errors.append(error)

    @tree.command(description="Hosts only")
    @app_commands.default_permissions(manage_guild=True)
    async def hostonly(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("hello host", ephemeral=True)


def point_discord_at(emu: Emulator) -> tuple[str, yarl.URL]:
    """Point discord.py at the emulator; returns what to restore."""
    previous = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    discord.http.Route.BASE = emu.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)
    return previous


def restore_discord(previous: tuple[str, yarl.URL]) -> None:
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = previous
