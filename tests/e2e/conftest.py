"""The e2e tier: the real `python -m bot` process against the emulator, over loopback.

The emulator runs inside the test's event loop; the bot is a subprocess on a temporary SQLite database.
Tests stop it with SIGTERM or SIGKILL and start it again on the same database. Every test ends by
asserting that the bot used no route the emulator does not know.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.emulator import Driver, Emulator, World, default_world

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"
TIMESHIFT = Path(__file__).parent / "timeshift"
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


class BotProcess:
    """One bot installation (a database) that can be started, killed and started again."""

    def __init__(self, emu: Emulator, workdir: Path) -> None:
        self.emu = emu
        self.workdir = workdir
        self.database_url = f"sqlite+aiosqlite:///{workdir / 'circles.db'}"
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def env(self, shifted_to: datetime | None, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "SHARD_"))}
        env.update(
            DISCORD_TOKEN=TOKEN,
            DATABASE_URL=self.database_url,
            DISCORD_API_BASE=self.emu.api_base,
            DISCORD_GATEWAY_URL=self.emu.gateway_url,
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        if shifted_to is not None:
            # The bot process believes it is `shifted_to` now (see timeshift/sitecustomize.py).
            env["COWORK_E2E_TIME_OFFSET"] = str((shifted_to - datetime.now(UTC)).total_seconds())
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TIMESHIFT), env.get("PYTHONPATH")]))
        env.update(extra)
        return env

    async def start(self, *, shifted_to: datetime | None = None, wait: bool = True, **extra: str) -> None:
        assert self.process is None or self.process.returncode is not None, "already running"
        identifies_before = self.identifies()
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.workdir,
            env=self.env(shifted_to, extra),
            stdout=log,
            stderr=log,
        )
        log.close()
        self.starts += 1
        if wait:
            await self.emu.wait_until(
                lambda: self.identifies() > identifies_before or self.exited(), 30, "the bot to identify"
            )
            assert not self.exited(), self.log()
            await self.emu.wait_ready(30)

    def identifies(self) -> int:
        return self.emu.stats.get("identify", 0)

    def exited(self) -> bool:
        return self.process is not None and self.process.returncode is not None

    async def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 15) -> int:  # noqa: ASYNC109
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        # Let the emulator notice the closed socket before anyone waits for a fresh READY.
        await self.emu.wait_until(lambda: not self.emu.connected_shards, 10, "the gateway to see the bot go")
        return code

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN) as emulator:
        yield emulator
        # The strictness contract: the bot used only routes Discord has, and the emulator did not crash.
        assert emulator.unhandled == [], [(r.method, r.path) for r in emulator.unhandled]
        assert emulator.errors == [], emulator.errors


@pytest.fixture
def world(emu: Emulator) -> World:
    return default_world(emu)


@pytest.fixture
def drv(emu: Emulator) -> Driver:
    return Driver(emu)


@pytest.fixture
async def bot_process(emu: Emulator, world: World, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(emu, tmp_path)
    yield process
    if process.process is not None and process.process.returncode is None:
        process.process.kill()
        await process.process.wait()
    for line in process.log().splitlines():
        assert "Traceback" not in line or "ref " in line, process.log()


@pytest.fixture
async def running_bot(bot_process: BotProcess) -> BotProcess:
    await bot_process.start()
    return bot_process
