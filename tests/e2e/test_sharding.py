"""Two bot processes, one shard each, on one database: each answers and schedules only its own guilds."""

from __future__ import annotations

import re
from pathlib import Path

from bot.scheduling import shard_owner
from emulator import Driver, Emulator, World
from emulator.harness import BotProcess

from .test_foundation import answer, text_of


async def test_two_processes_split_the_guilds(emu: Emulator, world: World, drv: Driver, tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    processes = [BotProcess(emu, tmp_path / f"shard{i}", database_url) for i in (0, 1)]
    for process in processes:
        process.workdir.mkdir()
    try:
        await processes[0].start(wait=False, SHARD_COUNT="2", SHARD_IDS="0")
        await processes[1].start(SHARD_COUNT="2", SHARD_IDS="1")
        await emu.wait_ready(30, shard_count=2)
        assert emu.connected_shards == {0, 1}

        for guild, user, home in (
            (world.guild_a, world.host, world.circle_home),
            (world.guild_b, world.eve, world.general_b),
        ):
            await answer(drv, guild, user, "circle create", name="Early birds", channel=home)
            await answer(drv, guild, user, "circle join")
            # 00:00 daily with a 23-hour window: the window is open now, so the standup opens at once.
            saved = await answer(drv, guild, user, "standup schedule", time="00:00", days="daily", window_hours=23)
            assert "opens right now" in text_of(saved) or "Next opens" in text_of(saved)

        # Each guild's standup opens exactly once, from the process that owns the guild's shard.
        for home in (world.circle_home, world.general_b):
            await emu.wait_until(lambda home=home: len(emu.threads(home)) == 1, 15, "the standup thread")
        owner_a = 0 if shard_owner(2, [0])(world.guild_a) else 1
        for shard, process in enumerate(processes):
            await emu.wait_until(lambda p=process: "ready: 1 guilds" in p.log(), 10, "READY in the log")
            assert f"ready: 1 guilds on shards [{shard}] of 2" in process.log()
        # Commands belong to the application: only the process running shard 0 syncs them.
        assert re.search(r"synced \d+ commands", processes[0].log())  # as many as the features add
        assert "synced" not in processes[1].log()
        # Each standup was opened by the process whose shard owns its guild, and only by that one.
        for guild, owner in ((world.guild_a, owner_a), (world.guild_b, 1 - owner_a)):
            opened = f"(guild {guild})"
            await emu.wait_until(lambda p=processes[owner], o=opened: o in p.log(), 10, "the opening in the log")
            assert opened not in processes[1 - owner].log()
        assert [len(emu.threads(h)) for h in (world.circle_home, world.general_b)] == [1, 1]
    finally:
        for process in processes:
            if process.process is not None and process.process.returncode is None:
                await process.stop()
    for process in processes:
        assert "Traceback" not in process.log(), process.log()
