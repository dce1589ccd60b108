"""``secassist reports``: the SIPRI TIV check on the real files, the transparency exports
and the PDFs, through the real CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import SHARED_DATA
from tests.support import run_cli

SIPRI = SHARED_DATA / "sipri"


def test_sipri_tiv_agrees_for_every_recipient(app_env: dict[str, str], tmp_path: Path) -> None:
    register = str(SIPRI / "sipri_trade_register_1950-2023.csv")
    tiv = str(SIPRI / "sipri_us_export_tiv_by_recipient.csv")
    r = run_cli(app_env, "reports", "sipri-tiv", register, tiv, "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 181
    assert all(row["agrees"] for row in rows)
    # A table that does not belong to the register disagrees, and the exit code says so.
    table = tmp_path / "t.csv"
    table.write_text("supplier,recipients,2020\nUnited States of America,Japan,99999\n")
    bad = run_cli(app_env, "reports", "sipri-tiv", register, str(table), "--format", "csv")
    assert bad.returncode == 1
    assert "disagree: Japan" in bad.stderr


@pytest.mark.usefixtures("demo_db")
def test_transparency_exports_and_pdfs(app_env: dict[str, str], tmp_path: Path) -> None:
    r = run_cli(app_env, "reports", "trade-register", "--format", "csv")
    assert r.returncode == 0, r.stderr
    register = list(csv.DictReader(io.StringIO(r.stdout)))
    assert register
    assert all(row["supplier"] == "United States" and row["notified_on"] for row in register)
    un = run_cli(app_env, "reports", "un-register", "--format", "json")
    rows = json.loads(un.stdout)["rows"]
    for line in un.stderr.splitlines():  # "  II Armoured combat vehicles: 1 rows, 100 ordered, 0 delivered"
        cat, rest = line.split(maxsplit=1)
        stated = int(rest.split(": ")[1].split(" rows")[0])
        assert stated == sum(row["category"] == cat for row in rows), line
    out = tmp_path / "case.pdf"
    cases = run_cli(app_env, "cases", "list", "--format", "json")
    first = json.loads(cases.stdout)[0]["identifier"]
    assert run_cli(app_env, "reports", "case-pdf", first, "--out", str(out)).returncode == 0
    assert f"FMS case {first}" in PdfReader(out).pages[0].extract_text()
    notice = tmp_path / "notice.pdf"
    assert run_cli(app_env, "reports", "notice-pdf", "1", "--out", str(notice)).returncode == 0
    assert notice.read_bytes().startswith(b"%PDF-")
