"""The two CLI contracts of congressional notification, run as real subprocesses, with no
database (the URL points nowhere, so any database access would fail)."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import SHARED_DATA
from tests.support import run_cli

NOTICES = SHARED_DATA / "notices"


@pytest.fixture
def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("SECASSIST_")}
    e["SECASSIST_DATABASE_URL"] = "sqlite:////nonexistent-dir/none.db"
    e["NO_COLOR"] = "1"
    e["COLUMNS"] = "200"
    return e


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--country", "SA", "--date", "2025-01-10", "--mde", "14000000", "--total", "14000000"],
            {"required": True, "section": "36(b)(1)", "tripped": ["mde"], "review_days": 30},
        ),
        (
            ["--country", "PL", "--date", "2025-01-10", "--mde", "24999999", "--total", "99999999"],
            {"required": False, "section": None, "tripped": [], "review_days": None},
        ),
        (
            ["--country", "SE", "--date", "2024-03-06", "--mde", "20000000", "--total", "20000000"],
            {"required": True, "section": "36(b)(1)", "tripped": ["mde"], "review_days": 30},
        ),
        (
            ["--country", "NATO", "--date", "2025-01-10", "--mde", "0", "--total", "60000000"],
            {"required": True, "section": "36(b)(1)", "tripped": ["total"], "review_days": 15},
        ),
        (
            [
                "--country",
                "EG",
                "--date",
                "2025-01-10",
                "--mde",
                "0",
                "--total",
                "0",
                "--design-construction",
                "200000000",
            ],
            {"required": True, "section": "36(b)(1)", "tripped": ["design_construction"], "review_days": 30},
        ),
        (
            [
                "--country",
                "JP",
                "--date",
                "2025-01-10",
                "--mde",
                "25000000",
                "--total",
                "100000000",
                "--kind",
                "commercial",
            ],
            {"required": True, "section": "36(c)", "tripped": ["mde", "total"], "review_days": 15},
        ),
        (
            [
                "--country",
                "IN",
                "--date",
                "2025-01-10",
                "--mde",
                "0",
                "--total",
                "50000000",
                "--kind",
                "retransfer",
            ],
            {"required": True, "section": "3(d)", "tripped": ["total"], "review_days": 30},
        ),
    ],
)
def test_requirement_json_contract(env: dict[str, str], args: list[str], expected: dict[str, object]) -> None:
    proc = run_cli(env, "notification", "requirement", *args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == expected
    assert list(json.loads(proc.stdout)) == ["required", "section", "tripped", "review_days"]


def test_requirement_table_and_bad_input(env: dict[str, str]) -> None:
    proc = run_cli(
        env,
        "notification",
        "requirement",
        "--country",
        "SA",
        "--date",
        "2025-01-10",
        "--mde",
        "14000000",
        "--total",
        "14000000",
        "--format",
        "table",
    )
    assert proc.returncode == 0
    assert "36(b)(1)" in proc.stdout
    assert "UNCONFIRMED" in proc.stdout
    bad = run_cli(
        env,
        "notification",
        "requirement",
        "--country",
        "SA",
        "--date",
        "2025-13-10",
        "--mde",
        "1",
        "--total",
        "1",
        "--format",
        "json",
    )
    assert bad.returncode == 65
    assert "--date" in bad.stderr
    assert bad.stdout == ""


def test_parse_jsonl_contract_on_every_shared_notice(env: dict[str, str]) -> None:
    expected = {
        e["file"]: e for e in map(json.loads, (NOTICES / "expected.jsonl").read_text().splitlines()) if e
    }
    files = sorted(NOTICES.glob("*.txt"))
    proc = run_cli(env, "notices", "parse", *map(str, files), "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(files)
    keys = [
        "file",
        "transmittal",
        "aeca_section",
        "purchaser",
        "purchaser_country",
        "mde_usd",
        "other_usd",
        "total_usd",
        "implementing_agency",
        "date",
    ]
    for line in lines:
        got = json.loads(line)
        assert list(got) == keys
        assert got == {k: expected[got["file"]][k] for k in keys}


def test_parse_missing_file_names_it(env: dict[str, str]) -> None:
    proc = run_cli(env, "notices", "parse", "/nonexistent/x.txt", "--format", "jsonl")
    assert proc.returncode == 65
    assert "/nonexistent/x.txt" in proc.stderr
    assert proc.stdout == ""


def test_import_twice_then_list_and_print_the_notice(app_env: dict[str, str]) -> None:
    files = [str(p) for p in sorted(NOTICES.glob("*.txt"))]
    first = run_cli(app_env, "notices", "import", *files, "--format", "json")
    assert first.returncode == 0, first.stderr
    outcomes = [r["outcome"] for r in json.loads(first.stdout)]
    assert set(outcomes) == {"created", "merged"}
    second = run_cli(app_env, "notices", "import", *files, "--format", "json")
    assert [r["outcome"] for r in json.loads(second.stdout)] == ["unchanged"] * len(files)
    listed = run_cli(app_env, "notification", "list", "--format", "json")
    rows = json.loads(listed.stdout)
    assert len(rows) == outcomes.count("created")
    korea = next(r for r in rows if r["transmittal"] == "20-23")
    notice = run_cli(app_env, "notification", "notice", str(korea["id"]))
    assert notice.returncode == 0, notice.stderr
    assert "(i) Prospective Purchaser: Republic of Korea" in notice.stdout
    public = run_cli(app_env, "notification", "list", "--public", "--format", "csv")
    assert public.stdout.splitlines()[0].startswith("id,transmittal,section,purchaser")
    missing = run_cli(app_env, "notification", "show", "99999")
    assert missing.returncode == 66
