"""Focus sprints through the real bot process: voice presence, phase changes, restarts, the recap.

Five-minute phases are reached without waiting: the bot is restarted "just before" each phase change
with the e2e clock shift (emulator/timeshift). Every restart is downtime, so voice presence stops at
the last alive mark and restarts from GUILD_CREATE; the truth the test computes counts only the time
the bot was up (plus members who joined by button or command, who stay in the sprint through downtime).
"""

from __future__ import annotations

import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator import Driver, Emulator, World
from emulator.harness import BotProcess

from .test_foundation import answer, text_of

FOCUS, BREAK = 5, 1  # 2 rounds: focus [0, 5), break [5, 6), focus [6, 11), end at 11 (minutes after the start)


def db_path(bot: BotProcess) -> str:
    return bot.database_url.split("///", 1)[1]


def sprint_started_at(bot: BotProcess) -> datetime:
    with sqlite3.connect(db_path(bot)) as conn:
        (raw,) = conn.execute("SELECT started_at FROM sprints ORDER BY id DESC LIMIT 1").fetchone()
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def bot_messages(emu: Emulator, channel: int) -> list[dict[str, Any]]:
    return [m for m in emu.messages(channel) if int(m["author"]["id"]) == emu.bot_user_id]


def focus_overlap(start: datetime, end: datetime, s: datetime) -> float:
    """Seconds of [start, end) inside the focus phases of the sprint that started at s."""
    total = 0.0
    for lo, hi in ((0, FOCUS), (FOCUS + BREAK, 2 * FOCUS + BREAK)):
        a, b = max(start, s + timedelta(minutes=lo)), min(end, s + timedelta(minutes=hi))
        total += max(0.0, (b - a).total_seconds())
    return total


def now() -> datetime:
    return datetime.now(UTC)


