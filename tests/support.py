"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import subprocess
import sys


def run_cli(
    env: dict[str, str], *args: str, stdin: str | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``secassist ARGS`` as a real process; a Python traceback is always a failure."""
    proc = subprocess.run(
        [sys.executable, "-m", "secassist", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc
