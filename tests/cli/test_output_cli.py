"""The shared output helper (``cli/output.py``) as every command uses it: tables readable at
80 columns when output is not a terminal, progress bars only on a terminal, ``--quiet``.

Every table-producing command runs against the demo database through the real ``main()``;
the progress tests run ``secassist`` as a real process with standard error on a
pseudo-terminal, as a person at a terminal would see it.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_DATA
from tests.support import run_cli
from tests.vetting.screening.conftest import sanctions

# Each table-producing command that needs nothing but the demo database; ``{case}`` is a
# demo case, ``{day}`` a date the demo covers.
TABLE_COMMANDS: list[tuple[str, ...]] = [
    ("audit", "entries"),
    ("audit", "checkpoints"),
    ("cases", "list"),
    ("cases", "show", "{case}"),
    ("cases", "lines", "{case}"),
    ("cases", "timeline", "{case}"),
    ("cases", "gates", "{case}"),
    ("cases", "metrics"),
    ("cases", "amendments", "{case}"),
    ("cases", "participants", "{case}"),
    ("equipment", "sites", "list"),
    ("equipment", "items"),
    ("equipment", "delinquency", "--as-of", "{day}"),
    ("equipment", "due", "--as-of", "{day}"),
    ("leahy", "units"),
    ("leahy", "vettings"),
    ("leahy", "duty-to-inform"),
    ("notification", "list"),
    ("orgs", "list"),
    ("programs", "list"),
    ("programs", "appropriations", "list"),
    ("programs", "ledger"),
    ("programs", "totals"),
    ("reference", "nato-members", "--on", "{day}"),
    ("reference", "nato-bodies"),
    ("reference", "mnna", "--on", "{day}"),
    ("reference", "itar-126-1", "--on", "{day}"),
    ("reference", "countries"),
    ("reference", "usml"),
    ("reference", "agencies"),
    # ("screening", "alerts") prints nothing on the demo: it has no open alerts
    ("screening", "lists"),
    ("tokens", "list"),
    ("transfers", "list"),
    ("transfers", "overdue"),
    ("users", "list"),
    ("vetting", "profiles"),
    ("vetting", "rules"),
    ("vetting", "decisions"),
    ("vetting", "queue"),
    ("vetting", "enduse"),
    ("vetting", "proposals"),
]

DAY = "2024-06-30"


@pytest.fixture
def piped_env(app_env: dict[str, str], demo_db: None) -> dict[str, str]:
    """The demo database, with no ``COLUMNS``: what a script or a pipe gives the CLI."""
    env = dict(app_env)
    env.pop("COLUMNS", None)
    return env


def _demo_case(env: dict[str, str]) -> str:
    proc = run_cli(env, "cases", "list", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    cases: list[dict[str, Any]] = json.loads(proc.stdout)
    assert cases, "the demo has cases"
    return str(cases[0]["identifier"])


def test_every_table_fits_80_columns_when_not_a_terminal(piped_env: dict[str, str]) -> None:
    case = _demo_case(piped_env)
    too_wide: dict[str, list[str]] = {}
    failed: dict[str, str] = {}
    for command in TABLE_COMMANDS:
        args = [a.format(case=case, day=DAY) for a in command]
        proc = run_cli(piped_env, *args)
        if proc.returncode != 0 or not proc.stdout.strip():
            failed[" ".join(args)] = proc.stderr
            continue
        wide = [line for line in proc.stdout.splitlines() if len(line) > 80]
        if wide:
            too_wide[" ".join(args)] = wide
    assert not failed, json.dumps(failed, indent=1)
    assert not too_wide, json.dumps(too_wide, indent=1)


def test_columns_that_do_not_fit_are_named_and_kept_in_json(piped_env: dict[str, str]) -> None:
    table = run_cli(piped_env, "cases", "list").stdout
    rows = json.loads(run_cli(piped_env, "cases", "list", "--format", "json").stdout)
    columns = list(rows[0])
    header = table.splitlines()[1:4]
    # the key column comes first and stays; whatever was left out is named under the table
    assert columns[0] in " ".join(header)
    assert "--format json or csv" in table
    left_out = table.split("more column")[1]
    assert columns[-1] in left_out.replace("\n", " ").replace("│", "")
    # the JSON carries every column, whatever the width
    wide = dict(piped_env, COLUMNS="400")
    assert json.loads(run_cli(wide, "cases", "list", "--format", "json").stdout) == rows
    assert "more column" not in run_cli(wide, "cases", "list").stdout


def test_columns_sets_the_width(piped_env: dict[str, str]) -> None:
    lines = run_cli(dict(piped_env, COLUMNS="120"), "reference", "agencies").stdout.splitlines()
    assert max(len(line) for line in lines) > 80
    assert all(len(line) <= 120 for line in lines)


def test_quiet_keeps_the_data_and_drops_the_informational_lines(piped_env: dict[str, str]) -> None:
    loud = run_cli(piped_env, "db", "check")
    assert loud.returncode == 0
    assert "database at head" in loud.stderr
    quiet = run_cli(piped_env, "--quiet", "db", "check")
    assert quiet.returncode == 0
    assert quiet.stderr == ""
    data = run_cli(piped_env, "-q", "reference", "agencies", "--format", "csv")
    assert data.returncode == 0
    assert data.stdout == run_cli(piped_env, "reference", "agencies", "-f", "csv").stdout
    # errors still speak
    bad = run_cli(piped_env, "--quiet", "cases", "show", "NO-SUCH-CASE")
    assert bad.returncode != 0
    assert "error" in bad.stderr


def _run_on_a_terminal(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run ``secassist ARGS`` with standard error on a pseudo-terminal and standard output
    on a pipe; return the exit code, standard output and what the terminal showed."""
    return _on_a_terminal(env, [sys.executable, "-m", "secassist", *args])