async def test_a_two_round_sprint_through_kills_and_gateway_drops(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    g, home, room = world.guild_a, world.circle_home, world.focus_room
    # Three members in the room before the bot comes up: GUILD_CREATE reports them.
    await drv.voice_join(g, world.alice, room, self_deaf=True)
    await drv.voice_join(g, world.bob, room, self_mute=True)
    await drv.voice_join(g, world.carol, room)
    await bot_process.start()
    await answer(drv, g, world.host, "circle create", name="Deep work", channel=home, voice=room)
    for member in (world.alice, world.bob, world.carol, world.dave):
        await answer(drv, g, member, "circle join")

    bad = await answer(drv, g, world.host, "sprint start", focus=181)
    assert "`focus` must be from 5 to 180" in text_of(bad)
    bad = await answer(drv, g, world.host, "sprint start", rounds=13)
    assert "`rounds` must be from 1 to 12" in text_of(bad)
    bad = await answer(drv, g, world.host, "sprint start", tag="x" * 41)
    assert "1–40 characters" in text_of(bad)

    started = await answer(
        drv,
        g,
        world.host,
        "sprint start",
        focus=FOCUS,
        rounds=2,
        intention="@everyone ship it",
        tag="@here ACME",
        **{"break": BREAK},
    )
    assert "Sprint started" in text_of(started)
    run_start = {1: now()}
    await emu.wait_until(lambda: bot_messages(emu, home), 10, "the announcement")
    s = sprint_started_at(bot_process)
    announcement = bot_messages(emu, home)[0]
    assert "Focus · round 1 of 2" in text_of(announcement)
    assert emu.pinged_user_ids(announcement) == frozenset() and not emu.pinged(announcement).everyone
    again = await answer(drv, g, world.alice, "sprint start")
    assert "already running" in text_of(again)
    refused = await answer(drv, g, world.alice, "sprint stop")
    assert "Only the member who started this sprint or a host" in text_of(refused)

    # Dave joins by button; Carol moves to the AFK channel mid-focus.
    buttons = {b["label"]: b["custom_id"] for row in announcement["components"] for b in row["components"]}
    assert set(buttons) == {"Join", "Leave", "Stop"}
    click = await drv.click(g, world.dave, announcement, buttons["Join"])
    await click.response()
    assert click.ephemeral
    dave_joined = now()
    await emu.wait_until(
        lambda: f"<@{world.dave}>" in text_of(emu.message(int(announcement["id"])) or {}), 5, "Dave on the card"
    )
    await drv.voice_move(g, world.carol, world.afk)
    carol_left = now()
    await emu.wait_for_request("PATCH", rf"/channels/{home}/messages/{announcement['id']}$")

    # SIGKILL during focus 1; back 4 seconds before the break.
    await bot_process.stop(signal.SIGKILL)
    run_end = {1: now()}
    offsets: dict[int, timedelta] = {1: timedelta(0)}
    shifted = s + timedelta(minutes=FOCUS) - timedelta(seconds=4)
    offsets[2] = shifted - now()
    await bot_process.start(shifted_to=shifted)
    run_start[2] = now()
    await emu.wait_until(lambda: len(bot_messages(emu, home)) == 2, 25, "the break message")
    brk = bot_messages(emu, home)[1]
    assert "Break" in brk["content"] and "late" not in brk["content"]
    # Mentions only the participants here now: Alice (deafened) and Bob (muted) in the room, Dave by
    # button, the host by command; not Carol (AFK). User text pings nobody.
    assert emu.pinged_user_ids(brk) == frozenset({world.alice, world.bob, world.dave, world.host})
    assert not emu.pinged(brk).everyone

    # The gateway drops twice and resumes; nothing is lost or doubled. (Closed with 4000, which Discord
    # sends on its own errors: an abrupt TCP drop sometimes makes discord.py log a traceback on its way
    # to the same RESUME, which the e2e fixture would count as a crash.)
    for _ in range(2):
        resumes = emu.stats.get("resume", 0)
        assert await emu.drop_gateway(code=4000) == 1
        await emu.wait_until(lambda r=resumes: emu.stats.get("resume", 0) == r + 1, 15, "a RESUME")
    assert len(bot_messages(emu, home)) == 2

    # Killed in the break; back 75 seconds after focus 2 began: that change is posted once, marked late.
    await bot_process.stop(signal.SIGKILL)
    run_end[2] = now()
    shifted = s + timedelta(minutes=FOCUS + BREAK, seconds=75)
    offsets[3] = shifted - now()
    await bot_process.start(shifted_to=shifted)
    run_start[3] = now()
    await emu.wait_until(lambda: len(bot_messages(emu, home)) == 3, 20, "the focus 2 message")
    focus2 = bot_messages(emu, home)[2]
    assert "Focus" in focus2["content"] and "round 2 of 2" in focus2["content"]
    assert "(late)" in focus2["content"]
    assert emu.pinged_user_ids(focus2) == frozenset({world.alice, world.bob, world.dave, world.host})

    # A clean restart 3 seconds before the end: the recap comes once, with the minutes.
    await bot_process.stop()
    run_end[3] = now()
    shifted = s + timedelta(minutes=2 * FOCUS + BREAK) - timedelta(seconds=3)
    offsets[4] = shifted - now()
    await bot_process.start(shifted_to=shifted)
    run_start[4] = now()
    await emu.wait_until(lambda: len(bot_messages(emu, home)) == 4, 25, "the recap")
    recap = bot_messages(emu, home)[3]
    recap_text = text_of(recap)
    assert "Sprint recap" in recap_text
    assert emu.pinged_user_ids(recap) == frozenset() and not emu.pinged(recap).everyone
    run_end[4] = s + timedelta(minutes=2 * FOCUS + BREAK) - offsets[4]

    def in_room_minutes(until_carol: datetime | None = None) -> float:
        seconds = 0.0
        for run in (1, 2, 3, 4):
            lo, hi = run_start[run] + offsets[run], run_end[run] + offsets[run]
            if until_carol is not None:
                hi = min(hi, until_carol)
            seconds += focus_overlap(lo, hi, s)
        return seconds / 60

    truth = {
        world.alice: in_room_minutes(),
        world.bob: in_room_minutes(),
        world.carol: in_room_minutes(until_carol=carol_left),
        world.dave: focus_overlap(dave_joined, s + timedelta(minutes=11), s) / 60,
        world.host: 2 * FOCUS,
    }
    for user, minutes in truth.items():
        line = next((ln for ln in recap_text.splitlines() if f"<@{user}> —" in ln), None)
        if minutes < 0.5 and line is None:
            continue  # under half a minute of focus rounds to nothing: not listed is right too
        assert line is not None, (user, recap_text)
        shown = int(line.split(f"<@{user}> — **")[1].split()[0])
        assert abs(shown - minutes) <= 1, (user, shown, minutes, recap_text)
    assert "\\@everyone ship it" in recap_text or "@\u200beveryone ship it" in recap_text

    # The buttons on the recap record who finished; everything was posted once.
    finish = {b["label"]: b["custom_id"] for row in recap["components"] for b in row["components"]}
    assert set(finish) == {"Yes", "Partly", "No"}
    yes = await drv.click(g, world.dave, recap, finish["Yes"])
    await yes.response()
    assert "Noted: **yes**" in text_of(await yes.final_message())
    partly = await drv.click(g, world.host, recap, finish["Partly"])
    assert "Noted: **partly**" in text_of(await partly.final_message()) and partly.ephemeral
    with sqlite3.connect(db_path(bot_process)) as conn:
        answers = dict(conn.execute("SELECT user_id, finished FROM sprint_participants").fetchall())
    assert answers[world.dave] == "yes" and answers[world.host] == "partly"
    assert len(emu.find_requests("POST", rf"/channels/{home}/messages$")) == 4


async def test_a_scheduled_sprint_with_its_heads_up_exactly_once_across_restarts(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    g, home, room = world.guild_a, world.circle_home, world.focus_room
    slot = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)  # a Thursday, 10:00 in the circle's timezone (UTC)
    await bot_process.start(shifted_to=slot - timedelta(minutes=5, seconds=6))
    await answer(drv, g, world.host, "circle create", name="Focus club", channel=home, voice=room)
    await answer(drv, g, world.alice, "circle join")
    refused = await answer(drv, g, world.alice, "sprint schedule", circle="Focus club", time="10:00", days="daily")
    assert "Only hosts" in text_of(refused)
    saved = await answer(
        drv, g, world.host, "sprint schedule", circle="Focus club", time="10:00", days="weekdays", focus=5, rounds=1
    )
    assert "mon-fri at 10:00" in text_of(saved) and "heads-up 5 minutes before" in text_of(saved)
    info = await answer(drv, g, world.bob, "circle info", circle="Focus club")
    assert "Sprints mon-fri 10:00" in text_of(info)

    await emu.wait_until(lambda: bot_messages(emu, home), 15, "the heads-up")
    heads_up = bot_messages(emu, home)[0]
    assert "starts <t:" in heads_up["content"] and f"<#{room}>" in heads_up["content"]
    assert emu.pinged_user_ids(heads_up) == frozenset()

    # Killed before the slot; back 3 seconds before it: no second heads-up, and the sprint starts.
    await bot_process.stop(signal.SIGKILL)
    await bot_process.start(shifted_to=slot - timedelta(seconds=3))
    await emu.wait_until(lambda: len(bot_messages(emu, home)) == 2, 15, "the scheduled sprint")
    announcement = bot_messages(emu, home)[1]
    assert "Focus sprint · Focus club" in text_of(announcement)
    assert "Focus · round 1 of 1" in text_of(announcement)
    # Another restart inside the slot does not start it again.
    await bot_process.stop(signal.SIGKILL)
    await bot_process.start(shifted_to=slot + timedelta(seconds=40))
    status = await answer(drv, g, world.alice, "sprint status")
    assert "Focus · round 1 of 1" in text_of(status)
    listing = await answer(drv, g, world.alice, "circle list")
    assert "Sprint running" in text_of(listing)
    assert len(bot_messages(emu, home)) == 2
    assert len(emu.find_requests("POST", rf"/channels/{home}/messages$")) == 2


async def test_an_announcement_posted_but_not_recorded_before_a_kill_is_found_not_doubled(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    g, home, room = world.guild_a, world.circle_home, world.focus_room
    await bot_process.start()
    await answer(drv, g, world.host, "circle create", name="Deep work", channel=home, voice=room)
    await answer(drv, g, world.host, "sprint start", focus=FOCUS, rounds=2, **{"break": BREAK})
    await emu.wait_until(lambda: bot_messages(emu, home), 10, "the announcement")
    announcement = bot_messages(emu, home)[0]
    s = sprint_started_at(bot_process)
    # Where a kill between posting the announcement and recording it would have left the database.
    await bot_process.stop(signal.SIGKILL)
    with sqlite3.connect(db_path(bot_process)) as conn:
        conn.execute("UPDATE sprints SET message_id = NULL")
    await bot_process.start(shifted_to=s + timedelta(minutes=FOCUS) - timedelta(seconds=3))
    await emu.wait_until(lambda: len(bot_messages(emu, home)) == 2, 20, "the break message")
    assert "Break" in bot_messages(emu, home)[1]["content"]
    await emu.wait_until(
        lambda: "Break · round 1 of 2" in text_of(emu.message(int(announcement["id"])) or {}), 5, "the edit"
    )
    assert len(emu.find_requests("POST", rf"/channels/{home}/messages$")) == 2  # no second announcement
    with sqlite3.connect(db_path(bot_process)) as conn:
        (recorded,) = conn.execute("SELECT message_id FROM sprints").fetchone()
    assert recorded == int(announcement["id"])
