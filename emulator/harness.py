"""Runs the real bot (``python -m bot``) as a subprocess against an emulator: for e2e tests and benchmarks.

A ``BotProcess`` is one installation (a database) that can be started, killed and started again. With
``shifted_to`` the process believes it is that moment (see ``timeshift/sitecustomize.py``), so a test can
start it just before a reminder or just after a close instead of waiting hours.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from .server import Emulator

# A well-formed token (the bot checks the format); the emulator is told to accept it.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"
TIMESHIFT = Path(__file__).parent / "timeshift"


class BotProcess:
    """One bot installation (a database) that can be started, killed and started again."""

    def __init__(self, emu: Emulator, workdir: Path, database_url: str | None = None, module: str = "bot") -> None:
        self.emu = emu
        self.module = module  # what `python -m` runs: the bot, or a benchmark's stand-in
        self.workdir = workdir
        self.database_url = database_url or f"sqlite+aiosqlite:///{workdir / 'circles.db'}"
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def env(self, shifted_to: datetime | None, extra: dict[str, str]) -> dict[str, str]:
        # Nothing of the caller's own bot configuration leaks in (DEV_GUILD_ID would sync the commands
        # to a guild the emulator does not have).
        own = ("DISCORD_", "DATABASE_", "SHARD_", "DEV_GUILD_ID", "LOG_FORMAT")
        env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
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

    async def start(
        self,
        *,
        shifted_to: datetime | None = None,
        wait: bool = True,
        env: dict[str, str] | None = None,
        **extra: str,
    ) -> None:
        """Start the process; ``env`` and ``extra`` add environment variables (e.g. SHARD_IDS="0")."""
        assert self.process is None or self.process.returncode is not None, "already running"
        identifies_before = self.identifies()
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self.module,
            cwd=self.workdir,
            env=self.env(shifted_to, {**(env or {}), **extra}),
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
        connected = len(self.emu.connected_shards)
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        # Let the emulator notice the closed socket(s) before anyone waits for a fresh READY. Other
        # processes (other shards) may stay connected: wait for fewer connections, not for none.
        await self.emu.wait_until(
            lambda: not self.emu.connected_shards or len(self.emu.connected_shards) < connected,
            10,
            "the gateway to see the bot go",
        )
        return code

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time the bot process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
