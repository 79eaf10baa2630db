"""A standup from opening to summary, scripted: the real bot process against the emulator, no browser.

Run from the repository root: ``python -m emulator.examples.standup_walkthrough``. It prints what each member
sees and ends with the summary; it exits non-zero if anything went wrong. About ten seconds.

What it shows (the usual traps, in order):

1. The token: the bot and the emulator must agree on it. ``BotProcess`` passes ``harness.TOKEN`` to the bot
   as ``DISCORD_TOKEN``, so the emulator is built with ``Emulator(token=TOKEN)``.
2. Ids: the ``World`` fields are ``int``; the JSON the emulator stores (messages, channels) has ids as
   strings, as Discord's does. Turn them back with ``int(...)`` before passing them to the API.
3. Answers are asynchronous: ``handle.modal`` is ``None`` until ``await handle.response()`` has returned.
4. Form fields: the modal's text inputs are named by their ``custom_id`` (a standup's are ``q0``, ``q1``,
   ``q2``); read them from the modal instead of guessing.
5. Time: ``BotProcess.start(shifted_to=...)`` starts the bot believing it is that moment (the e2e tier's
   clock shift), so a script jumps to 10:00 by restarting the bot instead of waiting an hour.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from emulator import Driver, Emulator, default_world
from emulator.harness import TOKEN, BotProcess


def text_of(message: dict[str, Any]) -> str:
    """A message's content and its embeds' text, as one string."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{field['name']}: {field['value']}" for field in embed.get("fields") or []]
    return "\n".join(part for part in parts if part)


async def answer(drv: Driver, guild: int, user: int, command: str, **options: Any) -> str:
    """Run a slash command and return what the member finally sees (the bot may defer, then edit)."""
    handle = await drv.slash(guild, user, command, **options)
    return text_of(await handle.final_message())


async def walkthrough(workdir: Path) -> str:
    async with Emulator(token=TOKEN) as emu:  # trap 1: the token BotProcess gives the bot
        world = default_world(emu)
        drv = Driver(emu)
        bot = BotProcess(emu, workdir)  # `python -m bot` on a fresh SQLite file in workdir
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
        at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 30, tzinfo=UTC)
        await bot.start(shifted_to=at)  # waits until the bot identified and got its guilds
        try:
            g, home = world.guild_a, world.circle_home
            print(await answer(drv, g, world.host, "circle create", name="Demo", channel=home, timezone="UTC"))
            print(await answer(drv, g, world.alice, "circle join", circle="Demo"))
            # 09:00 with a one-hour window, and it is 09:30 for the bot: the standup opens right away.
            schedule = {"time": "09:00", "days": "daily", "window_hours": 1, "reminder": "off"}  # ints stay ints
            print(await answer(drv, g, world.host, "standup schedule", circle="Demo", **schedule))
            await emu.wait_until(lambda: emu.threads(home), 15, "the standup thread")
            thread = int(emu.threads(home)[0]["id"])  # trap 2: ids in the JSON are strings
            await emu.wait_until(lambda: emu.messages(thread), 15, "the opening message")
            opening = emu.messages(thread)[0]
            button = opening["components"][0]["components"][0]["custom_id"]

            click = await drv.click(g, world.alice, opening, button)
            await click.response()  # trap 3: before this, click.modal is None
            modal = click.modal
            assert modal is not None, "the button should open the standup form"
            fields = [row["components"][0]["custom_id"] for row in modal["components"]]  # trap 4: q0, q1, q2
            print(f"form {modal['title']!r} with fields {fields}")
            values = dict(zip(fields, ["Sent two proposals", "Finish the landing page", "none"], strict=False))
            submitted = await drv.submit_modal(g, world.alice, modal["custom_id"], values)
            print(text_of(await submitted.final_message()))

            # Trap 5: jump past the close (10:00) by restarting the bot with its clock there.
            await bot.stop()
            await bot.start(shifted_to=at.replace(hour=10, minute=0, second=5))
            await emu.wait_until(lambda: "checked in" in text_of(emu.messages(thread)[-1]), 15, "the summary")
            summary = text_of(emu.messages(thread)[-1])
            print(summary)
            assert emu.unhandled == [], f"the bot used routes the emulator does not know: {emu.unhandled}"
            return summary
        finally:
            if bot.process is not None and bot.process.returncode is None:
                await bot.stop()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="standup-walkthrough-") as folder:
        try:
            asyncio.run(walkthrough(Path(folder)))
        except (AssertionError, TimeoutError) as error:
            print(f"error: {error}", file=sys.stderr)
            log = Path(folder) / "bot.log"
            if log.exists():
                print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
