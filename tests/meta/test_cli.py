"""`python -m bot` as a user runs it: a fresh process, an empty environment, a directory without `.env`.

The runs are independent, so they start together (one module-scoped batch) to keep the suite fast; each test
then checks one of them.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.meta.conftest import EmulatorProcess

# Shaped like a bot token; its first segment is base64 for the client id 123456789012345678.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
CLIENT_ID = "123456789012345678"
BAD_URL = "postgresql+asyncpg://user@db:port/circles"  # the right scheme, but no URL parser accepts it


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    cwd: Path


def _run(cwd: Path, env: dict[str, str], *args: str) -> Run:
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,  # nothing inherited: no DISCORD_TOKEN, no DATABASE_URL, no TEST_* variables
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr, cwd)


def _migrate_then_check(cwd: Path, env: dict[str, str]) -> tuple[Run, Run]:
    return _run(cwd, env, "migrate"), _run(cwd, env, "check")


def _wrong(token: str) -> str:
    """Well-formed, the right bot id, but not the token Discord issued (as after a reset in the portal)."""
    return token.rsplit(".", 1)[0] + ".ThisIsNotTheSecretDiscordIssued0123456789"


UNREACHABLE_API = "http://127.0.0.1:1/api/v10"  # nothing listens on port 1: refused at once
UNREACHABLE_GATEWAY = "ws://127.0.0.1:1/gateway"


def _scenarios(emu: EmulatorProcess, tmp: Path) -> dict[str, tuple[dict[str, str], tuple[str, ...]]]:
    ok = {"DISCORD_TOKEN": emu.token, **emu.env()}
    wrong = {**ok, "DISCORD_TOKEN": _wrong(emu.token)}
    prefixed = {**ok, "DISCORD_TOKEN": f"Bot {emu.token}"}
    (tmp / "a-file").write_text("not a folder\n")
    under_a_file = f"sqlite+aiosqlite:///{tmp / 'a-file' / 'data' / 'circles.db'}"
    return {
        "check-no-token": ({}, ("check",)),
        "run-no-token": ({}, ()),
        "check-bad-url": ({"DATABASE_URL": BAD_URL, "DISCORD_TOKEN": TOKEN}, ("check",)),
        "invite-url": ({"DISCORD_TOKEN": TOKEN}, ("invite-url",)),
        **{f"{command}-wrong-token": (wrong, (command,)) for command in ("run", "sync-commands", "check")},
        **{f"{command}-bot-prefix": (prefixed, (command,)) for command in ("run", "check", "invite-url")},
        **{
            f"{command}-no-api": ({**ok, "DISCORD_API_BASE": UNREACHABLE_API}, (command,))
            for command in ("run", "sync-commands", "check")
        },
        **{
            f"{command}-no-gateway": ({**ok, "DISCORD_GATEWAY_URL": UNREACHABLE_GATEWAY}, (command,))
            for command in ("run", "check")
        },
        **{
            f"{command}-in-memory": ({**ok, "DATABASE_URL": "sqlite+aiosqlite://"}, (command,))
            for command in ("run", "check", "migrate")
        },
        **{
            f"{command}-unwritable": ({**ok, "DATABASE_URL": under_a_file}, (command,))
            for command in ("check", "migrate")
        },
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, emulator_process: EmulatorProcess) -> dict[str, Run]:
    scenarios = _scenarios(emulator_process, tmp_path_factory.mktemp("shared"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {
            name: pool.submit(_run, tmp_path_factory.mktemp(name), env, *args)
            for name, (env, args) in scenarios.items()
        }
        ok = {"DISCORD_TOKEN": emulator_process.token, **emulator_process.env()}
        chained = pool.submit(_migrate_then_check, tmp_path_factory.mktemp("migrate"), ok)
        results = {name: future.result() for name, future in futures.items()}
        results["migrate"], results["check-ok"] = chained.result()
    return results


def _one_error_line(run: Run, variable: str) -> str:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert variable in lines[0]
    return lines[0]


def test_check_without_a_token_prints_one_line_naming_it(runs: dict[str, Run]) -> None:
    run = runs["check-no-token"]
    line = _one_error_line(run, "DISCORD_TOKEN")
    assert run.returncode == 2  # as `run` and `invite-url` say for the same mistake
    assert line == "error: DISCORD_TOKEN is not set: put your bot token in the environment or .env"
    # Checking creates nothing: no data/ folder, no database file.
    assert list(run.cwd.iterdir()) == []


def test_run_without_a_token_stops_before_touching_the_database(runs: dict[str, Run]) -> None:
    run = runs["run-no-token"]
    _one_error_line(run, "DISCORD_TOKEN")
    assert run.stdout == ""
    assert list(run.cwd.iterdir()) == []


def test_a_malformed_database_url_is_one_line_naming_it(runs: dict[str, Run]) -> None:
    run = runs["check-bad-url"]
    line = _one_error_line(run, "DATABASE_URL")
    assert line.startswith("error: DATABASE_URL is invalid")
    assert list(run.cwd.iterdir()) == []


# The same entry point in-process (cheaper than a process each): `python -m bot` itself refuses bad settings.


@pytest.fixture
def empty_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "SHARD_COUNT", "SHARD_IDS", "DISCORD_API_BASE", "DEV_GUILD_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.chdir(tmp_path)
    # main() configures logging on the root logger: put the test runner's handlers back afterwards.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield tmp_path
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize(
    ("args", "env", "variable"),
    [
        ([], {"DISCORD_TOKEN": "not-a-token"}, "DISCORD_TOKEN is malformed"),
        ([], {"DISCORD_TOKEN": TOKEN, "DATABASE_URL": BAD_URL}, "DATABASE_URL is invalid"),
        ([], {"DISCORD_TOKEN": TOKEN, "DATABASE_URL": "mysql://root@localhost/circles"}, "DATABASE_URL is invalid"),
        ([], {"DISCORD_TOKEN": TOKEN, "SHARD_IDS": "0-1"}, "SHARD_IDS needs SHARD_COUNT"),
        ([], {"DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": "ws://127.0.0.1:1/api"}, "DISCORD_API_BASE is invalid"),
        ([], {"DISCORD_TOKEN": TOKEN, "DISCORD_GATEWAY_URL": "http://127.0.0.1:1/"}, "DISCORD_GATEWAY_URL is invalid"),
        (["invite-url"], {}, "DISCORD_TOKEN is not set"),
        # Token-shaped, but no user id inside: once a traceback from invite-url.
        (["invite-url"], {"DISCORD_TOKEN": "abcdefghijklmnop.abcdef.abcdefghijklmnop"}, "DISCORD_TOKEN is malformed"),
    ],
)
def test_run_refuses_bad_settings_in_one_line(
    empty_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env: dict[str, str],
    variable: str,
) -> None:
    from bot.__main__ import main

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(args) != 0
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"error: {variable}")
    assert "not-a-token" not in line
    assert list(empty_env.iterdir()) == []  # stopped before migrating anything


def test_an_unreachable_database_is_one_line_not_a_traceback(
    empty_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    # Nothing listens on port 1: the connection is refused at once.
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/circles")
    assert main(["migrate"]) == 1
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert line.startswith("error: DATABASE_URL: cannot migrate the database")
    assert "Traceback" not in out + err


def test_invite_url(runs: dict[str, Run]) -> None:
    run = runs["invite-url"]
    assert run.returncode == 0, run.stderr
    (line,) = run.stdout.splitlines()
    url = urlparse(line)
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == ["bot applications.commands"]
    assert int(query["permissions"][0]) > 0
    assert TOKEN not in run.stdout + run.stderr


def test_migrate_then_check_is_clean(runs: dict[str, Run]) -> None:
    migrate, check = runs["migrate"], runs["check-ok"]
    assert migrate.returncode == 0, migrate.stderr
    assert migrate.stdout.startswith("database at revision ")
    assert (migrate.cwd / "data" / "circles.db").exists()  # the default DATABASE_URL, relative to the cwd
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "configuration, Discord and database OK"
    assert check.stderr == ""


# First-run mistakes: one line that says what to do, the same exit code in every subcommand (2: change the
# configuration; 1: something cannot be reached or written), and never the token.

REJECTED = "error: Discord rejected the token: reset it in the Developer Portal and update DISCORD_TOKEN"


def _the_one_line(run: Run, code: int) -> str:
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and run.stderr.splitlines() == errors, run.stderr
    assert run.returncode == code, run.stderr
    return errors[0]


@pytest.mark.parametrize("command", ["run", "sync-commands", "check"])
def test_a_token_discord_rejects_is_one_line_saying_to_reset_it(
    runs: dict[str, Run], emulator_process: EmulatorProcess, command: str
) -> None:
    run = runs[f"{command}-wrong-token"]
    assert _the_one_line(run, 2) == REJECTED
    secret = _wrong(emulator_process.token).rsplit(".", 1)[1]
    assert secret not in run.stdout + run.stderr
    if command != "check":
        assert not (run.cwd / "data").exists()  # refused before migrating anything


@pytest.mark.parametrize("command", ["run", "sync-commands", "check"])
def test_an_unreachable_api_base_is_one_line_naming_it(runs: dict[str, Run], command: str) -> None:
    line = _the_one_line(runs[f"{command}-no-api"], 1)
    assert line.startswith(f"error: cannot reach DISCORD_API_BASE ({UNREACHABLE_API}): ClientConnectorError")


@pytest.mark.parametrize("command", ["run", "check"])
def test_an_unreachable_gateway_is_one_line_naming_it(runs: dict[str, Run], command: str) -> None:
    # Without the preflight, discord.py would retry the gateway every 5 s, with a traceback each time, forever.
    line = _the_one_line(runs[f"{command}-no-gateway"], 1)
    assert line.startswith(f"error: cannot reach DISCORD_GATEWAY_URL ({UNREACHABLE_GATEWAY}): ClientConnectorError")


@pytest.mark.parametrize("command", ["run", "check", "invite-url"])
def test_a_token_pasted_with_its_bot_prefix_is_told_to_drop_it(
    runs: dict[str, Run], emulator_process: EmulatorProcess, command: str
) -> None:
    run = runs[f"{command}-bot-prefix"]
    line = _the_one_line(run, 2)
    assert line.startswith("error: DISCORD_TOKEN starts with 'Bot': put only the token itself in DISCORD_TOKEN")
    assert emulator_process.token not in run.stdout + run.stderr


@pytest.mark.parametrize("command", ["run", "check", "migrate"])
def test_in_memory_sqlite_is_refused_saying_why(runs: dict[str, Run], command: str) -> None:
    # Each connection to :memory: is a database of its own: the writer thread would see no tables.
    line = _the_one_line(runs[f"{command}-in-memory"], 2)
    assert line.startswith("error: DATABASE_URL is invalid: an in-memory SQLite database cannot work")
    assert "the data survive a restart" in line


@pytest.mark.parametrize("command", ["check", "migrate"])
def test_a_data_directory_that_cannot_be_made_is_found_by_check_as_migrate_would(
    runs: dict[str, Run], command: str
) -> None:
    run = runs[f"{command}-unwritable"]
    line = _the_one_line(run, 1)
    assert line.startswith("error: DATABASE_URL:") and "a-file" in line and "not a directory" in line.lower()
