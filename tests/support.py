"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from unittest import mock

from typer.testing import CliRunner

from secassist.cli.main import main

_RUNNER = CliRunner()


def run_cli(env: Mapping[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``secassist ARGS`` in this process, through the real ``main()``, with ``env`` as the
    whole environment and ``stdin`` as standard input.

    It costs milliseconds where a process costs seconds (mostly imports), and returns what
    ``subprocess.run`` would. Nothing of the command outlives the call: every command reads
    its settings from the environment and disposes the engine it opened. ``main()`` ends the
    way a process would: its ``SystemExit`` becomes ``returncode``; any other exception
    propagates and fails the test, as a Python traceback on stderr does.
    """
    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    overrides.update(env)
    with (
        _RUNNER.isolation(input=stdin, env=overrides) as (out, err, _),
        mock.patch.object(sys, "argv", ["secassist", *args]),
    ):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        result = subprocess.CompletedProcess(
            ["secassist", *args], code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")
        )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def run_cli_subprocess(
    env: Mapping[str, str], *args: str, stdin: str | None = None, timeout: int = 120, script: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m secassist ARGS`` (or, with ``script``, the installed ``secassist``
    script) as a real process; a Python traceback is always a failure. Kept for the few
    tests of the entry points themselves: everything else uses ``run_cli``."""
    if script:
        entry = Path(sys.executable).parent / "secassist"
        assert entry.exists(), f"the secassist script is not installed beside {sys.executable}"
        cmd = [str(entry)]
    else:
        cmd = [sys.executable, "-m", "secassist"]
    proc = subprocess.run(
        [*cmd, *args],
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc
