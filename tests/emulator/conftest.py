"""Fixtures: an emulator with the default world, and a real discord.py bot connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import discord
import pytest

from emulator import Emulator, World

from .testbot import EchoBot, point_discord_at, restore_discord

StartBot = Callable[..., Awaitable[EchoBot]]


@pytest.fixture
async def start_bot(emu: Emulator, world: World) -> AsyncIterator[StartBot]:
    previous = point_discord_at(emu)
    running: list[tuple[EchoBot, asyncio.Task[None]]] = []

    async def start(
        shard_count: int | None = None, intents: discord.Intents | None = None, sync: bool = True
    ) -> EchoBot:
        client = EchoBot(shard_count=shard_count, intents=intents)
        task = asyncio.create_task(client.start(emu.token))
        running.append((client, task))
        await emu.wait_ready(10, shard_count=shard_count)
        await asyncio.wait_for(client.ready_event.wait(), 10)
        if sync:
            await client.tree.sync()
        return client

    yield start
    for client, task in running:
        await client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
    restore_discord(previous)


@pytest.fixture
async def bot(start_bot: StartBot) -> EchoBot:
    return await start_bot()
