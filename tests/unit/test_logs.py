"""Logging: context on every line, and the token never in any line (message, arguments, traceback, JSON)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from bot import logs

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
Capture = Callable[[str], io.StringIO]


@pytest.fixture
def capture() -> Iterator[Capture]:
    """``capture(fmt)`` runs logs.configure with the token as secret and returns what the handler writes."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    named = {name: logging.getLogger(name).level for name in ("discord.http", "apscheduler", "alembic")}

    def configure(fmt: str) -> io.StringIO:
        logs.configure("DEBUG", fmt, secrets=[TOKEN])
        (handler,) = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        buffer = io.StringIO()
        handler.setStream(buffer)
        return buffer

    yield configure
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)
    for name, level in named.items():
        logging.getLogger(name).setLevel(level)


def _log_everything_with_the_token(logger: logging.Logger) -> None:
    logger.info("token as argument: %s", TOKEN)
    logger.warning(f"token in the message itself: {TOKEN}")
    logger.info("token split over arguments: %s%s", TOKEN[:12], TOKEN[12:])
    logger.info("token in a dict argument: %r", {"headers": {"Authorization": f"Bot {TOKEN}"}})
    try:
        raise RuntimeError(f"401 Unauthorized for Bot {TOKEN}")
    except RuntimeError:
        logger.exception("login failed")
    try:
        try:
            raise ValueError(TOKEN)
        except ValueError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as exc:
        logger.error("chained", exc_info=exc)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_token_never_appears_in_any_line(capture: Capture, fmt: str) -> None:
    out = capture(fmt)
    _log_everything_with_the_token(logging.getLogger("bot.test"))
    written = out.getvalue()
    assert TOKEN not in written
    # Nor any large fragment of it (e.g. the HMAC part on its own).
    assert TOKEN.split(".")[2] not in written
    # The lines themselves are still there, with the secret replaced.
    assert written.count("[redacted]") >= 6
    assert "login failed" in written and "RuntimeError" in written and "Traceback" in written


def test_json_lines_are_valid_json_and_keep_the_exception(capture: Capture) -> None:
    out = capture("json")
    log = logging.getLogger("bot.test")
    log.info("hello %s", "world")
    try:
        raise KeyError(TOKEN)
    except KeyError:
        log.exception("boom")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "hello world"
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert "exception" not in first
    assert second["message"] == "boom"
    assert "KeyError" in second["exception"] and "[redacted]" in second["exception"]
    assert TOKEN not in json.dumps(second)


def test_without_secrets_nothing_is_redacted(capture: Capture) -> None:
    out = capture("text")
    logs.configure("INFO", "text", secrets=[""])  # no token configured: nothing to scrub, nothing breaks
    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    logging.getLogger("bot.test").info("plain %s", "text")
    assert "plain text" in out.getvalue() and "[redacted]" not in out.getvalue()


def test_context_fields_in_text_output(capture: Capture) -> None:
    out = capture("text")
    log = logging.getLogger("bot.test")
    log.info("outside")
    with logs.context(guild=111, user=222, command="circle create"):
        log.info("inside")
        with logs.context(job="standup-open:7", user=None):
            log.info("nested")
    log.info("after")
    outside, inside, nested, after = out.getvalue().splitlines()
    assert "[" not in outside and "guild=" not in outside
    assert inside.endswith("inside [guild=111 user=222 command=circle create]")
    # Nested blocks add fields; a None value does not erase the outer one.
    assert nested.endswith("nested [guild=111 user=222 command=circle create job=standup-open:7]")
    assert "guild=" not in after


def test_context_fields_in_json_output(capture: Capture) -> None:
    out = capture("json")
    log = logging.getLogger("bot.test")
    with logs.context(guild=111, user=222, command="profile timezone", interaction=999):
        log.info("inside")
    log.info("outside")
    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    assert inside["guild"] == 111 and inside["user"] == 222
    assert inside["command"] == "profile timezone" and inside["interaction"] == 999
    assert not {"guild", "user", "command", "interaction", "job"} & set(outside)


async def test_context_follows_into_tasks_started_inside(capture: Capture) -> None:
    out = capture("json")
    log = logging.getLogger("bot.test")

    async def worker() -> None:
        await asyncio.sleep(0)
        log.info("in a task")

    with logs.context(guild=5, job="digest:1"):
        task = asyncio.create_task(worker())
    await task
    (line,) = (json.loads(line) for line in out.getvalue().splitlines())
    assert line["guild"] == 5 and line["job"] == "digest:1"


def test_configure_replaces_handlers_and_sets_levels(capture: Capture) -> None:
    capture("text")
    capture("json")
    root = logging.getLogger()
    assert len(root.handlers) == 1
    assert isinstance(root.handlers[0].formatter, logs.JsonFormatter)
    assert root.level == logging.DEBUG
    # discord.py's per-request DEBUG lines stay off even at DEBUG.
    assert logging.getLogger("discord.http").level == logging.INFO
