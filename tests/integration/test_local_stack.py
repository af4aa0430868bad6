"""The README's run command: the local stack comes up, runs its demo and stops cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("provider", ["jitsi", "zoom", "bigbluebutton"])
def test_the_local_stack_runs_its_demo_and_stops(provider: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local.stack", "--once", "--provider", provider],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "The local stack is up" in result.stdout
    assert '"conferenceId"' in result.stdout
    assert "start_url" not in result.stdout
    if provider == "zoom":
        assert '"entryPointType": "phone"' in result.stdout
    if provider == "bigbluebutton":
        assert "Join link (answers 200)" in result.stdout
        assert "join_meeting" in result.stdout
