"""The playground (`python -m bot playground`) over its HTTP API: the same flow the browser test clicks through.

Create a circle → join → schedule a standup → jump to its opening → answer through the modal → jump to the
close → the summary is in the thread. The real bot process runs against the emulator with the clock shift in
its file mode; nothing is restarted between the jumps.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulator.playground import Playground, serve

ROOT = Path(__file__).resolve().parents[2]


class Page:
    """What the page's JavaScript does, as plain HTTP calls."""

    def __init__(self, session: aiohttp.ClientSession, base: str, playground: Playground) -> None:
        self.session = session
        self.base = base
        self.pg = playground
        world = playground.world
        assert world is not None
        self.world = world

    async def post(self, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        async with self.session.post(self.base + path, json=body) as response:
            data: dict[str, Any] = await response.json()
            assert response.status == status, data
            return data

    async def state(self, as_user: int, channel: int | None = None) -> dict[str, Any]:
        query = {"as": str(as_user), **({"channel": str(channel)} if channel else {})}
        async with self.session.get(self.base + "/api/state", params=query) as response:
            assert response.status == 200
            data: dict[str, Any] = await response.json()
            return data

    async def command(self, as_user: int, command: str, /, **options: Any) -> dict[str, Any]:
        body = {"as": str(as_user), "channel": str(self.world.circle_home), "command": command, "options": options}
        return await self.post("/api/command", body)

    async def wait_for(self, what: str, check: Any, timeout: float = 15) -> Any:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while True:
            found = await check()
            if found:
                return found
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.1)


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    playground = Playground(tmp_path)
    runner, port = await serve(playground, 0)
    try:
        await playground.start()
        await playground.wait_ready(60)
        async with aiohttp.ClientSession() as session:
            yield Page(session, f"http://127.0.0.1:{port}", playground)
    finally:
        await playground.stop()
        await runner.cleanup()
    log = playground.bot.log()
    assert "Traceback" not in log, log
    assert "Can't keep up" not in log, log
    assert playground.emu.unhandled == [], playground.emu.unhandled


def texts(message: dict[str, Any]) -> str:
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields") or []]
    return "\n".join(parts)


