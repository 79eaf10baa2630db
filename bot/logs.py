"""Logging, configured once: context (guild, user, command, job) from contextvars, secrets redacted."""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

log_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)

_CONTEXT_KEYS = ("guild", "user", "command", "custom_id", "interaction", "job", "circle", "thread")


@contextmanager
def context(inherit: bool = True, **values: Any) -> Iterator[None]:
    """Add fields to every log line written inside the block (and in tasks it starts).

    ``inherit=False`` starts from nothing: a scheduled job may run in a task created while an
    interaction was being handled, and must not log as if it were that interaction.
    """
    base = (log_context.get() or {}) if inherit else {}
    merged = {**base, **{k: v for k, v in values.items() if v is not None}}
    token = log_context.set(merged)
    try:
        yield
    finally:
        log_context.reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = log_context.get() or {}
        for key in _CONTEXT_KEYS:
            setattr(record, key, ctx.get(key))
        record.context = " ".join(f"{k}={ctx[k]}" for k in _CONTEXT_KEYS if ctx.get(k) is not None)
        return True


class RedactFilter(logging.Filter):
    """Replaces each secret wherever it shows up in a record: message, arguments or traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        record.msg = self._scrub(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s%(ctx)s")

    def format(self, record: logging.LogRecord) -> str:
        context_text = getattr(record, "context", "")
        record.ctx = f" [{context_text}]" if context_text else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _CONTEXT_KEYS:
            value = getattr(record, key, None)
            if value is not None:
                data[key] = value
        if record.exc_text:
            data["exception"] = record.exc_text
        elif record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure(level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    """Install one handler on the root logger; the filters sit on the handler so every logger is covered."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactFilter(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # discord.py's gateway chatter at INFO is useful; its per-request DEBUG lines are not.
    logging.getLogger("discord.http").setLevel(max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
