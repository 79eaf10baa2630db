"""Configuration: one Settings class, read from the environment and ``.env`` (never at import time)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/circles.db"
SUPPORTED_DATABASE_PREFIXES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")

# A bot token is three dot-separated base64url segments; the first is the bot's user id.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{10,}$")


def token_user_id(token: str) -> int | None:
    """The bot's user id, which a token's first segment holds in base64; None when it holds anything else."""
    first = token.split(".", 1)[0]
    try:
        text = base64.b64decode(first + "=" * (-len(first) % 4), altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _in_memory(database: str | None, query: Mapping[str, object]) -> bool:
    name = database or ""
    return name in ("", ":memory:") or name.startswith("file::memory:") or query.get("mode") == "memory"


class ConfigError(Exception):
    """Configuration is missing or malformed; the message names the variable and is safe to print."""


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """``0-3`` → (0, 1, 2, 3); ``0,2`` → (0, 2); mixed forms like ``0-1,4`` are accepted too."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            lo, _, hi = part.partition("-")
            if not (lo.isdigit() and hi.isdigit()) or int(lo) > int(hi):
                raise ValueError(f"bad shard range {part!r}")
            ids.update(range(int(lo), int(hi) + 1))
        elif part.isdigit():
            ids.add(int(part))
        else:
            raise ValueError(f"bad shard id {part!r}")
    if not ids:
        raise ValueError("no shard ids")
    return tuple(sorted(ids))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    shard_count: int | None = None
    shard_ids: str | None = None
    dev_guild_id: int | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(SUPPORTED_DATABASE_PREFIXES):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        try:
            url = make_url(value)
        except Exception:  # SQLAlchemy raises ArgumentError or a bare ValueError (e.g. a bad port)
            raise ValueError("cannot be parsed: check the user, host, port and database name") from None
        if url.get_backend_name() == "sqlite" and _in_memory(url.database, url.query):
            # Each SQLite connection to :memory: is a database of its own: the writer thread would write where
            # the readers never look (no such table), and every restart would begin empty.
            raise ValueError(
                "an in-memory SQLite database cannot work: the bot needs a file, so that its writes and reads see "
                "the same data and the data survive a restart (e.g. sqlite+aiosqlite:///data/circles.db)"
            )
        return value

    @field_validator("shard_ids")
    @classmethod
    def _check_shard_ids(cls, value: str | None) -> str | None:
        if value:
            parse_shard_ids(value)
        return value or None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("discord_api_base")
    @classmethod
    def _check_api_base(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://", value):
            raise ValueError("must be an http:// or https:// URL, e.g. http://127.0.0.1:8787/api/v10")
        return value.rstrip("/") if value else None

    @field_validator("discord_gateway_url")
    @classmethod
    def _check_gateway_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^wss?://", value):
            raise ValueError("must be a ws:// or wss:// URL, e.g. ws://127.0.0.1:8787/gateway")
        return value.rstrip("/") if value else None

    @property
    def shard_id_list(self) -> tuple[int, ...] | None:
        return parse_shard_ids(self.shard_ids) if self.shard_ids else None

    def token(self) -> str:
        """The token, checked; raises ConfigError naming DISCORD_TOKEN when missing or malformed."""
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError("DISCORD_TOKEN is not set: put your bot token in the environment or .env")
        value = self.discord_token.get_secret_value().strip()
        if value.lower().startswith(("bot ", "bearer ")):
            raise ConfigError(
                f"DISCORD_TOKEN starts with {value.split()[0]!r}: put only the token itself in DISCORD_TOKEN, "
                "without the prefix (the bot adds it)"
            )
        if not _TOKEN_RE.match(value) or token_user_id(value) is None:
            raise ConfigError("DISCORD_TOKEN is malformed: expected the bot token from the Developer Portal")
        return value

    def check_sharding(self) -> None:
        ids = self.shard_id_list
        if ids is not None and self.shard_count is None:
            raise ConfigError("SHARD_IDS needs SHARD_COUNT to be set as well")
        if self.shard_count is not None and self.shard_count < 1:
            raise ConfigError("SHARD_COUNT must be a positive number")
        if ids is not None and self.shard_count is not None and max(ids) >= self.shard_count:
            raise ConfigError(f"SHARD_IDS must be below SHARD_COUNT ({self.shard_count})")


def load_settings() -> Settings:
    """Read settings; a malformed variable becomes one ConfigError line naming it (no traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name} is invalid: {message}") from None