async def test_standup_through_the_http_api(page: Page) -> None:
    world, pg = page.world, page.pg
    home = world.circle_home

    # The page's view of the demo server, and the bot's real synced commands with their options.
    state = await page.state(world.host, home)
    assert state["bot"]["status"] == "ready"
    assert [m["name"] for m in state["members"]][:3] == ["host", "alice", "bob"]
    assert {c["name"] for c in state["channels"]} >= {"general", "circle-home", "Focus Room", "AFK"}
    async with page.session.get(page.base + "/api/commands") as response:
        commands = {c["name"]: c for c in (await response.json())["commands"]}
    assert {"circle create", "circle join", "standup schedule", "sprint start", "pair now"} <= set(commands)
    assert any(o["name"] == "timezone" and o["autocomplete"] for o in commands["circle create"]["options"])
    async with page.session.get(page.base + "/") as response:
        assert response.status == 200 and "app.js" in await response.text()

    created = await page.command(world.host, "circle create", name="Demo", channel=str(home), timezone="UTC")
    assert created["type"] in (4, 5)
    choices = await page.post(
        "/api/autocomplete",
        {"as": str(world.alice), "channel": str(home), "command": "circle join", "options": {}, "focused": "circle"},
    )
    assert "Demo" in [c["name"] for c in choices["choices"]]
    await page.command(world.alice, "circle join", circle="Demo")
    # A bad value is the bot's own ephemeral error, shown to the host only.
    await page.command(world.host, "standup schedule", circle="Demo", time="9:75", days="daily")

    async def host_sees_error() -> bool:
        messages = (await page.state(world.host, home))["messages"]
        return any(m["ephemeral"] and "HH:MM" in texts(m) for m in messages)

    await page.wait_for("the ephemeral error", host_sees_error)
    seen_by_alice = (await page.state(world.alice, home))["messages"]
    assert any(m["ephemeral"] for m in seen_by_alice)  # her own reply to /circle join
    assert not any("HH:MM" in texts(m) for m in seen_by_alice)

    opens = (pg.bot_now() + timedelta(minutes=5)).strftime("%H:%M")
    await page.command(
        world.host, "standup schedule", circle="Demo", time=opens, days="daily", window_hours=1, reminder="off"
    )

    async def open_planned() -> bool:
        return any(w["id"].startswith("standup-open") for w in (await page.state(world.host))["bot"]["wakeups"])

    await page.wait_for("the opening's wake-up", open_planned)
    before = datetime.fromisoformat((await page.state(world.host))["bot"]["now"])
    jumped = await page.post("/api/time", {"to": "next"})
    assert jumped["wakeup"]["id"].startswith("standup-open")
    assert datetime.fromisoformat(jumped["now"]) - before > timedelta(minutes=3)

    async def thread() -> dict[str, Any] | None:
        channels = (await page.state(world.alice))["channels"]
        found = next(c for c in channels if c["id"] == str(home))["threads"]
        return found[0] if found else None

    opened = await page.wait_for("the standup thread", thread)
    thread_id = int(opened["id"])

    async def opening() -> dict[str, Any] | None:
        messages = (await page.state(world.alice, thread_id))["messages"]
        return messages[0] if messages and messages[0].get("components") else None

    first = await page.wait_for("the opening message", opening)
    button = first["components"][0]["components"][0]
    clicked = await page.post(
        "/api/click", {"as": str(world.alice), "message": first["id"], "custom_id": button["custom_id"]}
    )
    modal = clicked["modal"]
    inputs = [row["components"][0]["custom_id"] for row in modal["components"]]
    values = dict(zip(inputs, ["Sent two proposals", "Finish the landing page", "none"], strict=False))
    await page.post("/api/modal", {"as": str(world.alice), "custom_id": modal["custom_id"], "values": values})

    async def answered() -> bool:
        messages = (await page.state(world.bob, thread_id))["messages"]
        return any("Finish the landing page" in texts(m) for m in messages)

    await page.wait_for("Alice's answer", answered)

    # Next event: the close. The summary is in the thread and names Alice; the thread is archived.
    async def close_planned() -> bool:
        return any(w["id"].startswith("standup-close") for w in (await page.state(world.host))["bot"]["wakeups"])

    await page.wait_for("the close's wake-up", close_planned)
    jumped = await page.post("/api/time", {"to": "next"})
    assert jumped["wakeup"]["id"].startswith("standup-close")

    async def summary() -> dict[str, Any] | None:
        messages = (await page.state(world.host, thread_id))["messages"]
        return next((m for m in messages if "checked in" in texts(m)), None)

    wrapped = await page.wait_for("the summary", summary)
    assert f"<@{world.alice}>" in texts(wrapped)

    async def archived() -> bool:
        return bool((await thread() or {}).get("archived"))

    await page.wait_for("the thread to be archived", archived)

    # Voice controls, and the log pane (the bot's lines and what was done).
    voice = await page.post("/api/voice", {"as": str(world.bob), "action": "join", "channel": str(world.focus_room)})
    bob = next(m for m in voice["members"] if m["id"] == str(world.bob))
    assert bob["voice"]["channel_id"] == str(world.focus_room)
    await page.post("/api/voice", {"as": str(world.bob), "action": "deafen"})
    voice = await page.post("/api/voice", {"as": str(world.bob), "action": "afk"})
    bob = next(m for m in voice["members"] if m["id"] == str(world.bob))
    assert bob["voice"]["channel_id"] == str(world.afk) and bob["voice"]["self_deaf"] is True  # kept on the move
    await page.post("/api/voice", {"as": str(world.bob), "action": "leave"})
    refused = await page.post("/api/voice", {"as": str(world.bob), "action": "leave"}, status=400)
    assert "not in voice" in refused["error"]
    log = (await page.state(world.host))["log"]
    assert any(line["source"] == "bot" and "discord.gateway" in line["text"] for line in log)
    assert any(line["source"] == "playground" and "/circle create" in line["text"] for line in log)
    assert any(line["source"] == "playground" and "time jumped" in line["text"] for line in log)

    # What the emulator refuses is in the log pane too (here a request made on purpose, not by the bot).
    async with page.session.get(pg.emu.api_base + "/no/such/route") as response:
        assert response.status == 404
    pg.emu.unhandled.clear()  # the fixture checks the bot itself hit no unknown route

    async def refusal() -> bool:
        log = (await page.state(world.host))["log"]
        return any(line["source"] == "emulator" and "/no/such/route: 404" in line["text"] for line in log)

    await page.wait_for("the refusal in the log", refusal)
    bad = await page.post(
        "/api/command",
        {"as": str(world.host), "channel": str(home), "command": "circle nope", "options": {}},
        status=400,
    )
    assert "no command /circle nope" in bad["error"]


def test_ctrl_c_stops_everything_and_a_second_start_works(tmp_path: Path) -> None:
    # First Ctrl-C in a terminal (SIGINT to the whole process group), then a service manager's stop (SIGTERM
    # to `python -m bot` only, which passes it on).
    for stop in ("ctrl-c", "sigterm"):
        child = subprocess.Popen(
            [sys.executable, "-m", "bot", "playground", "--port", "0"],
            cwd=tmp_path,  # not the checkout: `python -m bot` finds the playground beside its package
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # our own process group, to send Ctrl-C to it as a terminal would
        )
        assert child.stdout is not None
        lines = []
        try:
            for line in child.stdout:
                lines.append(line)
                if "ready" in line or "error" in line:
                    break
            assert any("The bot is ready" in line for line in lines), "".join(lines)
            url = next(line.split()[1] for line in lines if line.startswith("Playground:"))
            assert url.startswith("http://127.0.0.1:")
            if stop == "ctrl-c":
                os.killpg(child.pid, signal.SIGINT)
            else:
                child.terminate()
            rest, _ = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
        assert child.returncode == 0, "".join(lines) + rest
        assert "Stopped." in rest
        # Nothing is left running in the group (the bot process has gone too).
        ps = subprocess.run(["ps", "-o", "pid=", "-g", str(child.pid)], capture_output=True, text=True, check=False)
        assert ps.stdout.strip() == "", ps.stdout


def test_the_playground_options_are_its_own(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "playground", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m bot playground") and "--port" in result.stdout
