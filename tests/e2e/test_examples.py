"""The example script documented in docs/EMULATOR.md ("Scripting the emulator") runs as a user would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_standup_walkthrough_runs_to_the_summary() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator.examples.standup_walkthrough"],
        cwd=ROOT,  # as documented: from the repository root
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "form 'Standup · " in result.stdout and "['q0', 'q1', 'q2']" in result.stdout
    assert "Finish the landing page" in result.stdout
    assert "**1 of 1** checked in" in result.stdout
