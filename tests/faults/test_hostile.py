"""Hostile input (issue #16, test 2): malformed and hostile list files, notices, scans and
text fields. Each gets a clear CLI error or 4xx naming the file, line or field, and nothing
is half-written: every table's row count is unchanged and ``secassist audit verify`` passes.
Injection strings are stored as text, and CSV exports neutralize spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.faults.test_crash import TODAY, state, verify
from tests.support import run_cli

pytestmark = pytest.mark.usefixtures("demo_db")

SANCTIONS = SHARED_DATA / "sanctions"
OFAC = SANCTIONS / "ofac_sdn_sample_2025"
UN = SANCTIONS / "un" / "UN_consolidated_2026-02-27.xml"
FTM = SANCTIONS / "opensanctions_ftm" / "eu_fsf_sample.ftm.jsonl"
NOTICE = SHARED_DATA / "notices" / "002.txt"
DEPOT = "Demo: night vision depot, Bydgoszcz (invented)"
INJECTIONS = [
    "'; DROP TABLE program_entry; --",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '+HYPERLINK("http://127.0.0.1/x")',
    "-2+3+cmd|' /C calc'!A0",
    "../../../../etc/passwd",
]


def _ofac(tmp: Path, mutate: bytes) -> Path:
    """A copy of the OFAC sample whose sdn.csv ends with ``mutate``."""
    d = tmp / "ofac"
    shutil.copytree(OFAC, d)
    sdn = d / "sdn.csv"
    sdn.write_bytes(sdn.read_bytes() + mutate)
    return d


def _file(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


BAD_LISTS = {
    "ofac-unterminated-quote": lambda t: _ofac(t, b'99999,"BROKEN NAME,"individual\n'),
    "ofac-invalid-utf8": lambda t: _ofac(t, b'99998,"BAD \xff\xfe NAME","individual","-0-"\n'),
    "ofac-overlong-utf8": lambda t: _ofac(t, b'99997,"SLASH \xc0\xaf NAME","individual","-0-"\n'),
    "ofac-nul-byte": lambda t: _ofac(t, b'99996,"NUL \x00 NAME","individual","-0-"\n'),
    "un-truncated-xml": lambda t: _file(t, "un.xml", UN.read_bytes()[:20000]),
    "un-entity-expansion": lambda t: _file(
        t,
        "un.xml",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>&b;</FIRST_NAME></INDIVIDUAL>"
        b"</INDIVIDUALS></CONSOLIDATED_LIST>",
    ),
    "ftm-truncated-json": lambda t: _file(
        t, "x.ftm.jsonl", FTM.read_bytes() + b'{"id": "broken", "schema": "Person", "properties": {"na'
    ),
    "ftm-lone-surrogate": lambda t: _file(
        t,
        "x.ftm.jsonl",
        FTM.read_bytes() + b'{"id": "s", "schema": "Person", "properties": {"name": ["A \\ud800 B"]}}\n',
    ),
    "ftm-not-an-object": lambda t: _file(t, "x.ftm.jsonl", FTM.read_bytes() + b"[1, 2, 3]\n"),
}


def _refused(env: dict[str, str], db_url: str, *args: str) -> str:
    before = state(db_url)
    proc = run_cli(env, *args)
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.strip(), "no error message"
    assert state(db_url) == before
    verify(env)
    return proc.stderr


@pytest.mark.parametrize("case", sorted(BAD_LISTS))
def test_a_malformed_list_file_is_refused_naming_it_and_writes_nothing(
    case: str, app_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    env = {**app_env, "SECASSIST_AS": "pm.officer"}
    path = BAD_LISTS[case](tmp_path)
    err = _refused(env, db_url, "screening", "load", str(path), "--published", "2026-01-01", "--no-rescreen")
    named = {"sdn.csv", "un.xml", "x.ftm.jsonl"}
    assert any(n in err for n in named), err


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("invalid-utf8", b"\xff\xfe\xc0\xafTransmittal No. 24-1\n"),
        ("nul-byte", NOTICE.read_bytes()[:400] + b"\x00" + NOTICE.read_bytes()[400:]),
        ("empty", b""),
    ],
)
def test_a_hostile_notice_is_refused_and_writes_nothing(
    label: str, data: bytes, app_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    env = {**app_env, "SECASSIST_AS": "pm.officer"}
    bad = _file(tmp_path, f"{label}.txt", data)
    err = _refused(env, db_url, "notices", "import", str(NOTICE), str(bad))
    assert bad.name in err, err


@pytest.mark.parametrize(
    ("name", "data", "where"),
    [
        ("scan.xlsx", b"PK\x03\x04 not really a workbook", "not a readable XLSX"),
        ("scan.csv", b"serial,condition\nDEMO-PVS14-A00001,ok\n\xff\xfe,ok\n", "line 3"),
        ("scan.csv", b"serial,condition\nDEMO-PVS14-A00001,ok\nDEMO\x00X,ok\n", "line 3"),
        ("scan.csv", b"no_serial_column\n1\n", "serial"),
    ],
)
def test_a_malformed_scan_is_refused_and_writes_nothing(
    name: str, data: bytes, where: str, app_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    env = {**app_env, "SECASSIST_AS": "dsca.case"}
    scan = _file(tmp_path, name, data)
    err = _refused(
        env, db_url, "equipment", "reconcile", str(scan), "--site", DEPOT, "--on", TODAY, "--apply"
    )
    assert where in err, err


def test_injection_strings_are_kept_as_text_and_csv_exports_neutralize_formulas(
    app_env: dict[str, str], db_url: str
) -> None:
    env = {**app_env, "SECASSIST_AS": "pm.officer"}
    for n, text in enumerate(INJECTIONS):
        proc = run_cli(
            env, "programs", "appropriations", "add", "--program", "IMET", "--fy", "2026",
            "--amount", str(1000 + n), "--from", "2026-01-01", "--until", "2027-09-30", "--unconfirmed",
            "--title", text,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    listed = json.loads(run_cli(env, "programs", "appropriations", "list", "--format", "json").stdout)
    titles = [a["title"] for a in listed]
    assert all(t in titles for t in INJECTIONS)  # stored and read back verbatim
    out = run_cli(env, "programs", "appropriations", "list", "--format", "csv").stdout
    cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
    for text in INJECTIONS:
        if text[0] in "=+-@":
            assert text not in cells, text
            assert "'" + text in cells, text
        else:
            assert text in cells, text
    assert all(c[:1] not in ("=", "+", "@") for c in cells), cells
    verify(env)
