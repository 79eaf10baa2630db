"""The floor for bench/interactions.py: a bare discord.py bot that only answers.

It offers the same interactions as the real bot (`/circle list`, `/standup post` or an opening
message's button opening a modal of three paragraph fields, and the modal's submit) and by default
answers each with a one-line ephemeral message, touching no database. Whatever the real bot costs above
this is the cost of Cowork Circles itself; the FLOOR_* switches below add the least of what an answer
needs (a commit, a post, an answer-shaped reply), to see where that cost goes.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import discord
from discord import app_commands
from sqlalchemy import BigInteger, Column, MetaData, Table, Text
from sqlalchemy.dialects import sqlite

from bot.db import Database
from bot.discord_seams import pace_requests, point_at_endpoints
from bot.pacing import Pacer

# FLOOR_POSTS=1: also post one message per modal submit, so the floor does the same Discord work as the bot.
POSTS = os.environ.get("FLOOR_POSTS") == "1"
# FLOOR_COMMITS=1: also commit one row per modal submit before answering, through the bot's own SQLite
# writer, and pace requests under the global limit as the bot does: the least a bot that keeps answers
# and respects Discord's 50/s can do, to see what is left for the bot's own code.
COMMITS = os.environ.get("FLOOR_COMMITS") == "1"
# FLOOR_SHOWS=1: the reply to a modal submit is a public embed of the answer's shape (author, three fields)
# instead of the ephemeral line: how the bot shows an answer sent from the thread.
SHOWS = os.environ.get("FLOOR_SHOWS") == "1"
ANSWERS = Table("floor_answers", MetaData(), Column("user_id", BigInteger, primary_key=True), Column("text", Text))
UPSERT = sqlite.insert(ANSWERS).on_conflict_do_update(
    index_elements=["user_id"], set_={"text": sqlite.insert(ANSWERS).excluded.text}
)
QUESTIONS = ("What did you get done since last time?", "What will you focus on today?", "Anything blocking you?")


BUTTON = "standup-post:1"


def answer_modal() -> discord.ui.Modal:
    modal = discord.ui.Modal(title="Standup", custom_id="standup-answer:1")
    for index, question in enumerate(QUESTIONS):
        modal.add_item(discord.ui.TextInput(label=question, custom_id=f"q{index}", style=discord.TextStyle.paragraph))
    modal.stop()  # handled in on_interaction, as the real bot does
    return modal


def answer_embed(user: discord.User | discord.Member) -> discord.Embed:
    embed = discord.Embed(colour=discord.Colour.green())
    embed.set_author(
        name=user.display_name, icon_url=user.display_avatar.url, url=f"https://discord.com/users/{user.id}"
    )
    for question, text in zip(QUESTIONS, ("Sent the proposal", "Landing page", "none"), strict=True):
        embed.add_field(name=question, value=text, inline=False)
    return embed


class FloorBot(discord.AutoShardedClient):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.voice_states = True
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none())
        self.tree = app_commands.CommandTree(self)
        self.db = Database("sqlite+aiosqlite:///floor.db") if COMMITS else None
        if COMMITS:
            pace_requests(self.http, Pacer())
        circle = app_commands.Group(name="circle", description="circles")
        standup = app_commands.Group(name="standup", description="standups")

        @circle.command(name="list", description="list")
        async def circle_list(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("ok", ephemeral=True)

        @standup.command(name="post", description="post")
        async def standup_post(interaction: discord.Interaction[Any], circle: str | None = None) -> None:
            await interaction.response.send_modal(answer_modal())

        @standup.command(name="open", description="open")
        async def standup_open(interaction: discord.Interaction[Any]) -> None:
            # The opening message's shape (an embed and the answer button), so that forms opened from its
            # button reach the floor with the same payloads as the bot's (a modal submit carries the message).
            embed = discord.Embed(title="Standup · Thu 3 Dec", description="\n".join(QUESTIONS))
            view = discord.ui.View(timeout=None)
            view.add_item(discord.ui.Button(label="Post my standup", custom_id=BUTTON))
            view.stop()  # handled in on_interaction, as the real bot does
            await interaction.response.send_message(embed=embed, view=view)

        self.tree.add_command(circle)
        self.tree.add_command(standup)

    async def setup_hook(self) -> None:
        if self.db is not None:
            async with self.db.engine.begin() as conn:
                await conn.run_sync(ANSWERS.metadata.create_all)
        await self.tree.sync()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.component:
            await interaction.response.send_modal(answer_modal())
        elif interaction.type is discord.InteractionType.modal_submit:
            if self.db is not None:
                await self.db.write(UPSERT, {"user_id": interaction.user.id, "text": "Sent the proposal"})
            if SHOWS:
                await interaction.response.send_message(embed=answer_embed(interaction.user))
            else:
                await interaction.response.send_message("ok", ephemeral=True)
            if POSTS and interaction.channel_id is not None:
                # The Discord work a standup answer needs besides the reply: one embed posted in a channel.
                embed = discord.Embed(title="answer", description="Sent the proposal")
                await self.get_partial_messageable(interaction.channel_id).send(embed=embed)


async def main() -> None:
    point_at_endpoints(os.environ["DISCORD_API_BASE"], os.environ["DISCORD_GATEWAY_URL"])
    client = FloorBot()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    runner = asyncio.create_task(client.start(os.environ["DISCORD_TOKEN"]))
    await stop.wait()
    await client.close()
    await asyncio.gather(runner, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
