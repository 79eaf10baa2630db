"""The e2e tier: the real `python -m bot` process against the emulator, over loopback.

The emulator runs inside the test's event loop; the bot is a subprocess on a temporary SQLite database.
Tests stop it with SIGTERM or SIGKILL and start it again on the same database. Every test ends by
asserting that the bot used no route the emulator does not know.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulator import Emulator, World
from emulator.harness import BotProcess


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark this tier, so `pytest -m "not e2e"` runs everything but the bot processes."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


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
