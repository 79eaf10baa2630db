"""What bot/discord_seams.py relies on inside discord.py: this fails if an upgrade removes it.

DISCORD_API_BASE and DISCORD_GATEWAY_URL work by setting ``discord.http.Route.BASE`` (read for every REST
request, including ``GET /gateway/bot``, which tells an automatically sharded client where the gateway is) and
``DiscordWebSocket.DEFAULT_GATEWAY`` (used whenever discord.py has no gateway URL from Discord: explicit
shard counts, and after an invalidated session).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import discord
import discord.gateway
import discord.http
import discord.shard
import pytest
import yarl

from bot.discord_seams import pace_requests, point_at_endpoints
from bot.pacing import Pacer

API_BASE = "http://127.0.0.1:8555/api/v10"
GATEWAY = "ws://127.0.0.1:8555/gateway"


@pytest.fixture
def restore_endpoints() -> Iterator[None]:
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def test_the_attributes_exist_with_the_expected_types() -> None:
    assert isinstance(discord.http.Route.BASE, str)
    assert discord.http.Route.BASE.startswith("https://discord.com/api/v")
    assert isinstance(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    assert inspect.iscoroutinefunction(discord.http.HTTPClient.get_bot_gateway)


def test_discord_py_still_reads_them_where_we_expect() -> None:
    # Route builds its url from BASE at construction time.
    assert "self.BASE" in inspect.getsource(discord.http.Route.__init__)
    # The sharded client asks REST for the gateway only when the shard count is automatic; otherwise it uses
    # DEFAULT_GATEWAY. The websocket falls back to DEFAULT_GATEWAY as well.
    launch = inspect.getsource(discord.shard.AutoShardedClient.launch_shards)
    assert "get_bot_gateway" in launch and "DEFAULT_GATEWAY" in launch
    assert "DEFAULT_GATEWAY" in inspect.getsource(discord.gateway.DiscordWebSocket.from_client)


@pytest.mark.usefixtures("restore_endpoints")
def test_point_at_endpoints_redirects_rest() -> None:
    point_at_endpoints(API_BASE, None)
    route = discord.http.Route("GET", "/channels/{channel_id}", channel_id=42)
    assert route.url.startswith(API_BASE + "/")
    assert route.url == f"{API_BASE}/channels/42"


@pytest.mark.usefixtures("restore_endpoints")
def test_point_at_endpoints_redirects_the_gateway() -> None:
    before_base = discord.http.Route.BASE
    point_at_endpoints(None, GATEWAY)
    gateway, base = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.http.Route.BASE
    assert gateway == yarl.URL(GATEWAY)
    assert base == before_base  # only what was given changes


@pytest.mark.usefixtures("restore_endpoints")
def test_nothing_given_changes_nothing() -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    point_at_endpoints(None, None)
    after = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    assert after == before


@pytest.mark.usefixtures("restore_endpoints")
async def test_gateway_discovery_goes_through_the_rest_base(monkeypatch: pytest.MonkeyPatch) -> None:
    point_at_endpoints(API_BASE, GATEWAY)
    http = discord.http.HTTPClient(loop=None)  # type: ignore[arg-type]  # no request is really sent
    seen: list[discord.http.Route] = []

    async def request(route: discord.http.Route, **_: Any) -> dict[str, Any]:
        seen.append(route)
        return {"shards": 2, "url": GATEWAY, "session_start_limit": {}}

    monkeypatch.setattr(http, "request", request)
    shards, url, _ = await http.get_bot_gateway()
    assert (shards, url) == (2, GATEWAY)
    (route,) = seen
    assert route.url == f"{API_BASE}/gateway/bot"


def test_the_originals_are_restored() -> None:
    # Runs after the tests above: nothing leaked into the rest of the suite.
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    assert base == "https://discord.com/api/v10"
    assert gateway == yarl.URL("wss://gateway.discord.gg/")


def test_the_http_client_methods_the_seams_wrap_or_call_exist() -> None:
    # pace_requests wraps HTTPClient.request; use_gateway wraps get_bot_gateway; threads by id alone.
    http = discord.http.HTTPClient
    assert inspect.iscoroutinefunction(http.request)
    assert list(inspect.signature(http.request).parameters)[:2] == ["self", "route"]
    start = inspect.signature(http.start_thread_without_message).parameters
    assert {"channel_id", "name", "auto_archive_duration", "type", "reason"} <= set(start)
    edit = inspect.signature(http.edit_channel).parameters
    assert {"channel_id", "reason"} <= set(edit)


async def test_pace_requests_waits_for_the_pacer_except_on_interaction_routes() -> None:
    http = discord.http.HTTPClient(loop=None)  # type: ignore[arg-type]  # no request is really sent
    sent: list[str] = []
    acquired: list[bool] = []

    async def request(route: discord.http.Route, **_: Any) -> None:
        sent.append(route.path)

    class CountingPacer(Pacer):
        async def acquire(self) -> None:
            acquired.append(True)

    http.request = request  # type: ignore[method-assign]
    pace_requests(http, CountingPacer())
    await http.request(discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=1))
    await http.request(discord.http.Route("POST", "/interactions/{i}/{t}/callback", i=1, t="x"))
    assert sent == ["/channels/{channel_id}/messages", "/interactions/{i}/{t}/callback"]
    assert acquired == [True]


def test_the_websocket_looks_gateway_events_up_in_the_connection_state_parsers() -> None:
    """tap_gateway_event replaces an entry of ``ConnectionState.parsers``, the dict the websocket reads."""
    from discord.state import ConnectionState

    source = inspect.getsource(discord.gateway.DiscordWebSocket)
    assert "ws._discord_parsers = client._connection.parsers" in source
    assert "self._discord_parsers[event]" in source
    assert hasattr(ConnectionState, "parse_voice_state_update")
