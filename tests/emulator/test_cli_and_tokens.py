"""The standalone command line, and Discord-shaped tokens."""

from __future__ import annotations

import asyncio
import re
import sys

import aiohttp
import pytest

from emulator import Emulator
from emulator.core import make_token, token_user_id

pytestmark = pytest.mark.asyncio

DISCORD_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{10,}$")


async def test_tokens_look_like_discords_and_carry_the_bot_id() -> None:
    emu = Emulator()
    assert DISCORD_TOKEN_SHAPE.match(emu.token)
    assert token_user_id(emu.token) == emu.bot_user_id == emu.application_id
    chosen = make_token(1234567890123456789)
    assert Emulator(token=chosen).bot_user_id == 1234567890123456789
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        Emulator(host="0.0.0.0")


async def test_standalone_prints_the_endpoints() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "emulator", "--port", "0", stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        lines: dict[str, str] = {}
        for _ in range(3):
            key, value = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip().split("=", 1)
            lines[key] = value
        assert lines["DISCORD_API_BASE"].startswith("http://127.0.0.1:")
        assert lines["DISCORD_GATEWAY_URL"].startswith("ws://127.0.0.1:")
        headers = {"Authorization": f"Bot {lines['DISCORD_TOKEN']}"}
        url = f"{lines['DISCORD_API_BASE']}/gateway/bot"
        async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
            assert (await response.json())["url"] == lines["DISCORD_GATEWAY_URL"]
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
