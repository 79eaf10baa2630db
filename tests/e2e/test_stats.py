"""Stats and privacy through the real bot process: a heat-map PNG, a CSV timesheet, forget behind its
button, and the weekly digest posted once at Monday 09:00 circle time with SIGKILLs around the slot.

Voice sessions are written into the bot's SQLite file by the test (hours of presence cannot be waited
for); everything else goes through commands, buttons and the emulator.
"""

from __future__ import annotations

import csv
import io
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

from emulator import Driver, Emulator, World
from emulator.harness import BotProcess

from .test_foundation import answer, text_of

BERLIN = ZoneInfo("Europe/Berlin")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def db_path(bot: BotProcess) -> str:
    return bot.database_url.split("///", 1)[1]


def add_sessions(bot: BotProcess, guild: int, user: int, spans: list[tuple[datetime, datetime]]) -> None:
    with sqlite3.connect(db_path(bot)) as conn:
        (circle_id,) = conn.execute("SELECT id FROM circles ORDER BY id LIMIT 1").fetchone()
        conn.executemany(
            "INSERT INTO voice_sessions (guild_id, user_id, circle_id, channel_id, started_at, ended_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    guild,
                    user,
                    circle_id,
                    1,
                    a.astimezone(UTC).replace(tzinfo=None).isoformat(" "),
                    b.astimezone(UTC).replace(tzinfo=None).isoformat(" "),
                )
                for a, b in spans
            ],
        )


def attachment(emu: Emulator, message: dict[str, Any], suffix: str) -> tuple[dict[str, Any], bytes]:
    found = [a for a in message.get("attachments") or [] if a["filename"].endswith(suffix)]
    assert len(found) == 1, message.get("attachments")
    return found[0], emu.attachment_data(found[0]["id"])


async def test_stats_me_png_export_csv_and_forget_behind_its_button(
    emu: Emulator, world: World, drv: Driver, running_bot: BotProcess
) -> None:
    g, alice = world.guild_a, world.alice
    await answer(drv, g, world.host, "circle create", name="Crew", channel=world.circle_home, voice=world.focus_room)
    await answer(drv, g, alice, "circle join")
    await answer(drv, g, alice, "profile timezone", tz="Europe/Berlin")
    today = datetime.now(BERLIN).date()
    day = today - timedelta(days=3)

    def at(d: Any, h: int, m: int = 0) -> datetime:
        return datetime(d.year, d.month, d.day, h, m, tzinfo=BERLIN)

    spans = [(at(day, 9), at(day, 10, 15)), (at(day, 23, 30), at(day + timedelta(days=1), 0, 30))]
    add_sessions(running_bot, g, alice, spans)

    # /stats me: deferred, then the embed with the heat map attached as a real PNG.
    handle = await drv.slash(g, alice, "stats me", period="all")
    assert (await handle.response())["type"] == 5  # deferred ("thinking"), the chart follows
    message = await handle.final_message(timeout=30)
    assert handle.ephemeral
    meta, png = attachment(emu, message, ".png")
    assert png.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (800, 320)
    assert len(png) == int(meta["size"]) < 8 * 1024 * 1024
    assert "Focus time 2 h 15 min" in text_of(message)

    # /stats export: the CSV parses and its minutes are the sessions made above (split at midnight).
    handle = await drv.slash(g, alice, "stats export", **{"from": (today - timedelta(days=10)).isoformat()})
    message = await handle.final_message(timeout=15)
    _, raw = attachment(emu, message, "-sessions.csv")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert sum(int(r["minutes"]) for r in rows) == 135
    assert [r["minutes"] for r in rows] == ["75", "30", "30"]
    assert {r["timezone"] for r in rows} == {"Europe/Berlin"} and {r["circle"] for r in rows} == {"Crew"}
    attachment(emu, message, "-hours-by-tag.csv")

    # Bad input: a clear ephemeral message, nothing else.
    bad = await answer(drv, g, alice, "stats export", **{"from": "2026-12-31", "to": "2026-01-01"})
    assert "is after `to`" in text_of(bad)
    bad = await answer(drv, g, alice, "stats me", period="year")
    assert "is not a period" in text_of(bad)

    # /privacy forget: nothing happens before the button; after it the export is empty.
    confirm = await answer(drv, g, alice, "privacy forget")
    assert "cannot be undone" in text_of(confirm)
    click = await drv.click(g, alice, confirm, f"privacy-forget:{alice}:1")
    done = await click.final_message(timeout=15)
    assert "all your data in this server is deleted" in text_of(done)
    handle = await drv.slash(g, alice, "stats export", **{"from": (today - timedelta(days=10)).isoformat()})
    _, raw = attachment(emu, await handle.final_message(timeout=15), "-sessions.csv")
    assert list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))) == []


