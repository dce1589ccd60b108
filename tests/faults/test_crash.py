"""Crash safety (issue #16, test 3): ``secassist`` killed with SIGKILL in the middle of a
list load, a notice import, an inventory reconciliation and a ledger posting.

Each command runs as a real process through ``tests.faults.crashpoint``, which blocks it at a
chosen point (after N writes, at the commit, just after the commit); the test then kills it.
Afterwards: the database holds exactly what it held before (row counts of every table and the
domain rows), ``secassist audit verify`` passes, and rerunning the command reaches the same
end state as one clean run on a twin database made from the same template (every table's row
count, the domain rows without ids and times, the log's tags in order, the list's content
hashes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import DateTime, func, inspect, select, table
from sqlalchemy.orm import DeclarativeBase

from secassist.audit.models import AuditEntry
from secassist.equipment.models import CustodyEvent, Inventory, Item
from secassist.notification.models import NoticeSource, Notification
from secassist.programs.models import LedgerEntry
from secassist.storage.engine import make_engine, make_session_factory
from secassist.storage.uow import read_only
from secassist.vetting.screening.models import ScreeningEntity, ScreeningListVersion
from tests.conftest import SHARED_DATA
from tests.support import run_cli

pytestmark = pytest.mark.usefixtures("demo_db")

REPO = Path(__file__).resolve().parents[2]
OFAC_SAMPLE = SHARED_DATA / "sanctions" / "ofac_sdn_sample_2025"
NOTICES = sorted((SHARED_DATA / "notices").glob("0[0-2]*.txt"))
TODAY = datetime.now(UTC).date().isoformat()  # the demo's dates count back from today
DEPOT = "Demo: night vision depot, Bydgoszcz (invented)"

DOMAIN: Sequence[type[DeclarativeBase]] = (
    ScreeningListVersion,
    Notification,
    NoticeSource,
    Inventory,
    CustodyEvent,
    Item,
    LedgerEntry,
)


def _is_time(t: Any) -> bool:
    return isinstance(t, DateTime) or isinstance(getattr(t, "impl", None), DateTime)


def _content(s: Any, model: type[DeclarativeBase]) -> list[tuple[str, ...]]:
    """``model``'s rows without their ids and times (PostgreSQL spends sequence values in a
    transaction that never commits, so the rerun's ids may differ from the twin's)."""
    cols = [
        c
        for c in model.__table__.columns  # type: ignore[attr-defined]
        if not (c.primary_key or c.name.endswith("_id") or _is_time(c.type))
        and c.name not in {"source_path", "payload"}
    ]
    return sorted(tuple(repr(v) for v in row) for row in s.execute(select(*cols)))


def state(url: str) -> dict[str, Any]:
    """What must match: every table's row count, the domain rows, the log's tags in order."""
    eng = make_engine(url)
    try:
        with read_only(make_session_factory(eng)) as s:
            names = sorted(inspect(s.connection()).get_table_names())
            counts = {n: s.scalar(select(func.count()).select_from(table(n))) for n in names}
            return {
                "counts": counts,
                "tags": list(s.scalars(select(AuditEntry.tag).order_by(AuditEntry.seq))),
                "entities": sorted(s.scalars(select(ScreeningEntity.payload_sha256))),
                **{m.__name__: _content(s, m) for m in DOMAIN},
            }
    finally:
        eng.dispose()


def verify(env: dict[str, str]) -> None:
    proc = run_cli(env, "audit", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def kill_at(env: dict[str, str], point: str, args: Sequence[str], tmp_path: Path) -> None:
    """Run ``secassist ARGS`` as a process, wait until it reaches ``point``, SIGKILL it."""
    mark = tmp_path / f"reached-{time.monotonic_ns()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.crashpoint", *args],
        env={**env, "FAULT_POINT": point, "FAULT_MARK": str(mark)},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not mark.exists():
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"{args} ended (exit {proc.returncode}) before {point}: {out}{err}")
            if time.monotonic() > deadline:
                pytest.fail(f"{args} did not reach {point} in 60 s")
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def ok(env: dict[str, str], *args: str) -> str:
    proc = run_cli(env, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def crash_then_rerun(
    app_env: dict[str, str],
    twin_env: dict[str, str],
    db_url: str,
    tmp_path: Path,
    args: Sequence[str],
    points: Sequence[str],
) -> dict[str, Any]:
    """Kill ``args`` at each of ``points`` in turn, checking the database each time; rerun
    it; compare with one clean run on the twin. Returns the end state."""
    before = state(db_url)
    for point in points:
        kill_at(app_env, point, args, tmp_path)
        assert state(db_url) == before, f"killed at {point}: the database changed"
        verify(app_env)
    ok(app_env, *args)
    ok(twin_env, *args)
    after = state(db_url)
    assert after != before
    assert after == state(twin_env["SECASSIST_DATABASE_URL"])
    verify(app_env)
    return after


def test_list_load_killed_midway_at_commit_and_after_it(
    app_env: dict[str, str], twin_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    env = {**app_env, "SECASSIST_AS": "pm.officer"}
    twin = {**twin_env, "SECASSIST_AS": "pm.officer"}
    args = ["screening", "load", str(OFAC_SAMPLE), "--published", "2025-06-01"]
    after = crash_then_rerun(env, twin, db_url, tmp_path, args, ["write:2", "commit"])
    # Killed after its commit, the load landed whole; rerun, it adds no second version.
    kill_at(env, "after-commit", args, tmp_path)
    verify(env)
    assert "unchanged, already loaded" in ok(env, *args)
    assert state(db_url) == after


def test_notice_import_killed_midway_at_commit_and_after_it(
    app_env: dict[str, str], twin_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    env = {**app_env, "SECASSIST_AS": "pm.officer"}
    twin = {**twin_env, "SECASSIST_AS": "pm.officer"}
    args = ["notices", "import", *map(str, NOTICES)]
    after = crash_then_rerun(env, twin, db_url, tmp_path, args, ["write:2", "commit"])
    assert len(after["Notification"]) >= len(NOTICES) - 1
    kill_at(env, "after-commit", args, tmp_path)
    verify(env)
    ok(env, *args)
    assert state(db_url) == after


def test_reconciliation_killed_midway_and_at_commit(
    app_env: dict[str, str], twin_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    scan = tmp_path / "scan.csv"
    serials = [f"DEMO-PVS14-A{n:05d}" for n in range(1, 61)]
    scan.write_text("serial,condition\n" + "".join(f"{s},ok\n" for s in serials), encoding="utf-8")
    env = {**app_env, "SECASSIST_AS": "dsca.case"}
    twin = {**twin_env, "SECASSIST_AS": "dsca.case"}
    args = ["equipment", "reconcile", str(scan), "--site", DEPOT, "--on", TODAY, "--apply"]
    after = crash_then_rerun(env, twin, db_url, tmp_path, args, ["write:1", "commit"])
    assert len(after["Inventory"]) > 0


def test_ledger_posting_killed_midway_and_at_commit(
    app_env: dict[str, str], twin_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    env = {**app_env, "SECASSIST_AS": "pm.officer"}
    twin = {**twin_env, "SECASSIST_AS": "pm.officer"}
    for e in (env, twin):  # an IMET appropriation and allocation to post against, in both
        ok(e, "programs", "appropriations", "add", "--program", "IMET", "--fy", "2026", "--amount", "900000",
           "--from", "2026-01-01", "--until", "2027-09-30", "--unconfirmed")  # fmt: skip
        approp = max(
            a["id"]
            for a in json.loads(ok(e, "programs", "appropriations", "list", "--format", "json"))
            if a["program"] == "IMET" and a["fiscal_year"] == 2026
        )
        ok(e, "programs", "allocate", "--appropriation", str(approp), "--country", "PL", "--amount", "500000",
           "--on", "2026-01-02")  # fmt: skip
    args = [
        "programs", "obligate", "--appropriation", str(approp), "--country", "PL",
        "--amount", "125000.25", "--on", "2026-02-01", "--target", "training", "--reference", "crash",
    ]  # fmt: skip
    after = crash_then_rerun(env, twin, db_url, tmp_path, args, ["write:1", "commit"])
    obligations = [r for r in after["LedgerEntry"] if "12500025" in r]
    assert len(obligations) == 1
