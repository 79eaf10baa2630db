"""The playground in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

create a circle → join → schedule a standup → jump to its opening → answer through the modal → jump to the
close → the summary is visible; then a screenshot, checked to be a real, non-empty PNG.

Without Chromium the test skips locally (with the reason) and fails in CI (CI=true): `.ci/run` installs it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import struct
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from emulator.playground import Playground, serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--window-size=1400,900",
]


def _browser_missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is missing (apt-get install -y chromium chromium-driver)"
    return None


@pytest.fixture
async def playground_url(tmp_path: Path) -> AsyncIterator[tuple[Playground, str]]:
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run in CI: {missing}")
        pytest.skip(f"no browser here: {missing}")
    playground = Playground(tmp_path)
    runner, port = await serve(playground, 0)
    try:
        await playground.start()
        await playground.wait_ready(60)
        yield playground, f"http://127.0.0.1:{port}/"
    finally:
        await playground.stop()
        await runner.cleanup()
    assert "Traceback" not in playground.bot.log(), playground.bot.log()
    assert playground.emu.unhandled == []


def click(driver: Any, selector: str, text: str) -> bool:
    """Click the first element matching ``selector`` whose text has ``text``; False to try again (not there yet,
    or re-rendered between finding and clicking it)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        for element in driver.find_elements(By.CSS_SELECTOR, selector):
            if text in element.text:
                element.click()
                return True
    except StaleElementReferenceException:
        pass
    return False


class Browser:
    """Selenium's blocking calls, run in a thread so the emulator (in this event loop) keeps answering."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def run(self, step: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(step)

    async def until(self, what: str, check: Callable[[Any], Any], timeout: float = 15) -> Any:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while True:
            found = await self.run(lambda: check(self.driver))
            if found:
                return found
            if time.monotonic() > deadline:
                await self.run(lambda: self.driver.save_screenshot("/tmp/playground-failure.png"))
                raise AssertionError(f"timed out waiting for {what} (screenshot: /tmp/playground-failure.png)")
            await asyncio.sleep(0.1)


async def test_standup_in_the_browser(playground_url: tuple[Playground, str], tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    pg, url = playground_url
    world = pg.world
    assert world is not None
    profile = tempfile.mkdtemp(prefix="playground-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = await asyncio.to_thread(webdriver.Chrome, service=Service(str(CHROMEDRIVER)), options=options)
    browser = Browser(driver)

    def messages_text(d: Any) -> str:
        return str(d.find_element(By.ID, "messages").text)

    async def act_as(name: str) -> None:
        await browser.run(
            lambda: Select(driver.find_element(By.ID, "member-select")).select_by_value(
                next(m["id"] for m in pg.members() if m["name"] == name)
            )
        )

    async def command(name: str, /, **values: str) -> None:
        def pick(d: Any) -> bool:
            box = d.find_element(By.ID, "composer-input")
            box.clear()
            box.send_keys(f"/{name}")
            return click(d, f".suggestion[data-name='{name}']", name)

        await browser.until(f"/{name} in the command list", pick)
        for option, value in values.items():

            def fill(d: Any, option: str = option, value: str = value) -> None:
                field = d.find_element(By.ID, f"opt-{option}")
                if field.tag_name == "select":
                    Select(field).select_by_value(value)
                else:
                    field.send_keys(value)

            await browser.run(lambda fill=fill: fill(driver))
        await browser.run(lambda: driver.find_element(By.ID, "send").click())

    try:
        await browser.run(lambda: driver.get(url))
        await browser.until("the bot to be ready", lambda d: "bot ready" in d.find_element(By.ID, "bot-status").text)
        await browser.until(
            "#circle-home to be shown", lambda d: "circle-home" in d.find_element(By.ID, "channel-title").text
        )

        # The host creates the circle (the timezone field autocompletes from the bot), Alice joins.
        await command("circle create", name="Demo", channel=str(world.circle_home), timezone="UTC")
        await browser.until("the circle's confirmation", lambda d: "Circle Demo is ready" in messages_text(d))
        await act_as("alice")
        await command("circle join", circle="Demo")
        await browser.until("Alice's own reply", lambda d: d.find_elements(By.CSS_SELECTOR, ".message.ephemeral"))
        await browser.until(
            "the host's reply hidden from Alice", lambda d: "Circle Demo is ready" not in messages_text(d)
        )

        # The host schedules a standup five minutes from the bot's now.
        await act_as("host")
        opens = (pg.bot_now() + timedelta(minutes=5)).strftime("%H:%M")
        await command("standup schedule", circle="Demo", time=opens, days="daily", window_hours="1", reminder="off")
        await browser.until("the schedule's confirmation", lambda d: "Next opens" in messages_text(d))
        await browser.until(
            "the opening in the wake-ups", lambda d: "standup-open" in d.find_element(By.ID, "wakeups").text
        )

        # Time jump to the opening: the thread appears; Alice answers through the modal.
        await browser.run(lambda: driver.find_element(By.ID, "jump-next").click())
        await browser.until("the standup thread", lambda d: click(d, "#channels .thread", "Standup"))
        await act_as("alice")
        await browser.until("the opening's button", lambda d: click(d, "#messages button", "Post my standup"))
        await browser.until("the modal", lambda d: d.find_element(By.ID, "modal").get_attribute("open") is not None)
        fields = await browser.run(
            lambda: driver.find_elements(By.CSS_SELECTOR, "#modal-fields textarea, #modal-fields input")
        )
        answers = ["Sent two proposals", "Finish the landing page", "none"]
        for field, text in zip(fields, answers, strict=False):
            await browser.run(lambda field=field, text=text: (field.clear(), field.send_keys(text)))
        await browser.run(lambda: driver.find_element(By.ID, "modal-submit").click())
        await browser.until("Alice's answer in the thread", lambda d: "Finish the landing page" in messages_text(d))

        # Time jump to the close: the summary names Alice.
        await browser.until(
            "the close in the wake-ups", lambda d: "standup-close" in d.find_element(By.ID, "wakeups").text
        )
        await browser.run(lambda: driver.find_element(By.ID, "jump-next").click())
        await browser.until("the summary", lambda d: "checked in" in messages_text(d))
        assert "alice" in await browser.run(lambda: messages_text(driver))

        # A chart: /stats me answers with an embed whose image is an attachment (attachment://…), shown inline.
        await browser.until("#circle-home", lambda d: click(d, "#channels .channel", "circle-home"))
        await command("stats me")
        await browser.until(
            "the heat-map chart to load",
            lambda d: d.execute_script(
                "return [...document.querySelectorAll('#messages .embed img')].some(i => i.naturalWidth > 0)"
            ),
        )

        shot = tmp_path / "playground.png"  # kept with pytest's temporary directories, to look at
        await browser.run(lambda: driver.save_screenshot(str(shot)))
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert (width, height) >= (800, 600)
        # Offline by construction: everything the page loaded came from the playground itself.
        loaded = await browser.run(
            lambda: driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        )
        assert loaded and all(str(name).startswith(url) for name in loaded), loaded
        logs = await browser.run(lambda: driver.get_log("browser"))
        assert [entry for entry in logs if entry["level"] == "SEVERE"] == []
    finally:
        await asyncio.to_thread(driver.quit)
        shutil.rmtree(profile, ignore_errors=True)
