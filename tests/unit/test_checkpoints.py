"""Checkpointed side effects: each step reuses, finds (on recovery) or creates, and always records."""

from __future__ import annotations

from bot.checkpoints import Step, checkpoint


class Discord:
    """Stands in for Discord and the database: what was made, and what was recorded."""

    def __init__(self, orphan: int | None = None) -> None:
        self.made: list[int] = []
        self.recorded: list[int] = []
        self.orphan = orphan

    async def create(self) -> int:
        self.made.append(100 + len(self.made))
        return self.made[-1]

    async def record(self, thing: int) -> None:
        self.recorded.append(thing)

    async def find(self) -> int | None:
        return self.orphan

    def step(self, recorded: int | None = None) -> Step:
        return Step("thread", recorded, self.create, self.record, self.find)


async def test_a_recorded_step_is_reused_and_nothing_is_made_or_written() -> None:
    discord = Discord(orphan=7)
    done = await checkpoint(discord.step(recorded=42), recovering=True)
    assert (done.id, done.created) == (42, False)
    assert discord.made == [] and discord.recorded == []


async def test_a_fresh_claim_creates_and_records_without_looking() -> None:
    discord = Discord(orphan=7)  # even if something looked like ours, a fresh claim made nothing before
    done = await checkpoint(discord.step(), recovering=False)
    assert (done.id, done.created) == (100, True)
    assert discord.made == [100] and discord.recorded == [100]


async def test_a_recovered_claim_records_the_orphan_it_finds() -> None:
    # The defect this fixes: an orphan found by name was used but never recorded, so a second crash
    # led to a second opening message.
    discord = Discord(orphan=7)
    done = await checkpoint(discord.step(), recovering=True)
    assert (done.id, done.created) == (7, False)
    assert discord.made == [] and discord.recorded == [7]


async def test_a_recovered_claim_with_no_orphan_creates_and_records() -> None:
    discord = Discord(orphan=None)
    done = await checkpoint(discord.step(), recovering=True)
    assert (done.id, done.created) == (100, True)
    assert discord.recorded == [100]


async def test_a_step_without_a_finder_creates_on_recovery() -> None:
    discord = Discord(orphan=7)
    step = Step("intro", None, discord.create, discord.record)
    assert (await checkpoint(step, recovering=True)).id == 100