def _on_a_terminal(env: dict[str, str], argv: list[str]) -> tuple[int, str, str]:
    """Run ``argv`` as :func:`_run_on_a_terminal` does."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            argv,
            env={**env, "TERM": "xterm-256color"},
            stdout=subprocess.PIPE,
            stderr=follower,
            stdin=subprocess.DEVNULL,
        )
        os.close(follower)
        shown = bytearray()
        while True:
            ready, _, _ = select.select([leader], [], [], 120)
            if not ready:
                proc.kill()
                raise AssertionError("the command hung")
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: the command is done
                break
            if not chunk:
                break
            shown += chunk
        out = proc.stdout.read().decode() if proc.stdout else ""
        code = proc.wait(timeout=60)
        if proc.stdout:
            proc.stdout.close()
    finally:
        os.close(leader)
    return code, out, shown.decode(errors="replace")


def test_audit_verify_shows_progress_only_on_a_terminal(piped_env: dict[str, str]) -> None:
    code, out, terminal = _run_on_a_terminal(piped_env, "audit", "verify")
    assert code == 0, terminal
    assert "audit log verifies" in out
    assert "verifying the audit log" in terminal
    assert "verifying the audit log" not in out

    code, out, terminal = _run_on_a_terminal(piped_env, "--quiet", "audit", "verify")
    assert code == 0, terminal
    assert "audit log verifies" in out
    assert "verifying" not in terminal

    # standard error not a terminal: no bar anywhere
    piped = run_cli(piped_env, "audit", "verify")
    assert piped.returncode == 0
    assert "verifying the audit log" not in piped.stdout + piped.stderr


def test_list_load_shows_progress_only_on_a_terminal(app_env: dict[str, str]) -> None:
    env = {k: v for k, v in app_env.items() if k != "COLUMNS"}
    sdn = str(sanctions("ofac_sdn_sample_2025"))
    code, out, terminal = _run_on_a_terminal(env, "screening", "load", sdn, "--published", "2025-05-16")
    assert code == 0, terminal
    assert "loaded us_ofac_sdn" in out
    assert "loading" in terminal

    # the same list again under --quiet: the summary (data) stays, the bar does not
    code, out, terminal = _run_on_a_terminal(env, "-q", "screening", "load", sdn, "--published", "2025-05-16")
    assert code == 0, terminal
    assert "already loaded" in out
    assert "loading" not in terminal


def test_notice_import_shows_progress_only_on_a_terminal(app_env: dict[str, str]) -> None:
    env = {k: v for k, v in app_env.items() if k != "COLUMNS"}
    files = [str(p) for p in sorted((SHARED_DATA / "notices").glob("*.txt"))]
    assert files, "the shared notices"
    code, out, terminal = _run_on_a_terminal(env, "notices", "import", *files)
    assert code == 0, terminal
    assert "importing notices" in terminal
    assert "importing notices" not in out
    assert "created" in out
    # machine output, --quiet, or no terminal at all: no bar
    code, out, terminal = _run_on_a_terminal(env, "notices", "import", *files, "--format", "json")
    assert code == 0, terminal
    assert "importing" not in terminal
    assert {r["outcome"] for r in json.loads(out)} == {"unchanged"}
    code, out, terminal = _run_on_a_terminal(env, "-q", "notices", "import", *files)
    assert code == 0, terminal
    assert "importing" not in terminal
    piped = run_cli(env, "notices", "import", *files)
    assert piped.returncode == 0
    assert "importing" not in piped.stdout + piped.stderr


def test_reconciliation_shows_progress_only_on_a_terminal(piped_env: dict[str, str], tmp_path: Path) -> None:
    piped_env = {**piped_env, "SECASSIST_AS": "army.eum"}  # a dry run, by the end-use monitor
    items = json.loads(run_cli(piped_env, "equipment", "items", "--format", "json").stdout)
    at_site = [i for i in items if i.get("site")]
    assert at_site, "the demo has items held at a site"
    site = at_site[0]["site"]
    scan = tmp_path / "scan.csv"
    scan.write_text(
        "serial\n" + "".join(f"{i['serial']}\n" for i in at_site if i["site"] == site), encoding="utf-8"
    )
    args = ("equipment", "reconcile", str(scan), "--site", site, "--on", "2026-01-01")
    code, out, terminal = _run_on_a_terminal(piped_env, *args)
    assert code == 0, terminal
    assert "reconciling scan.csv" in terminal
    assert out.startswith("found: ")
    assert "reconciling" not in out
    code, out, terminal = _run_on_a_terminal(piped_env, *args, "--format", "json")
    assert code == 0, terminal
    assert "reconciling" not in terminal
    assert json.loads(out)["applied"] is False
    piped = run_cli(piped_env, *args)
    assert piped.returncode == 0
    assert "reconciling" not in piped.stdout + piped.stderr


GENERATE = """
import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from bench import _gen
from secassist.storage.engine import make_engine
from secassist.storage.migrate import upgrade
engine = make_engine(f"sqlite:///{sys.argv[1]}")
upgrade(engine)
_gen.build(_gen.Spec.for_size(3000), [engine], Ed25519PrivateKey.generate(), vacuum=False)
print("built")
"""


def test_bench_data_generation_shows_progress_only_on_a_terminal(
    app_env: dict[str, str], tmp_path: Path
) -> None:
    """The bench's audit-log generator (``bench._gen``, also the first step of the equipment
    generator), as the audit bench runs it into a fresh SQLite file: a bar on a terminal,
    none in a pipe."""
    argv = [sys.executable, "-c", GENERATE]
    code, out, terminal = _on_a_terminal(app_env, [*argv, str(tmp_path / "tty.db")])
    assert code == 0, terminal
    assert out.strip() == "built"
    assert "generating 3,000 audit entries" in terminal
    piped = subprocess.run(
        [*argv, str(tmp_path / "piped.db")], env=app_env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.strip() == "built"
    assert "generating" not in piped.stderr
