"""Before connecting: is the token accepted, and are Discord's REST API and gateway reachable?

A first run's most common mistakes (a reset token, a typo in DISCORD_API_BASE or DISCORD_GATEWAY_URL) would
otherwise surface deep inside discord.py as a long traceback, or as a gateway retry loop that never ends.
Here each one is one line that says what to do. One REST call (``GET /users/@me``, the call discord.py's login
makes) and one gateway connection that reads HELLO and closes without identifying (no session is started).
The token is sent only as the Authorization header and never appears in a message.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import yarl

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg"
HELLO = 10
TIMEOUT_SECONDS = 10.0

# Exit codes, the same for the same mistake in every subcommand (docs/SETUP.md, "When it does not start").
CONFIG_ERROR = 2  # a setting is missing, malformed, or refused by Discord: change the configuration
RUNTIME_ERROR = 1  # a database or Discord cannot be reached or used right now


class Problem(Exception):
    """One line for the user (safe to print: never the token) and the exit code of its kind."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS:g} s"
    text = (str(exc).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def check_discord(token: str, api_base: str | None, gateway_url: str | None) -> None:
    """Raise Problem when Discord refuses the token or cannot be reached; return when all is well."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await _check_token(http, token, api_base)
        await _check_gateway(http, gateway_url)


async def _check_token(http: aiohttp.ClientSession, token: str, api_base: str | None) -> None:
    base = api_base or DISCORD_API_BASE
    where = f"DISCORD_API_BASE ({base})" if api_base else f"Discord's API ({base})"
    try:
        async with http.get(f"{base}/users/@me", headers={"Authorization": f"Bot {token}"}) as response:
            status = response.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise Problem(f"cannot reach {where}: {_reason(exc)}", RUNTIME_ERROR) from None
    if status == 401:
        raise Problem(
            "Discord rejected the token: reset it in the Developer Portal and update DISCORD_TOKEN", CONFIG_ERROR
        )
    if status >= 400:
        raise Problem(f"{where} answered HTTP {status} to GET /users/@me: is it Discord's REST API?", RUNTIME_ERROR)


async def _check_gateway(http: aiohttp.ClientSession, gateway_url: str | None) -> None:
    base = gateway_url or DISCORD_GATEWAY
    where = f"DISCORD_GATEWAY_URL ({base})" if gateway_url else f"Discord's gateway ({base})"
    url = yarl.URL(base).update_query(v="10", encoding="json")
    try:
        async with http.ws_connect(url, autoclose=False, autoping=True) as ws:
            message = await asyncio.wait_for(ws.receive(), TIMEOUT_SECONDS)
            await ws.close()
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise Problem(f"cannot reach {where}: {_reason(exc)}", RUNTIME_ERROR) from None
    try:
        hello = json.loads(message.data) if message.type is aiohttp.WSMsgType.TEXT else None
    except (TypeError, ValueError):
        hello = None
    if not isinstance(hello, dict) or hello.get("op") != HELLO:
        raise Problem(f"{where} did not greet like Discord's gateway (no HELLO): is it the gateway?", RUNTIME_ERROR)
