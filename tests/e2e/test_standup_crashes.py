"""SIGKILL at each step boundary of a standup's opening: one thread, one opening, answerable, summarised.

The emulator holds one request unanswered (``Emulator.hold``) and the test kills the bot while Discord is
still working on it, so each kill lands on an exact step. Where a kill would leave Discord ahead of the
database (the thread made, its id not yet written), the database is put back to that state after the
kill. The restarted process takes the dead holder's claim over as soon as its heartbeat has run out,
well before the 2-minute lease.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from datetime import datetime, timedelta

from emulator import Driver, Emulator, World
from emulator.harness import BotProcess

from .test_foundation import answer, text_of
from .test_standups import berlin

# The dead holder's heartbeat runs out after 20 s (bot/db/liveness.py); the target is 30 s.
TAKEOVER_TARGET_SECONDS = 30


FIRST_START = berlin(9, 30, 0)


async def _schedule_a_standup_that_opens_now(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess, hold: str, *, reaches_discord: bool
) -> int:
    """Start the bot inside today's window and schedule; the opening stops at the held request."""
    g, home = world.guild_a, world.circle_home
    await bot_process.start(shifted_to=FIRST_START)
    await answer(drv, g, world.host, "circle create", name="Crew", channel=home, timezone="Europe/Berlin")
    await answer(drv, g, world.alice, "circle join")
    held = emu.hold("POST", hold)
    saved = await answer(drv, g, world.host, "standup schedule", time="09:00", days="daily", window_hours=2)
    assert "opens right now" in text_of(saved)
    await emu.wait_until(held.arrived.is_set, 15, "the held request")
    await bot_process.stop(signal.SIGKILL)
    held.release(process=reaches_discord)
    return home


def _database(bot_process: BotProcess) -> str:
    return bot_process.database_url.split("///", 1)[1]


async def _restart_and_check(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess, home: int, at: datetime | None = None
) -> None:
    started = time.monotonic()
    await bot_process.start(shifted_to=at or berlin(9, 31, 0))
    await emu.wait_until(
        lambda: len(emu.threads(home)) == 1 and len(emu.messages(int(emu.threads(home)[0]["id"]))) == 1,
        TAKEOVER_TARGET_SECONDS + 5,
        "the standup to be open",
    )
    thread = int(emu.threads(home)[0]["id"])
    await emu.wait_until(lambda: _status(bot_process) == "open", TAKEOVER_TARGET_SECONDS + 5, "status open")
    assert time.monotonic() - started < TAKEOVER_TARGET_SECONDS + 5  # READY comes a second or two after start

    # Answerable: the button opens the form (no "Something went wrong"), the answer lands in the thread.
    opening = emu.messages(thread)[0]
    button = opening["components"][0]["components"][0]["custom_id"]
    click = await drv.click(world.guild_a, world.alice, opening, button)
    await click.response()
    assert click.modal is not None
    # Summarised: a kill at the close's slot is not this test's subject; the close comes at the window's end.
    await bot_process.stop(signal.SIGKILL)
    await bot_process.start(shifted_to=berlin(11, 0, 30))
    await emu.wait_until(lambda: _status(bot_process) == "closed", 20, "the close")
    texts = [text_of(m) for m in emu.messages(thread)]
    assert len(texts) == 2, texts  # the opening, then the summary
    assert len(emu.threads(home)) == 1
    assert len(emu.find_requests("POST", rf"/channels/{home}/threads$")) <= 2  # one made, maybe one held and killed
    openings = [m for m in emu.messages(thread) if m.get("components")]
    assert len(openings) == 1


def _status(bot_process: BotProcess) -> str | None:
    with sqlite3.connect(_database(bot_process)) as conn:
        row = conn.execute("SELECT status FROM standup_occurrences").fetchone()
    return None if row is None else str(row[0])


async def test_killed_after_the_thread_exists_but_before_its_id_was_recorded(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    began = time.monotonic()
    home = await _schedule_a_standup_that_opens_now(
        emu, world, drv, bot_process, r"/channels/\d+/messages$", reaches_discord=False
    )
    with sqlite3.connect(_database(bot_process)) as conn:
        conn.execute("UPDATE standup_occurrences SET thread_id = NULL")  # Discord was ahead of the database
    assert len(emu.threads(home)) == 1
    # Restarted at once, its clock going on from where the dead process's was: the claim is taken over
    # when the dead holder's heartbeat runs out, not after the 2-minute lease.
    now = FIRST_START + timedelta(seconds=time.monotonic() - began)
    await _restart_and_check(emu, world, drv, bot_process, home, at=now)


async def test_killed_twice_the_thread_found_again_is_recorded_before_the_next_step(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    # The defect: a takeover found the thread by name but never recorded it, so a second takeover
    # (after a second crash) posted a second opening message.
    home = await _schedule_a_standup_that_opens_now(
        emu, world, drv, bot_process, r"/channels/\d+/messages$", reaches_discord=False
    )
    with sqlite3.connect(_database(bot_process)) as conn:
        conn.execute("UPDATE standup_occurrences SET thread_id = NULL")
    thread = int(emu.threads(home)[0]["id"])
    held = emu.hold("POST", rf"/channels/{thread}/messages$")
    await bot_process.start(shifted_to=berlin(9, 30, 30))
    await emu.wait_until(held.arrived.is_set, TAKEOVER_TARGET_SECONDS + 5, "the takeover's opening message")
    await bot_process.stop(signal.SIGKILL)
    held.release(process=False)
    with sqlite3.connect(_database(bot_process)) as conn:
        recorded = conn.execute("SELECT thread_id FROM standup_occurrences").fetchone()[0]
    assert recorded == thread  # recorded before the next step, though it was found, not made
    await _restart_and_check(emu, world, drv, bot_process, home)


async def test_killed_after_the_opening_exists_but_before_it_is_marked_open(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    # Hold the first request after the opening message: the opening is out, mark_open not yet run
    # (the message id comes back only with the response the bot never read).
    home = await _schedule_a_standup_that_opens_now(
        emu, world, drv, bot_process, r"/channels/\d+/messages$", reaches_discord=True
    )
    thread = int(emu.threads(home)[0]["id"])
    # The held post went through once released: Discord has the opening, the database does not.
    await emu.wait_until(lambda: len(emu.messages(thread)) == 1, 10, "the opening, posted after the kill")
    assert _status(bot_process) == "claimed"
    await _restart_and_check(emu, world, drv, bot_process, home)
