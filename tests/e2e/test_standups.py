"""A whole standup day through the real bot process: schedule → wake-up → thread → button → modal →
answer → edit → reminder → close, with SIGKILL restarts in between and the clock moved forward."""

from __future__ import annotations

import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from emulator import Driver, Emulator, World
from emulator.harness import BotProcess

from .test_foundation import answer, text_of

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(hour: int, minute: int, second: int) -> datetime:
    return datetime(2026, 12, 3, hour, minute, second, tzinfo=BERLIN)  # a Thursday


def embeds_text(message: dict[str, Any]) -> str:
    return text_of(message)


async def test_standup_day(emu: Emulator, world: World, drv: Driver, bot_process: BotProcess) -> None:
    g, home = world.guild_a, world.circle_home
    await bot_process.start()
    await answer(drv, g, world.host, "circle create", name="Morning crew", channel=home, timezone="Europe/Berlin")
    for member in (world.host, world.alice, world.bob, world.carol, world.dave):
        await answer(drv, g, member, "circle join", circle="Morning crew")
    await answer(drv, g, world.carol, "standup reminders off")
    await answer(drv, g, world.dave, "away", until="2026-12-04")
    # Restart 10 seconds before 09:00 in Berlin: the standup below is scheduled for "the next minute".
    await bot_process.stop()
    await bot_process.start(shifted_to=berlin(8, 59, 50))

    bad = await answer(drv, g, world.host, "standup schedule", circle="Morning crew", time="9:75", days="daily")
    assert "HH:MM" in text_of(bad)
    refused = await answer(drv, g, world.alice, "standup schedule", circle="Morning crew", time="09:00", days="daily")
    assert "Only hosts" in text_of(refused)
    saved = await answer(
        drv,
        g,
        world.host,
        "standup schedule",
        circle="Morning crew",
        time="09:00",
        days="daily",
        window_hours=1,
        reminder="1",
    )
    assert "Next opens" in text_of(saved)

    # The wake-up at 09:00 opens a public thread in the circle's home with the opening message.
    created = await emu.wait_for_request("POST", rf"/channels/{home}/threads$", timeout=20)
    thread = emu.threads(home)[0]
    assert thread["name"] == "Standup · Thu 3 Dec"
    assert thread["type"] == 11
    opening_request = await emu.wait_for_request("POST", rf"/channels/{thread['id']}/messages$", after=created)
    opening = emu.messages(int(thread["id"]))[0]
    assert opening["id"] == opening_request.response["id"]
    assert "What will you focus on today?" in text_of(opening)
    button = opening["components"][0]["components"][0]
    assert button["label"] == "Post my standup"
    occurrence = button["custom_id"].split(":")[1]

    # Alice: button → modal → answer (with @everyone in it, which must ping nobody).
    click = await drv.click(g, world.alice, opening, button["custom_id"])
    await click.response()
    modal = click.modal
    assert modal is not None and modal["custom_id"] == f"standup-answer:{occurrence}"
    # Bob opens his form (through /standup post) while Alice's is still open: both must land.
    bob = await drv.slash(g, world.bob, "standup post", circle="Morning crew")
    await bob.response()
    assert bob.modal is not None
    submit = await drv.submit_modal(
        g,
        world.alice,
        modal["custom_id"],
        {"q0": "Sent two proposals", "q1": "Finish the Acme landing page", "q2": "@everyone none really"},
    )
    # From the thread's button, the reply itself is the answer, public in the thread.
    reply = await submit.final_message()
    alice_message = emu.messages(int(thread["id"]))[-1]
    assert alice_message["id"] == reply["id"] and not submit.ephemeral
    assert "Finish the Acme landing page" in text_of(alice_message)
    assert alice_message["embeds"][0]["author"]["name"] == "alice"
    assert emu.pinged_user_ids(alice_message) == frozenset()
    assert not emu.pinged(alice_message).everyone

    # Editing: the modal comes prefilled, and the same message is replaced.
    again = await drv.click(g, world.alice, opening, button["custom_id"])
    await again.response()
    assert again.modal is not None
    prefilled = [c["components"][0].get("value") for c in again.modal["components"]]
    assert prefilled[1] == "Finish the Acme landing page"
    edit = await drv.submit_modal(g, world.alice, modal["custom_id"], {"q1": "Landing page, then invoices"})
    assert "Updated" in text_of(await edit.final_message()) and edit.ephemeral
    await emu.wait_until(
        lambda: "Landing page, then invoices" in text_of(emu.message(int(alice_message["id"])) or {}), 5, "the edit"
    )
    assert len(emu.messages(int(thread["id"]))) == 2

    # Bob submits the form he opened before Alice's answer, with a blocker.
    bob_submit = await drv.submit_modal(
        g,
        world.bob,
        bob.modal["custom_id"],
        {"q0": "Invoices", "q1": "Client call", "q2": "Waiting on client feedback"},
    )
    # From outside the thread, the member is told where the answer went, and it is posted there.
    assert "Posted in" in text_of(await bob_submit.final_message()) and bob_submit.ephemeral
    await emu.wait_until(lambda: len(emu.messages(int(thread["id"]))) == 3, 5, "Bob's answer")

    # Crash in the middle of the window; restart after the reminder time. The reminder comes once,
    # mentions only the host (Carol turned reminders off, Dave is away, Alice and Bob answered),
    # and no second thread is made.
    await bot_process.stop(signal.SIGKILL)
    await bot_process.start(shifted_to=berlin(9, 1, 10))
    await emu.wait_until(lambda: len(emu.messages(int(thread["id"]))) == 4, 10, "the reminder")
    reminder = emu.messages(int(thread["id"]))[-1]
    assert emu.pinged_user_ids(reminder) == frozenset({world.host})
    assert "gentle nudge" in reminder["content"]

    # After the restart the reply's interaction is forgotten: an edit now goes through the channel,
    # as the bot's own message, still in place.
    edits = len(emu.find_requests("PATCH", rf"/channels/{thread['id']}/messages/{alice_message['id']}$"))
    third = await drv.click(g, world.alice, opening, button["custom_id"])
    await third.response()
    fixed = await drv.submit_modal(g, world.alice, modal["custom_id"], {"q0": "Sent three proposals"})
    assert "Updated" in text_of(await fixed.final_message())
    await emu.wait_until(
        lambda: len(emu.find_requests("PATCH", rf"/channels/{thread['id']}/messages/{alice_message['id']}$")) > edits,
        5,
        "the edit through the channel",
    )
    assert "Sent three proposals" in text_of(emu.message(int(alice_message["id"])) or {})
    assert len(emu.messages(int(thread["id"]))) == 4

    # Crash again; restart after the close. The summary celebrates who showed up, lists the blocker
    # with a link, and the thread is archived. Still one thread, one opening, one reminder.
    await bot_process.stop(signal.SIGKILL)
    await bot_process.start(shifted_to=berlin(10, 0, 5))
    await emu.wait_for_request("PATCH", rf"/channels/{thread['id']}$", timeout=10)
    messages = emu.messages(int(thread["id"]))
    summary = messages[-1]
    summary_text = text_of(summary)
    assert "2 of 4" in summary_text
    assert f"<@{world.alice}>" in summary_text and f"<@{world.bob}>" in summary_text
    assert "Waiting on client feedback" in summary_text
    assert f"/{thread['id']}/" in summary_text  # the blocker links to Bob's answer
    assert emu.pinged_user_ids(summary) == frozenset()
    assert emu.channel(int(thread["id"]))["thread_metadata"]["archived"] is True
    assert len(emu.threads(home)) == 1
    assert len(messages) == 5
    assert len(emu.find_requests("POST", rf"/channels/{home}/threads$")) == 1

    late = await drv.slash(g, world.carol, "standup post", circle="Morning crew")
    late_text = text_of(await late.final_message())
    assert "has closed" in late_text and "next one opens" in late_text