MONDAY = datetime(2026, 12, 7, tzinfo=BERLIN)  # a Monday


def monday(hour: int, minute: int, second: int = 0) -> datetime:
    return MONDAY.replace(hour=hour, minute=minute, second=second)


def digests(emu: Emulator, channel: int) -> list[dict[str, Any]]:
    return [m for m in emu.messages(channel) if "Weekly digest" in text_of(m)]


def digest_status(bot: BotProcess) -> list[tuple[str, str]]:
    with sqlite3.connect(db_path(bot)) as conn:
        return conn.execute("SELECT iso_week, status FROM stats_digests").fetchall()


async def test_the_digest_posts_once_at_monday_nine_with_sigkills_around_the_slot(
    emu: Emulator, world: World, drv: Driver, bot_process: BotProcess
) -> None:
    g, home = world.guild_a, world.circle_home
    await bot_process.start(shifted_to=MONDAY - timedelta(days=4))  # the circle exists since Thursday
    await answer(drv, g, world.host, "circle create", name="Crew", channel=home, timezone="Europe/Berlin")
    await answer(drv, g, world.alice, "circle join")
    add_sessions(bot_process, g, world.alice, [(monday(9, 0) - timedelta(days=6), monday(11, 0) - timedelta(days=6))])
    await bot_process.stop(signal.SIGKILL)

    # Up just before the slot, killed just after it posts; then up again: no second digest.
    await bot_process.start(shifted_to=monday(8, 59, 56))
    await emu.wait_until(lambda: digests(emu, home), 20, "the digest")
    await bot_process.stop(signal.SIGKILL)
    await bot_process.start(shifted_to=monday(9, 0, 30))
    [digest] = digests(emu, home)
    # Alice is welcomed by name, as a mention inside the embed, and nobody is pinged.
    assert f"Welcome <@{world.alice}>!" in text_of(digest)
    assert digest["mentions"] == [] and "@" not in (digest.get("content") or "")
    assert "2.0 focus hours" in text_of(digest) and "late" not in digest["embeds"][0]["footer"]["text"]
    assert digest["attachments"][0]["filename"] == "weekly-digest.png"
    assert emu.attachment_data(digest["attachments"][0]["id"]).startswith(PNG_MAGIC)

    # Down over the next slot, killed while Discord was still taking the post (made, not recorded):
    # the restart finds it instead of posting again, and it is marked late.
    await bot_process.stop(signal.SIGKILL)
    held = emu.hold("POST", rf"/channels/{home}/messages$")
    await bot_process.start(shifted_to=monday(10, 0) + timedelta(weeks=1))
    await emu.wait_until(held.arrived.is_set, 20, "the held digest")
    await bot_process.stop(signal.SIGKILL)
    held.release(process=True)
    await bot_process.start(shifted_to=monday(10, 1) + timedelta(weeks=1))
    await emu.wait_until(lambda: ("2026-W51", "closed") in digest_status(bot_process), 40, "the digest recorded")
    week_two = digests(emu, home)[1:]
    assert len(week_two) == 1 and "posted late" in week_two[0]["embeds"][0]["footer"]["text"]
    assert sorted(digest_status(bot_process)) == [("2026-W50", "closed"), ("2026-W51", "closed")]
