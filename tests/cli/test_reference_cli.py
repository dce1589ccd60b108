"""``secassist reference``: every list command in every format, and bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from secassist.reference.service import ReferenceData
from tests.support import run_cli

FORMATS = ["table", "json", "csv"]
EX_DATAERR = 65


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(env, *args)


def run_ok(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = run(env, *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc


def run_fail(env: dict[str, str], *args: str, exit_code: int = EX_DATAERR) -> str:
    """Run a command that must fail cleanly; return its stderr."""
    proc = run(env, *args)
    assert proc.returncode == exit_code, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    return proc.stderr


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- every list command in every format ----------------------------------------------


@dataclass(frozen=True)
class ListCommand:
    args: tuple[str, ...]
    columns: tuple[str, ...]  # CSV header, JSON object keys, table headers
    key: str  # the column compared with ``expected``
    expected: Callable[[ReferenceData], list[str]]
    scalar_json: bool  # JSON is a plain array of codes rather than an array of objects
    table_text: str  # something the table must show


ROMANS = [
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
    "XIII",
    "XIV",
    "XV",
    "XVI",
    "XVII",
    "XVIII",
    "XIX",
    "XX",
    "XXI",
]

LIST_COMMANDS = {
    "nato-members": ListCommand(
        ("nato-members", "--on", "2024-03-07"),
        ("code", "name"),
        "code",
        lambda r: r.nato_members(date(2024, 3, 7)),
        scalar_json=True,
        table_text="Finland",
    ),
    "nato-bodies": ListCommand(
        ("nato-bodies",),
        ("code", "name", "customer_code", "part_of", "source"),
        "code",
        lambda r: ["NATO", "NSPA"],
        scalar_json=False,
        table_text="NATO Support and Procurement Agency",
    ),
    "group": ListCommand(
        ("group", "short_review", "--on", "2024-03-07"),
        ("code",),
        "code",
        lambda r: r.group_members("short_review", date(2024, 3, 7)),
        scalar_json=True,
        table_text="NATO",
    ),
    "mnna": ListCommand(
        ("mnna", "--on", "2025-11-18"),
        ("code",),
        "code",
        lambda r: r.mnna(date(2025, 11, 18)),
        scalar_json=True,
        table_text="SA",
    ),
    "itar-126-1": ListCommand(
        ("itar-126-1", "--on", "2025-11-06"),
        ("code", "table", "status", "note"),
        "code",
        lambda r: [e.code for e in r.itar_126_1(date(2025, 11, 6))],
        scalar_json=False,
        table_text="KH",
    ),
    "countries": ListCommand(
        ("countries",),
        ("code", "alpha3", "name", "region", "fms_code", "fms_code_status", "territory"),
        "code",
        lambda r: [c.code for c in r.countries()],
        scalar_json=False,
        table_text="United Kingdom",
    ),
    "usml": ListCommand(
        ("usml",),
        ("number", "roman", "title"),
        "roman",
        lambda r: ROMANS,
        scalar_json=False,
        table_text="Aircraft and Related Articles",
    ),
    "agencies": ListCommand(
        ("agencies",),
        ("code", "abbreviation", "name", "status", "note"),
        "abbreviation",
        lambda r: [a.abbreviation for a in r.implementing_agencies()],
        scalar_json=False,
        table_text="Department of the Air Force",
    ),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(LIST_COMMANDS))
def test_every_list_command_supports_every_format(
    app_env: dict[str, str], reference: ReferenceData, name: str, fmt: str
) -> None:
    cmd = LIST_COMMANDS[name]
    out = run_ok(app_env, "reference", *cmd.args, "--format", fmt).stdout
    expected = cmd.expected(reference)
    assert expected
    if fmt == "json":
        data = json.loads(out)
        assert isinstance(data, list)
        if cmd.scalar_json:
            assert data == expected
        else:
            assert all(tuple(obj) == cmd.columns for obj in data)
            assert [str(obj[cmd.key]) for obj in data] == expected
    elif fmt == "csv":
        rows = csv_rows(out)
        assert tuple(rows[0]) == cmd.columns
        assert all(len(r) == len(cmd.columns) for r in rows)
        at = cmd.columns.index(cmd.key)
        assert [r[at] for r in rows[1:]] == expected
    else:
        assert cmd.table_text in out
        for column in cmd.columns[:2]:
            assert column in out
        assert not out.lstrip().startswith(("[", "{"))


# --- specific commands ---------------------------------------------------------------


@pytest.mark.parametrize(("on", "count", "sweden"), [("2024-03-06", 31, False), ("2024-03-07", 32, True)])
def test_nato_members_json(app_env: dict[str, str], on: str, count: int, sweden: bool) -> None:
    out = run_ok(app_env, "reference", "nato-members", "--on", on, "--format", "json").stdout
    data = json.loads(out)
    assert isinstance(data, list)
    assert len(data) == count
    assert all(isinstance(c, str) and re.fullmatch(r"[A-Z]{2}", c) for c in data)
    assert data == sorted(set(data))
    assert ("SE" in data) is sweden
    assert "FI" in data


@pytest.mark.parametrize(("group", "has_nato"), [("short_review", True), ("higher_thresholds", False)])
def test_group_json(app_env: dict[str, str], group: str, has_nato: bool) -> None:
    out = run_ok(app_env, "reference", "group", group, "--on", "2024-03-07", "--format", "json").stdout
    data = json.loads(out)
    assert ("NATO" in data) is has_nato
    assert {"JP", "AU", "KR", "IL", "NZ", "SE", "US"} <= set(data)
    assert len(data) == 37 + has_nato


def test_mnna_include_treated_as(app_env: dict[str, str]) -> None:
    args = ("reference", "mnna", "--on", "2025-11-18", "--include-treated-as", "--format", "json")
    data = json.loads(run_ok(app_env, *args).stdout)
    assert "TW" in data
    assert "SA" in data


def test_itar_table_2_json_excludes_cambodia_after_removal(app_env: dict[str, str]) -> None:
    args = ("reference", "itar-126-1", "--on", "2025-11-07", "--table", "2", "--format", "json")
    rows = json.loads(run_ok(app_env, *args).stdout)
    assert {r["table"] for r in rows} == {2}
    codes = {r["code"] for r in rows}
    assert "KH" not in codes
    assert {"NI", "RU", "AF"} <= codes
    assert not {"CN", "KP", "IR"} & codes  # Table 1


def test_countries_by_region_json(app_env: dict[str, str]) -> None:
    data = json.loads(run_ok(app_env, "reference", "countries", "--region", "EUR", "--format", "json").stdout)
    assert isinstance(data, list)
    assert all(isinstance(obj, dict) and {"code", "name", "region"} <= set(obj) for obj in data)
    assert {obj["region"] for obj in data} == {"EUR"}
    by_code = {obj["code"]: obj for obj in data}
    assert by_code["GB"]["name"] == "United Kingdom"
    assert by_code["GB"]["fms_code"] == "UK"
    assert "US" not in by_code


# --- errors --------------------------------------------------------------------------


def test_bad_date_is_a_clean_data_error(app_env: dict[str, str]) -> None:
    err = run_fail(app_env, "reference", "nato-members", "--on", "2024-13-01", "--format", "json")
    assert "--on" in err
    assert "2024-13-01" in err
    assert err.startswith("error [validation.failed]:")


def test_date_out_of_range_names_the_date(app_env: dict[str, str]) -> None:
    err = run_fail(app_env, "reference", "nato-members", "--on", "1949-08-23")
    assert "1949-08-23" in err
    assert "reference.date_out_of_range" in err


def test_unknown_region_names_it(app_env: dict[str, str]) -> None:
    err = run_fail(app_env, "reference", "countries", "--region", "XYZ")
    assert "XYZ" in err
    assert "reference.unknown_code" in err


def test_missing_on_is_a_usage_error(app_env: dict[str, str]) -> None:
    err = run_fail(app_env, "reference", "nato-members", exit_code=2)
    assert "--on" in err


def test_unknown_format_is_a_usage_error(app_env: dict[str, str]) -> None:
    err = run_fail(app_env, "reference", "usml", "--format", "xml", exit_code=2)
    assert "xml" in err
