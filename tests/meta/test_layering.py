"""ARCHITECTURE rule 1: no `discord` import below cogs/ except bot/client.py; and the product never imports the
emulator (test tooling at the top level, not in the wheel)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {Path("bot/client.py"), Path("bot/discord_seams.py")}


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _discord_imports(source: str, filename: str) -> list[str]:
    return [
        f"{filename}:{line} imports {module}"
        for line, module in _imported_modules(ast.parse(source, filename))
        if module == "discord" or module.startswith("discord.")
    ]


def _governed_files() -> list[Path]:
    files = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative in ALLOWED:
            continue
        files.append(path)
    return files


def test_the_scan_covers_the_domain() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _governed_files()}
    assert {"bot/config.py", "bot/scheduling.py", "bot/circles/service.py", "bot/profiles/service.py"} <= names
    assert "bot/client.py" not in names


def _emulator_imports(source: str, filename: str) -> list[str]:
    return [
        f"{filename}:{line} imports {module}"
        for line, module in _imported_modules(ast.parse(source, filename))
        if module == "emulator" or module.startswith("emulator.")
    ]


def test_the_product_never_imports_the_emulator() -> None:
    product = sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "cogs").rglob("*.py"))
    assert ROOT / "bot" / "client.py" in product and ROOT / "cogs" / "__init__.py" in product
    offenders: list[str] = []
    for path in product:
        offenders += _emulator_imports(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert offenders == [], "the emulator is test tooling: a production install does not carry it"
    assert not list((ROOT / "bot" / "emulator").rglob("*.py"))  # moved to the top level (stale caches aside)


@pytest.mark.parametrize("source", ["import emulator\n", "from emulator.harness import BotProcess\n"])
def test_the_emulator_scan_sees_imports(source: str) -> None:
    assert _emulator_imports(source, "probe.py") != []


def test_no_module_under_bot_imports_discord() -> None:
    offenders: list[str] = []
    for path in _governed_files():
        offenders += _discord_imports(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert offenders == [], "services take ids and plain values; Discord glue belongs in cogs/"


@pytest.mark.parametrize(
    "source",
    [
        "import discord\n",
        "import discord.ext.commands as c\n",
        "from discord import app_commands\n",
        "from discord.ext import commands\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import discord\n",
        "def f():\n    from discord import Embed\n",
        "import importlib\nimportlib.import_module('discord')\n",
    ],
)
def test_the_scan_sees_every_form_of_import(source: str) -> None:
    assert _discord_imports(source, "probe.py") != []


@pytest.mark.parametrize("source", ["import discordant\n", "from bot.discord_ids import x\n", "x = 'discord'\n"])
def test_the_scan_ignores_lookalikes(source: str) -> None:
    assert _discord_imports(source, "probe.py") == []


def test_ruff_config_bans_discord_outside_the_glue() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lint = config["tool"]["ruff"]["lint"]
    assert "discord" in lint["flake8-tidy-imports"]["banned-api"]
    assert any(rule in ("TID", "TID2", "TID25", "TID251", "ALL") for rule in lint["select"])
    exempt = {pattern for pattern, rules in lint.get("per-file-ignores", {}).items() if "TID251" in rules}
    # Only the glue (and its seams with discord.py internals), the emulator (a test tool), tests and
    # benchmarks may import discord.
    assert exempt <= {"cogs/**", "bot/client.py", "bot/discord_seams.py", "emulator/**", "tests/**", "bench/**"}
    assert not any(p in exempt for p in ("bot/**", "bot/*", "**", "*"))


@pytest.mark.parametrize(
    ("filename", "banned"),
    [
        ("bot/circles/_probe.py", True),
        ("bot/_probe.py", True),
        ("bot/newfeature/service.py", True),
        ("cogs/circles/_probe.py", False),
        ("bot/client.py", False),
    ],
)
def test_ruff_enforces_the_ban(filename: str, banned: bool) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "TID251", "--stdin-filename", filename, "-"],
        input="from discord.ext import commands\n\nprint(commands)\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert ("TID251" in result.stdout) is banned, result.stdout + result.stderr
    assert result.returncode == (1 if banned else 0)