async def test_a_crash_after_posting_the_opening_does_not_post_it_twice(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    g, home = world.guild_a, world.circle_home
    await bot_process.start(shifted_to=berlin(9, 30, 0))
    await answer(drv, g, world.host, "circle create", name="Crew", channel=home, timezone="Europe/Berlin")
    await answer(drv, g, world.alice, "circle join")
    saved = await answer(drv, g, world.host, "standup schedule", time="09:00", days="daily")
    assert "opens right now" in text_of(saved)
    await emu.wait_until(lambda: len(emu.threads(home)) == 1, 10, "the thread")
    thread = int(emu.threads(home)[0]["id"])
    await emu.wait_until(lambda: len(emu.messages(thread)) == 1, 10, "the opening message")

    # Put the database where a kill right after posting the opening would have left it: claimed, the
    # thread recorded, the message not, the claim's lease long gone.
    await bot_process.stop(signal.SIGKILL)
    with sqlite3.connect(bot_process.database_url.split("///", 1)[1]) as conn:
        conn.execute(
            "UPDATE standup_occurrences SET status='claimed', message_id=NULL, claimed_at='2026-12-03 08:00:00.000000'"
        )
    await bot_process.start(shifted_to=berlin(9, 40, 0))
    await emu.wait_for_request("GET", rf"/channels/{thread}/messages", timeout=10)

    # The recovery found the posted opening instead of posting another, and the standup is open.
    opening = emu.messages(thread)[0]
    button = opening["components"][0]["components"][0]["custom_id"]
    click = await drv.click(g, world.alice, opening, button)
    await click.response()
    assert click.modal is not None
    assert len(emu.messages(thread)) == 1
    assert len(emu.find_requests("POST", rf"/channels/{thread}/messages$")) == 1


async def test_an_early_edit_goes_through_the_reply_s_own_interaction(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    """Within the reply's 15 minutes, the answer is edited through its interaction (no time shift here:
    interaction tokens age by the real clock)."""
    g, home = world.guild_a, world.circle_home
    await bot_process.start()
    await answer(drv, g, world.host, "circle create", name="Crew", channel=home, timezone="UTC")
    await answer(drv, g, world.alice, "circle join")
    opens = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%H:%M")
    saved = await answer(drv, g, world.host, "standup schedule", time=opens, days="daily", window_hours=2)
    assert "opens right now" in text_of(saved)
    await emu.wait_until(lambda: len(emu.threads(home)) == 1, 10, "the thread")
    thread = int(emu.threads(home)[0]["id"])
    await emu.wait_until(lambda: len(emu.messages(thread)) == 1, 10, "the opening message")
    opening = emu.messages(thread)[0]
    button = opening["components"][0]["components"][0]["custom_id"]

    first = await drv.click(g, world.alice, opening, button)
    await first.response()
    assert first.modal is not None
    submit = await drv.submit_modal(g, world.alice, first.modal["custom_id"], {"q0": "Drafted", "q1": "Ship"})
    posted = await submit.final_message()
    again = await drv.click(g, world.alice, opening, button)
    await again.response()
    edit = await drv.submit_modal(g, world.alice, first.modal["custom_id"], {"q1": "Ship it today"})
    assert "Updated" in text_of(await edit.final_message())
    await emu.wait_for_request("PATCH", rf"/webhooks/\d+/{submit.token}/messages/@original$")
    assert "Ship it today" in text_of(emu.message(int(posted["id"])) or {})
    assert len(emu.messages(thread)) == 2
    assert not emu.find_requests("PATCH", rf"/channels/{thread}/messages/")

    # A moderator deletes the answer: the next edit posts it again, and later edits go to that message.
    emu.store.delete(emu.world.messages[int(posted["id"])])

    async def edit_to(text: str) -> None:
        click = await drv.click(g, world.alice, opening, button)
        await click.response()
        assert click.modal is not None
        resent = await drv.submit_modal(g, world.alice, click.modal["custom_id"], {"q1": text})
        await resent.final_message()
        await emu.wait_until(lambda: text in text_of(emu.messages(thread)[-1]), 5, "the answer")

    await edit_to("Ship it tomorrow")
    await edit_to("Ship it Monday")
    assert len(emu.messages(thread)) == 2
    assert len(emu.find_requests("POST", rf"/channels/{thread}/messages$")) == 2  # the opening, the re-post
