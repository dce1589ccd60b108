"""``secassist programs``, run as real subprocesses against the test database."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.programs.models import LedgerEntry
from secassist.storage.uow import read_only, unit_of_work
from tests.programs.factories import appropriation, make_case
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


def test_programs_cli_names_things_as_a_reader_knows_them(
    app_env: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as s:
        base = appropriation(s, amount="5000000").id  # entry 1
        supplemental = appropriation(s, amount="1000000").id  # entry 2
        appropriation(s, program="IMET", fiscal_year=2025)  # entry 3
        case_id, line_ids = make_case(s)  # PL-B-AAA, lines 001 and 002

    def run(*args: str) -> tuple[int, str]:
        proc = run_cli(app_env, "programs", *args)
        return proc.returncode, proc.stderr.strip()

    def allocate(appr: str) -> tuple[int, str]:
        return run(
            "allocate", "--appropriation", appr, "--country", "PL", "--amount", "400000", "--on", "2024-05-01"
        )

    code, err = allocate("FMF/2024")
    assert code == EX_DATAERR
    assert f"FMF/2024 names several appropriations, {base} (" in err
    assert f"{supplemental} (" in err
    assert allocate("FMF/2023")[0] == EX_NOINPUT
    assert allocate("FMF-2024")[0] == EX_DATAERR
    assert allocate(str(base))[0] == 0  # entry 4
    assert run("ledger", "--appropriation", "IMET/2025", "--format", "json")[0] == 0

    obligate = ("obligate", "--appropriation", str(base), "--country", "PL", "--amount", "300000",
                "--on", "2024-06-01", "--target", "case")  # fmt: skip
    code, err = run(*obligate, "--case", "PL-B-AAA", "--line", "003")
    assert (code, err) == (EX_NOINPUT, "error [not_found]: line: case PL-B-AAA has no line '003'")
    code, err = run(*obligate, "--case", "PL-B-AAA", "--line", "1", "--case-id", str(case_id))
    assert code == EX_DATAERR
    assert err.endswith("case: give --case/--line or --case-id/--case-line-id, not both")
    assert run(*obligate, "--case", "PL-B-AAA")[0] == EX_DATAERR
    code, err = run(*obligate, "--case", "PL-B-AAA", "--line", "1", "--reference", "FMF-PL-1")
    assert (code, err.split(":")[0]) == (0, "recorded obligation entry 5")
    code, err = run("expend", "--obligation-ref", "FMF-PL-1", "--amount", "1000", "--on", "2024-07-01",
                    "--reference", "INV-1")  # fmt: skip
    assert (code, err.split(":")[0]) == (0, "recorded expenditure entry 6")
    code, err = run("expend", "--obligation-ref", "INV-1", "--amount", "1", "--on", "2024-07-01")
    assert (code, err) == (
        EX_NOINPUT, "error [not_found]: obligation_ref: no obligation entry with reference 'INV-1'"
    )  # fmt: skip
    assert run("reverse", "--entry-ref", "INV-1", "--on", "2024-07-02", "--reason", "duplicate")[0] == 0
    code, err = run("reverse", "--entry-ref", "INV-1", "--on", "2024-07-02", "--reason", "again")
    assert code == EX_DATAERR
    assert "entry_id: entry 6 was already reversed by 7" in err
    assert run("reverse", "6", "--entry-ref", "INV-1", "--on", "2024-07-02", "--reason", "x")[0] == EX_DATAERR

    with read_only(session_factory) as s:
        entries = list(s.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))
    obligation, expenditure, reversal = entries[4:]
    assert (obligation.kind, obligation.case_id, obligation.case_line_id) == (
        "obligation",
        case_id,
        line_ids[0],
    )
    assert (expenditure.obligation_id, expenditure.reference) == (obligation.id, "INV-1")
    assert (reversal.reverses_id, reversal.amount_cents) == (expenditure.id, -100000)
