"""A standalone emulator process (`python -m emulator`), for CLI tests whose `check` asks Discord about the token."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class EmulatorProcess:
    api_base: str
    gateway_url: str
    token: str

    def env(self) -> dict[str, str]:
        return {"DISCORD_API_BASE": self.api_base, "DISCORD_GATEWAY_URL": self.gateway_url}


@pytest.fixture(scope="session")
def emulator_process() -> Iterator[EmulatorProcess]:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    try:
        lines = dict(process.stdout.readline().strip().split("=", 1) for _ in range(3))
        # Keep reading what it prints afterwards, so a full pipe never blocks it.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield EmulatorProcess(lines["DISCORD_API_BASE"], lines["DISCORD_GATEWAY_URL"], lines["DISCORD_TOKEN"])
    finally:
        process.terminate()
        process.wait(10)
