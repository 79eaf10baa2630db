"""Every place the bot leans on a discord.py name that is not public API, in one module.

tests/meta/test_discord_seams.py checks each of them against the installed discord.py, so an upgrade
that moves one fails there, with its name, instead of somewhere in a running bot. Everything else uses
discord.py's public API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import discord
import yarl

from bot.pacing import Pacer

# Discord exempts interaction responses and followups from the global rate limit.
INTERACTION_PATHS = ("/interactions/", "/webhooks/")
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440


def point_at_endpoints(api_base: str | None, gateway_url: str | None) -> None:
    """Send REST and the gateway to another place (a rate-limit proxy, or the local emulator).

    discord.py reads ``Route.BASE`` for every request and falls back to
    ``DiscordWebSocket.DEFAULT_GATEWAY`` whenever it has no gateway URL from Discord (explicit shard
    counts, invalidated sessions).
    """
    if api_base:
        discord.http.Route.BASE = api_base
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def use_gateway(http: discord.http.HTTPClient, url: str) -> None:
    """With automatic sharding discord.py connects to the URL that GET /gateway/bot names; keep the
    shard count it recommends but connect to the configured gateway instead."""
    ask = http.get_bot_gateway

    async def get_bot_gateway() -> Any:
        shards, _discord_url, limits = await ask()
        return shards, url, limits

    http.get_bot_gateway = get_bot_gateway  # type: ignore[method-assign]


def pace_requests(http: discord.http.HTTPClient, pacer: Pacer) -> None:
    """Every REST call except interaction answers waits for the pacer (those have no global limit)."""
    send = http.request

    async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
        if not route.path.startswith(INTERACTION_PATHS):
            await pacer.acquire()
        return await send(route, **kwargs)

    http.request = paced  # type: ignore[method-assign]


async def start_public_thread(client: discord.Client, channel_id: int, name: str, reason: str) -> int:
    """A public thread without a starter message, by channel id alone: the channel object may not be
    cached (the guilds intent caches it, but not before GUILD_CREATE), and one request is all it takes."""
    thread = await client.http.start_thread_without_message(
        channel_id,
        name=name,
        auto_archive_duration=THREAD_ARCHIVE_MINUTES,
        type=discord.ChannelType.public_thread.value,
        reason=reason,
    )
    return int(thread["id"])


async def archive_thread(client: discord.Client, thread_id: int, reason: str) -> None:
    """Archive a thread by id, without fetching it first."""
    await client.http.edit_channel(thread_id, archived=True, reason=reason)


def tap_gateway_event(client: discord.Client, event: str, tap: Callable[[dict[str, Any]], None]) -> None:
    """Call ``tap`` with each raw ``event`` payload, in gateway order, before discord.py parses it.

    For the hot voice path: discord.py hands listeners the member's *cached* VoiceState, which later
    events for the same member change in place before the listener task runs, so in a burst a listener
    sees a move as a leave (and misses joins). The raw payload is what Discord said, when it said it.
    The websocket looks parsers up in ``ConnectionState.parsers`` (the same dict) for every dispatch.
    """
    parsers: dict[str, Callable[[Any], None]] = client._connection.parsers
    parse = parsers[event]

    def tapped(data: Any) -> None:
        tap(data)
        parse(data)

    parsers[event] = tapped
