"""The non-editable install: the wheel (what `pip install .` or a Docker image gets) migrates and checks.

Slow for a meta test (about 10 s: it builds a wheel and installs it) but it runs in CI with the rest; nothing
deselects the `slow` marker. It stays offline and quick: the wheel is built with `--no-build-isolation`
(setuptools and wheel come with the dev extra), installed with `--no-deps --no-index` into a fresh venv without
pip, and that venv borrows the dependencies (discord.py, SQLAlchemy, Alembic…) from the dev venv through a
`.pth` line. A `.pth` line only appends a directory: the dev venv's editable-install hook is not run, so `bot`
and `cogs` can come only from the wheel, which the child process checks before anything else.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.db import migrate as migrations
from tests.meta.conftest import EmulatorProcess

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# What a copy of the checkout leaves out: local state and caches, never sources.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.pyc", "build", "dist", "*.egg-info", ".hypothesis", ".*_cache", "data", ".env"
)

WHERE_FROM = """
import importlib.util, json, pkgutil, sys
import bot, cogs, bot.migrations
print(json.dumps({
    "bot": bot.__file__,
    "cogs": cogs.__file__,
    "migrations": bot.migrations.__file__,
    "emulator": importlib.util.find_spec("emulator") is not None,
    "sitecustomize": importlib.util.find_spec("sitecustomize") is not None
        and "emulator" in (importlib.util.find_spec("sitecustomize").origin or ""),
    "extensions": sorted(m.name for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_")),
}))
"""


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path
    site_packages: Path
    workdir: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def _must(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, emulator_process: EmulatorProcess) -> Installed:
    base = tmp_path_factory.mktemp("packaging")
    # Build from a copy: an in-tree build leaves build/ and *.egg-info in the checkout, and a stale build/lib
    # could put files in the wheel that the sources no longer have.
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    wheels = base / "wheels"
    pip = [sys.executable, "-m", "pip"]
    _must([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels), str(source)])
    (wheel,) = wheels.glob("cowork_circles-*.whl")

    target = base / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    _must([*pip, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)])
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "zz_dev_dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n", encoding="utf-8")

    workdir = base / "elsewhere"  # not the checkout: nothing on sys.path but the two site-packages
    workdir.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DISCORD_TOKEN": emulator_process.token,  # `check` asks Discord (here the emulator) about it
        **emulator_process.env(),
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'data' / 'circles.db'}",
    }
    return Installed(wheel, python, site_packages, workdir, env)


def test_the_wheel_carries_the_product_and_its_migrations_only(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"bot", "cogs"}
    assert not any("emulator" in name or name.endswith("sitecustomize.py") for name in names)
    revisions = {f"bot/migrations/versions/{p.name}" for p in (ROOT / "bot" / "migrations" / "versions").glob("*.py")}
    assert revisions and revisions <= set(names)
    assert {"bot/migrations/env.py", "bot/migrations/script.py.mako", "bot/__main__.py"} <= set(names)


def test_the_installed_bot_comes_from_the_wheel_without_the_emulator(installed: Installed) -> None:
    result = installed.run("-c", WHERE_FROM)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    for name in ("bot", "cogs", "migrations"):
        assert Path(found[name]).is_relative_to(installed.site_packages), found
    assert found["emulator"] is False
    assert found["sitecustomize"] is False
    assert found["extensions"] == sorted(
        p.name for p in (ROOT / "cogs").iterdir() if (p / "__init__.py").exists() and not p.name.startswith("_")
    )


def test_the_installed_bot_migrates_and_checks_from_another_directory(installed: Installed) -> None:
    migrate = installed.run("-m", "bot", "migrate")
    assert migrate.returncode == 0, migrate.stderr
    assert f"database at revision {migrations.head_revision()}" in migrate.stdout  # the checkout's head
    assert (installed.workdir / "data" / "circles.db").exists()
    check = installed.run("-m", "bot", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "configuration, Discord and database OK" in check.stdout
    assert "Traceback" not in migrate.stderr + check.stderr


def test_the_installed_bot_says_the_playground_needs_a_checkout(installed: Installed) -> None:
    result = installed.run("-m", "bot", "playground")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: the playground needs a source checkout installed with `pip install -e '.[dev]'`"
    )
