"""The entry points as real processes: ``python -m secassist``, the installed ``secassist``
script, exit codes as a shell sees them, and the commands that must work with no database.

Every other CLI test runs the command in-process (``tests.support.run_cli``); these few are
what only a real process shows: the interpreter's entry, the console script, the exit status.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from secassist import __version__
from secassist.cli import main as cli_main
from tests.support import run_cli, run_cli_subprocess
from tests.vetting.screening.conftest import sanctions

EX_USAGE, EX_CONFIG, EX_UNAVAILABLE = 2, 78, 69
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def test_python_m_secassist_help_lists_the_command_groups(app_env: dict[str, str]) -> None:
    proc = run_cli_subprocess(app_env, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    for group in ("db", "demo", "audit", "cases", "screening", "vetting", "programs"):
        assert f" {group} " in proc.stdout, group


def test_the_installed_script_runs(app_env: dict[str, str]) -> None:
    proc = run_cli_subprocess(app_env, "version", script=True)
    assert (proc.returncode, proc.stdout.strip(), proc.stderr) == (0, __version__, "")


def test_errors_exit_with_their_codes_in_one_line(app_env: dict[str, str]) -> None:
    bad_url = run_cli_subprocess({**app_env, "SECASSIST_DATABASE_URL": "nonsense"}, "db", "upgrade")
    assert bad_url.returncode == EX_CONFIG
    assert bad_url.stdout == ""
    assert bad_url.stderr.startswith("error [")
    assert "not a database URL" in bad_url.stderr
    assert len(bad_url.stderr.strip().splitlines()) == 1

    offline = {**app_env, "SECASSIST_DATABASE_URL": UNREACHABLE}
    down = run_cli_subprocess(offline, "cases", "list", script=True)
    assert down.returncode == EX_UNAVAILABLE
    assert "cannot reach the database" in down.stderr

    usage = run_cli_subprocess(app_env, "cases", "show")
    assert usage.returncode == EX_USAGE
    assert "Missing argument" in usage.stderr


def test_verify_proof_as_a_process_with_no_database(
    app_env: dict[str, str], demo_db: None, tmp_path: Path
) -> None:
    """A witness checks an inclusion proof with only files: the database URL cannot work."""
    files = {name: tmp_path / name for name in ("checkpoint.txt", "log.pem", "proof.json")}
    for name, args in (
        ("checkpoint.txt", ["audit", "checkpoint"]),
        ("log.pem", ["audit", "public-key"]),
        ("proof.json", ["audit", "prove-inclusion", "1"]),
    ):
        made = run_cli(app_env, *args)
        assert made.returncode == 0, made.stderr
        files[name].write_text(made.stdout, encoding="utf-8")
    doc = json.loads(files["proof.json"].read_text(encoding="utf-8"))

    offline = {**app_env, "SECASSIST_DATABASE_URL": UNREACHABLE}
    args = ["audit", "verify-proof", "--proof", str(files["proof.json"])]
    args += ["--checkpoint", str(files["checkpoint.txt"]), "--public-key", str(files["log.pem"])]
    proc = run_cli_subprocess(offline, *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        f"proof verifies: entry 1 ({doc['entry']['tag']}) is in the log of {doc['tree_size']} entries\n"
    )

    doc["leaf_index"] = 2
    files["proof.json"].write_text(json.dumps(doc), encoding="utf-8")
    forged = run_cli_subprocess(offline, *args)
    assert forged.returncode != 0
    assert forged.stdout == ""
    assert "entry seq 1 is not the proof's leaf index 2" in forged.stderr


# --- the in-process runner itself ----------------------------------------------------------


def test_run_cli_gives_each_call_its_own_environment_and_stdin(
    app_env: dict[str, str], demo_db: None, databases: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Back to back in one process, two databases stay apart, a variable left out of ``env``
    is absent, and the test's own environment comes back unchanged."""
    monkeypatch.setenv("SECASSIST_DATABASE_URL", "nonsense")
    monkeypatch.setenv("SECASSIST_ENV", "production")
    other = {**app_env, "SECASSIST_DATABASE_URL": databases.new()}
    try:
        for env, cases in ((app_env, True), (other, False), (app_env, True)):
            proc = run_cli(env, "cases", "list", "--format", "json")
            assert proc.returncode == 0, proc.stderr
            assert bool(json.loads(proc.stdout)) is cases
    finally:
        databases.drop(other["SECASSIST_DATABASE_URL"])
    assert os.environ["SECASSIST_DATABASE_URL"] == "nonsense"
    assert os.environ["SECASSIST_ENV"] == "production"

    sdn = str(sanctions("ofac_sdn_sample_2025"))
    for name in ("Daniel Morena", ""):
        proc = run_cli(app_env, "screening", "match", "--list", sdn, stdin=f"{name}\n")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["query"] == name


def test_run_cli_lets_an_unexpected_exception_fail_the_test(
    app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only SystemExit is an exit; anything else is a crash the test must see."""

    def boom() -> None:
        raise RuntimeError("a crash, not an exit")

    monkeypatch.setattr(cli_main.typer, "echo", lambda *_a, **_k: boom())
    with pytest.raises(RuntimeError, match="a crash, not an exit"):
        run_cli(app_env, "version")
