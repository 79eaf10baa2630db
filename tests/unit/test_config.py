"""Settings: read from the environment and `.env`; every problem is one ConfigError naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, Settings, load_settings, parse_shard_ids, token_user_id

# Shaped like a real bot token (base64 user id . timestamp . HMAC); not a real one.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
VARIABLES = (
    "DISCORD_TOKEN",
    "DATABASE_URL",
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
    "SHARD_COUNT",
    "SHARD_IDS",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "LOG_FORMAT",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No variable from the caller's environment and no `.env` of the checkout leaks into a test."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.log_level == "INFO" and settings.log_format == "text"
    assert settings.shard_count is None and settings.shard_id_list is None
    assert settings.discord_api_base is None and settings.discord_gateway_url is None


def test_missing_token_names_discord_token() -> None:
    settings = load_settings()
    with pytest.raises(ConfigError, match="DISCORD_TOKEN") as info:
        settings.token()
    assert "not set" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_token_is_missing(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", value)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        load_settings().token()


@pytest.mark.parametrize(
    "value",
    [
        "hunter2",
        TOKEN.replace(".", ""),
        "a.b.c",
        TOKEN + ".extra",
        # The right shape, but the first segment is not a base64 user id.
        "abcdefghijklmnop.abcdef.abcdefghijklmnop",
        "emulator.token.0123456789",
    ],
)
def test_malformed_token_names_discord_token(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", value)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is malformed") as info:
        load_settings().token()
    # The error is printed: it must not echo the (possibly real) secret back.
    assert value not in str(info.value)


@pytest.mark.parametrize("prefix", ["Bot ", "bot ", "Bearer "])
def test_a_token_with_its_prefix_is_told_to_drop_it(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", prefix + TOKEN)
    with pytest.raises(ConfigError, match="without the prefix") as info:
        load_settings().token()
    assert str(info.value).startswith(f"DISCORD_TOKEN starts with {prefix.strip()!r}")
    assert TOKEN not in str(info.value) and TOKEN.split(".")[0] not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite:///file::memory:?cache=shared&uri=true",
        "sqlite+aiosqlite:///file:circles?mode=memory&cache=shared&uri=true",
    ],
)
def test_in_memory_sqlite_is_refused_saying_why(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigError, match="DATABASE_URL is invalid: an in-memory SQLite database") as info:
        load_settings()
    assert "writes and reads see the same data" in str(info.value)


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///data/circles.db", "sqlite+aiosqlite:////var/lib/circles.db"])
def test_sqlite_files_are_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings().database_url == url


def test_token_user_id() -> None:
    assert token_user_id(TOKEN) == 123456789012345678
    assert token_user_id("ODE5.x.y") == 819
    assert token_user_id("ODE5OTk.x.y") == 81999  # unpadded, as in real tokens
    assert token_user_id("abcdefghijkl.x.y") is None  # decodes, but to bytes that are not digits
    assert token_user_id("not base64!.x.y") is None
    assert token_user_id("") is None


def test_valid_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", f"  {TOKEN}\n")
    settings = load_settings()
    assert settings.token() == TOKEN
    # A SecretStr: printing the settings never shows the token.
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)


@pytest.mark.parametrize(
    "value",
    [
        "mysql://localhost/db",
        "sqlite:///data/circles.db",  # the sync driver would block the event loop
        "postgresql://postgres@localhost/db",
        "postgresql+asyncpg://user@host:port/db",  # prefix fine, URL unparsable
        "nonsense",
    ],
)
def test_bad_database_url_names_database_url(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DATABASE_URL", value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("DATABASE_URL is invalid")
    assert "\n" not in message


@pytest.mark.parametrize(
    "value", ["sqlite+aiosqlite:///tmp/x.db", "postgresql+asyncpg://u:p%40ss@db.example:5432/circles"]
)
def test_good_database_urls(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DATABASE_URL", value)
    assert load_settings().database_url == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0-3", (0, 1, 2, 3)),
        ("0,2", (0, 2)),
        ("5", (5,)),
        ("0-1,4", (0, 1, 4)),
        (" 2, 0 ", (0, 2)),
        ("3,3,1-3", (1, 2, 3)),
    ],
)
def test_parse_shard_ids(text: str, expected: tuple[int, ...]) -> None:
    assert parse_shard_ids(text) == expected


@pytest.mark.parametrize("text", ["3-1", "a", "0-", "-2", "1..3", ",", "0;1", "1-2-3", "-1"])
def test_parse_shard_ids_rejects_bad_forms(text: str) -> None:
    with pytest.raises(ValueError):
        parse_shard_ids(text)


def test_shard_ids_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", "0-1,3")
    settings = load_settings()
    assert settings.shard_count == 4
    assert settings.shard_id_list == (0, 1, 3)
    settings.check_sharding()


@pytest.mark.parametrize("value", ["3-1", "zero", "0-x"])
def test_bad_shard_ids_name_shard_ids(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", value)
    with pytest.raises(ConfigError, match=r"^SHARD_IDS is invalid"):
        load_settings()


def test_shard_ids_without_shard_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_IDS", "0,2")
    with pytest.raises(ConfigError, match="SHARD_IDS needs SHARD_COUNT"):
        load_settings().check_sharding()


def test_shard_ids_must_be_below_shard_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "2")
    monkeypatch.setenv("SHARD_IDS", "0-2")
    with pytest.raises(ConfigError, match=r"SHARD_IDS must be below SHARD_COUNT \(2\)"):
        load_settings().check_sharding()


def test_shard_count_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "0")
    with pytest.raises(ConfigError, match="SHARD_COUNT must be a positive number"):
        load_settings().check_sharding()


def test_non_numeric_shard_count_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "four")
    with pytest.raises(ConfigError, match=r"^SHARD_COUNT is invalid"):
        load_settings()


def test_dotenv_file_is_read(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        f"DISCORD_TOKEN={TOKEN}\n"
        "DATABASE_URL=postgresql+asyncpg://postgres@db:5432/circles\n"
        "LOG_FORMAT=json\n"
        "LOG_LEVEL=debug\n"
        "DEV_GUILD_ID=123456789012345678\n"
        "DISCORD_API_BASE=http://127.0.0.1:8080/api/v10/\n"
        "DISCORD_GATEWAY_URL=ws://127.0.0.1:8080/gateway\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.token() == TOKEN
    assert settings.database_url == "postgresql+asyncpg://postgres@db:5432/circles"
    assert settings.log_format == "json"
    assert settings.log_level == "DEBUG"
    assert settings.dev_guild_id == 123456789012345678
    # A trailing slash would give `…/v10//channels`: it is dropped.
    assert settings.discord_api_base == "http://127.0.0.1:8080/api/v10"
    assert settings.discord_gateway_url == "ws://127.0.0.1:8080/gateway"


def test_environment_wins_over_dotenv(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("LOG_FORMAT=json\n", encoding="utf-8")
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert load_settings().log_format == "text"


def test_bad_value_in_dotenv_names_the_variable(clean_env: Path) -> None:
    (clean_env / ".env").write_text("DATABASE_URL=mysql://nope\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^DATABASE_URL is invalid"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [("LOG_FORMAT", "yaml"), ("LOG_LEVEL", "loud"), ("DISCORD_API_BASE", "ftp://x"), ("DEV_GUILD_ID", "abc")],
)
def test_other_bad_values_name_their_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{name} is invalid"):
        load_settings()


def test_settings_class_is_not_read_at_import_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Constructing Settings reads the environment of *now*: the composition root decides when.
    monkeypatch.setenv("LOG_LEVEL", "warning")
    assert Settings().log_level == "WARNING"
    monkeypatch.setenv("LOG_LEVEL", "error")
    assert Settings().log_level == "ERROR"
