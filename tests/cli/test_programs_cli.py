"""``secassist programs``, run as real subprocesses against the test database."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.programs.models import LedgerEntry
from secassist.storage.uow import read_only
from tests.support import run_cli

EX_DATAERR, EX_NOINPUT = 65, 66


def _counts(sf: sessionmaker[Session]) -> tuple[int, int]:
    with read_only(sf) as s:
        return (
            s.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def test_programs_cli_end_to_end(app_env: dict[str, str], session_factory: sessionmaker[Session]) -> None:
    def ok(*args: str) -> str:
        proc = run_cli(app_env, "programs", *args)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    ok(
        "appropriations",
        "add",
        "--program",
        "IMET",
        "--fy",
        "2024",
        "--amount",
        "1000000",
        "--from",
        "2024-03-23",
        "--until",
        "2025-09-30",
        "--unconfirmed",
    )
    ok("allocate", "--appropriation", "1", "--country", "PH", "--amount", "50000", "--on", "2024-05-01")
    ok(
        "obligate",
        "--appropriation",
        "1",
        "--country",
        "PH",
        "--amount",
        "20000.50",
        "--on",
        "2024-06-01",
        "--target",
        "training",
        "--reference",
        "course",
    )
    ok("expend", "--obligation", "3", "--amount", "5000", "--on", "2024-07-01")
    ok("reverse", "4", "--on", "2024-07-02", "--reason", "duplicate")
    ledger = json.loads(ok("ledger", "--format", "json"))
    assert [(e["kind"], e["amount"]) for e in ledger] == [
        ("appropriation", "1000000.00"),
        ("allocation", "50000.00"),
        ("obligation", "20000.50"),
        ("expenditure", "5000.00"),
        ("expenditure", "-5000.00"),
    ]
    rows = list(csv.DictReader(io.StringIO(ok("totals", "--on", "2024-07-01", "--format", "csv"))))
    assert [(r["level"], r["country"], r["region"], r["expended"], r["available"]) for r in rows] == [
        ("program", "", "", "5000.00", "29999.50"),
        ("country", "PH", "EAP", "5000.00", "29999.50"),
    ]
    assert "IMET" in ok("appropriations", "list", "--format", "table")
    assert json.loads(ok("list", "--format", "json"))[0]["code"] == "FMF"

    before = _counts(session_factory)
    for args, code, field in [
        (
            ("allocate", "--appropriation", "1", "--country", "PH", "--amount", "-3", "--on", "2024-05-01"),
            EX_DATAERR,
            "amount",
        ),
        (
            (
                "obligate",
                "--appropriation",
                "1",
                "--country",
                "PH",
                "--amount",
                "1",
                "--on",
                "2025-10-01",
                "--target",
                "training",
                "--reference",
                "late",
            ),
            EX_DATAERR,
            "on",
        ),
        (("reverse", "5", "--on", "2024-08-01", "--reason", "undo"), EX_DATAERR, "entry_id"),
        (("reverse", "99", "--on", "2024-08-01", "--reason", "ghost"), EX_NOINPUT, "entry_id"),
    ]:
        proc = run_cli(app_env, "programs", *args)
        assert proc.returncode == code, (args, proc.stderr)
        assert f"{field}:" in proc.stderr, proc.stderr
        assert proc.stdout == ""
    assert _counts(session_factory) == before
