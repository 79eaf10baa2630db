"""Accountability partners through the real bot process: a round's private threads and intros, a goal set
from the thread's button and completed with /goal done, the end of the cycle with "Did you meet?" and the
partner's confirmation, guild isolation, and a SIGKILL in the middle of making a round's threads."""

from __future__ import annotations

import re
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emulator import Driver, Emulator, World
from emulator.driver import DriverError
from emulator.harness import BotProcess

from .test_foundation import answer, text_of

PRIVATE_THREAD = 12


async def pairing_circle(drv: Driver, world: World, members: tuple[int, ...]) -> None:
    g, home = world.guild_a, world.circle_home
    await answer(drv, g, world.host, "circle create", name="Pairs", channel=home, timezone="Europe/Berlin")
    for member in members:
        await answer(drv, g, member, "circle join")
        joined = await answer(drv, g, member, "pair optin")
        assert "You're in the partner pool" in text_of(joined)


def _database(bot_process: BotProcess) -> str:
    return bot_process.database_url.split("///", 1)[1]


def _query(bot_process: BotProcess, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(_database(bot_process)) as conn:
        return list(conn.execute(sql).fetchall())


def _button(message: dict[str, Any], prefix: str) -> str:
    for row in message.get("components") or []:
        for component in row.get("components") or []:
            if str(component.get("custom_id", "")).startswith(prefix):
                return str(component["custom_id"])
    raise AssertionError(f"no button {prefix!r} in {message}")


async def test_a_round_threads_goals_and_the_end_of_the_cycle(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    g, home = world.guild_a, world.circle_home
    pool = (world.host, world.alice, world.bob, world.carol, world.dave)
    await bot_process.start()
    await pairing_circle(drv, world, pool)
    await answer(drv, g, world.alice, "profile timezone", tz="Europe/Berlin")
    await answer(drv, g, world.alice, "profile hours", start="09:00", end="17:00")
    await answer(drv, g, world.alice, "profile about", offers="Copy reviews", asks="@everyone accountability")

    refused = await answer(drv, g, world.alice, "pair now")
    assert "Only hosts" in text_of(refused)
    report = await answer(drv, g, world.host, "pair now")
    assert "2 group(s) of 2, 3" in text_of(report)

    # One private thread per group with exactly its members; an odd pool makes one kind trio.
    threads = emu.threads(home)
    assert len(threads) == 2 and all(t["type"] == PRIVATE_THREAD for t in threads)
    groups = [emu.thread_member_ids(int(t["id"])) - {world.bot} for t in threads]
    assert sorted(len(m) for m in groups) == [2, 3]
    assert set().union(*groups) == set(pool) and sum(map(len, groups)) == len(pool)
    intros = {int(t["id"]): emu.messages(int(t["id"]))[0] for t in threads}
    for thread_id, intro in intros.items():
        members = emu.thread_member_ids(thread_id) - {world.bot}
        assert emu.pinged_user_ids(intro) == frozenset(members)  # the intro pings exactly the group
        assert "<t:" in text_of(intro) and "Local time now:" in text_of(intro)
        assert ("nobody gets left out" in text_of(intro)) == (len(members) == 3)
    alice_thread = next(tid for tid in intros if world.alice in emu.thread_member_ids(tid))
    alice_intro = intros[alice_thread]
    assert "09:00–17:00" in text_of(alice_intro) and "(Europe/Berlin)" in text_of(alice_intro)
    assert "@\u200beveryone accountability" in text_of(alice_intro)
    partners = emu.thread_member_ids(alice_thread) - {world.bot, world.alice}
    outsider = next(m for m in pool if m not in partners and m not in (world.alice, world.host))

    # A goal from the thread's button: a modal, then a note in the thread that pings nobody.
    goal_button = _button(alice_intro, "pair-goal:")
    with pytest.raises(DriverError, match="cannot see channel"):
        await drv.click(g, outsider, alice_intro, goal_button)  # other groups never see this thread
    click = await drv.click(g, world.alice, alice_intro, goal_button)
    await click.response()
    assert click.modal is not None
    submit = await drv.submit_modal(
        g, world.alice, click.modal["custom_id"], {"text": "@everyone ship the landing page", "due": "tomorrow"}
    )
    note = await submit.final_message()
    assert not submit.ephemeral and "set a goal" in note["content"]
    assert emu.pinged(note).nobody

    # /goal done, autocompleted from Alice's own open goals: a short note in her pair thread.
    choices = await drv.autocomplete(g, world.alice, "goal done", focused="goal")
    assert [c["name"] for c in choices] == ["@everyone ship the landing page"]
    assert await drv.autocomplete(g, outsider, "goal done", focused="goal") == []
    done = await answer(drv, g, world.alice, "goal done", goal=choices[0]["value"])
    assert "Well done" in text_of(done)
    await emu.wait_until(lambda: "finished a goal" in emu.messages(alice_thread)[-1]["content"], 5, "the note")
    assert emu.pinged(emu.messages(alice_thread)[-1]).nobody
    seen = await answer(drv, g, next(iter(partners)), "goal list", member=world.alice)
    assert "ship the landing page" in text_of(seen)
    hidden = await answer(drv, g, outsider, "goal list", member=world.alice)
    assert "while you are their partner" in text_of(hidden)

    # Guild B: the host is a member there too, and sees nothing of guild A's pairing.
    status_b = await answer(drv, world.guild_b, world.host, "pair status")
    assert "No partners right now" in text_of(status_b)
    await answer(drv, g, world.host, "goal add", text="Host's own goal in guild A")
    assert await drv.autocomplete(world.guild_b, world.host, "goal done", focused="goal") == []
    goals_b = await answer(drv, world.guild_b, world.host, "goal list")
    assert "No goals yet" in text_of(goals_b)
    assert world.eve not in set().union(*(emu.thread_member_ids(int(t["id"])) for t in threads))

    # Half a week on: the check-in, with a gentle nudge to the partners of whoever has been quiet.
    before = len(emu.messages(alice_thread))
    await bot_process.stop()
    await bot_process.start(shifted_to=datetime.now(UTC) + timedelta(days=3, hours=12, minutes=1))
    group_size = len(emu.thread_member_ids(alice_thread) - {world.bot})
    # Nobody did anything for three and a half days: the check-in, then one nudge about each member.
    await emu.wait_until(lambda: len(emu.messages(alice_thread)) == before + 1 + group_size, 20, "the check-in")
    nudged = "SELECT count(*) FROM pair_group_members WHERE nudged_at IS NOT NULL"
    assert _query(bot_process, nudged) == [(len(pool),)]
    later = emu.messages(alice_thread)[before:]
    assert "Halfway through the cycle" in later[0]["content"] and emu.pinged(later[0]).nobody
    nudges = [m for m in later if "quiet for a few days" in (m.get("content") or "")]
    assert len(nudges) == group_size
    for nudge in nudges:
        quiet = int(re.search(r"<@(\d+)> has been quiet", nudge["content"])[1])  # type: ignore[index]
        assert emu.pinged_user_ids(nudge) == frozenset(emu.thread_member_ids(alice_thread) - {world.bot, quiet})
    for public in (home, world.general):  # nothing about it is ever posted anywhere public
        assert not any("quiet" in (m.get("content") or "") for m in emu.messages(public))

    # Six days on: "Did you meet?" and the goals for the partner to confirm.
    before = len(emu.messages(alice_thread))
    await bot_process.stop()
    await bot_process.start(shifted_to=datetime.now(UTC) + timedelta(days=6, minutes=2))
    await emu.wait_until(
        lambda: any("Did you meet?" in (m.get("content") or "") for m in emu.messages(alice_thread)), 20, "the close"
    )
    later = emu.messages(alice_thread)[before:]
    close = next(m for m in later if "Did you meet?" in (m.get("content") or ""))
    assert emu.pinged(close).nobody and "ship the landing page" in close["content"]
    partner = next(iter(partners))
    for member in (world.alice, partner):
        met = await drv.click(g, member, close, _button(close, "pair-met:"))
        assert "Noted that you met" in text_of(await met.final_message()) and met.ephemeral
    [(goal_id,)] = _query(bot_process, f"SELECT id FROM goals WHERE user_id = {world.alice}")
    group = _button(close, "pair-met:").split(":")[1]
    alices = f"pair-confirm:{group}:{goal_id}:done"
    own = await drv.click(g, world.alice, close, alices)
    assert "Your partner confirms" in text_of(await own.final_message())
    confirm = await drv.click(g, partner, close, alices)
    assert "Confirmed: done" in text_of(await confirm.final_message())
    await emu.wait_until(
        lambda: _query(bot_process, "SELECT status FROM pair_rounds") == [("closed",)], 10, "the round closed"
    )
    confirmed = f"SELECT outcome, confirmed_by_user_id FROM goals WHERE user_id = {world.alice}"
    assert _query(bot_process, confirmed) == [("done", partner)]
    history = await answer(drv, g, world.alice, "pair history")
    assert "met (confirmed)" in text_of(history) and "goals 1/1 done" in text_of(history)


async def test_sigkill_while_making_threads_gives_every_group_exactly_one(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    g, home = world.guild_a, world.circle_home
    await bot_process.start()
    await pairing_circle(drv, world, (world.alice, world.bob, world.carol, world.dave))
    # Discord makes the first thread, but the process dies before it hears back (so never records it).
    held = emu.hold("POST", rf"/channels/{home}/threads$")
    await drv.slash(g, world.host, "pair now")
    await emu.wait_until(held.arrived.is_set, 15, "the first thread")
    await bot_process.stop(signal.SIGKILL)
    held.release(process=True)
    await emu.wait_until(lambda: len(emu.threads(home)) == 1, 5, "the orphan thread")
    assert _query(bot_process, "SELECT thread_id FROM pair_groups") == [(None,), (None,)]

    # The restarted process takes the dead claim over, finds the orphan by its name, and finishes.
    await bot_process.start()
    await emu.wait_until(
        lambda: _query(bot_process, "SELECT status FROM pair_rounds") == [("open",)], 40, "the round to open"
    )
    threads = emu.threads(home)
    assert len(threads) == 2
    recorded = {row[0] for row in _query(bot_process, "SELECT thread_id FROM pair_groups")}
    assert recorded == {int(t["id"]) for t in threads}
    members = [emu.thread_member_ids(int(t["id"])) - {world.bot} for t in threads]
    assert sorted(len(m) for m in members) == [2, 2]
    assert set().union(*members) == {world.alice, world.bob, world.carol, world.dave}
    for thread in threads:
        intros = [m for m in emu.messages(int(thread["id"])) if m.get("components")]
        assert len(intros) == 1


async def test_a_member_who_left_the_server_does_not_stop_the_round(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    g, home = world.guild_a, world.circle_home
    await bot_process.start()
    await pairing_circle(drv, world, (world.alice, world.bob, world.carol))
    emu.remove_member(g, world.carol)  # still in the pool: the bot has not been told yet
    report = await answer(drv, g, world.host, "pair now")
    assert "1 group(s) of 3" in text_of(report)
    [thread] = emu.threads(home)
    assert emu.thread_member_ids(int(thread["id"])) == {world.bot, world.alice, world.bob}
    await emu.wait_until(
        lambda: _query(bot_process, "SELECT status FROM pair_rounds") == [("open",)], 10, "the round to open"
    )
