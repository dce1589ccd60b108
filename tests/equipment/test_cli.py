"""``secassist equipment`` as a real process: the scripting contract's spellings and JSON keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cases.factories import World
from tests.equipment.factories import Poland
from tests.support import run_cli


@pytest.fixture
def app_env(app_env: dict[str, str], world: World) -> dict[str, str]:
    """The commands act as the world's DoD case manager (issue #16: a person, not the system)."""
    return {**app_env, "SECASSIST_AS": world.dod.username}


def ok(env: dict[str, str], *args: str) -> str:
    proc = run_cli(env, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def fails(env: dict[str, str], *args: str) -> str:
    proc = run_cli(env, *args)
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.count("\n") == 1, proc.stderr  # one line
    return proc.stderr


def test_the_cli_contract(poland: Poland, app_env: dict[str, str], tmp_path: Path) -> None:
    ref = poland.case_ref
    out = ok(
        app_env,
        "equipment",
        "deliver",
        ref,
        "001",
        "--on",
        "2026-02-02",
        "--site",
        "Rzeszow depot",
        "--serial",
        "PVS-1",
        "--serial",
        "PVS-2",
        "--format",
        "json",
    )
    doc = json.loads(out)
    assert doc["items"][0] == {
        "serial": "PVS-1",
        "item_type": "nvd_monocular",
        "case": ref,
        "line": "001",
        "holder_country": "PL",
        "site": "Rzeszow depot",
        "state": "delivered",
        "eeum": True,
        "unit_value_usd": "4500.00",
    }
    serials = tmp_path / "serials.txt"
    serials.write_text("PVS-3\nPVS-4\n\n", encoding="utf-8")
    ok(
        app_env,
        "equipment",
        "deliver",
        ref,
        "001",
        "--on",
        "2026-02-02",
        "--site",
        "Rzeszow depot",
        "--serials-file",
        str(serials),
    )
    ok(
        app_env,
        "equipment",
        "deliver",
        ref,
        "002",
        "--on",
        "2026-02-02",
        "--site",
        "Powidz depot",
        "--quantity",
        "5000",
    )
    err = fails(
        app_env,
        "equipment",
        "deliver",
        ref,
        "001",
        "--on",
        "2026-02-02",
        "--site",
        "Rzeszow depot",
        "--serial",
        "X0",
        "--quantity",
        "3",
    )
    assert "exactly one of" in err

    ok(app_env, "equipment", "event", "PVS-1", "--kind", "received", "--on", "2026-02-03")
    ok(app_env, "equipment", "event", "PVS-2", "--kind", "lost", "--on", "2026-02-04")
    err = fails(app_env, "equipment", "event", "PVS-1", "--kind", "returned", "--on", "2026-02-05")
    assert err.startswith("error [equipment.custody_conflict]: kind: returned is not allowed")
    err = fails(
        app_env,
        "equipment",
        "event",
        "PVS-1",
        "--kind",
        "stored",
        "--on",
        "2026-01-01",
        "--site",
        "Powidz depot",
    )
    assert "(rule before_delivery)" in err

    listed: list[dict[str, Any]] = json.loads(
        ok(app_env, "equipment", "items", "--case", ref, "--eeum", "--format", "json")
    )
    assert [(r["serial"], r["state"]) for r in listed] == [
        ("PVS-1", "stored"),
        ("PVS-2", "lost"),
        ("PVS-3", "delivered"),
        ("PVS-4", "delivered"),
    ]
    assert set(listed[0]) == {
        "serial",
        "item_type",
        "case",
        "line",
        "holder_country",
        "site",
        "state",
        "eeum",
        "unit_value_usd",
    }

    t = json.loads(ok(app_env, "equipment", "trace", "PVS-1", "--format", "json"))
    assert {"serial", "item_type", "case", "line", "state", "holder_country", "events", "proofs"} <= set(t)
    assert [(e["kind"], e["on"], e["site"]) for e in t["events"]] == [
        ("delivered", "2026-02-02", "Rzeszow depot"),
        ("received", "2026-02-03", "Rzeszow depot"),
    ]
    assert {"kind", "on", "site", "holder", "audit_seq"} <= set(t["events"][0])
    assert len(t["proofs"]) >= 2

    d = json.loads(ok(app_env, "equipment", "delinquency", "--as-of", "2026-06-01", "--format", "json"))
    assert d["as_of"] == "2026-06-01"
    assert (d["eeum_value_usd"], d["delinquent_value_usd"], d["delinquent_share"]) == (
        "13500.00",
        "13500.00",
        "1.0000",
    )
    pl = d["by_country"][0]
    assert set(pl) >= {"country", "eeum_value_usd", "delinquent_value_usd", "delinquent_share", "items"}
    assert pl["items"][0] == {
        "serial": "PVS-1",
        "item_type": "nvd_monocular",
        "due_on": "2026-05-03",
        "value_usd": "4500.00",
    }
    future = json.loads(
        ok(
            app_env,
            "equipment",
            "delinquency",
            "--as-of",
            "2030-01-01",
            "--country",
            "PL",
            "--format",
            "json",
        )
    )
    assert future["delinquent_share"] == "1.0000"

    scan = tmp_path / "scan.csv"
    scan.write_text("serial,condition\nPVS-1,ok\nPVS-9,\n", encoding="utf-8")
    dry = json.loads(
        ok(
            app_env,
            "equipment",
            "reconcile",
            str(scan),
            "--site",
            "Rzeszow depot",
            "--on",
            "2026-03-01",
            "--format",
            "json",
        )
    )
    assert set(dry) >= {"found", "missing", "unexpected", "wrong_site", "gone", "applied"}
    assert [x["serial"] for x in dry["found"]] == ["PVS-1"]
    assert [x["serial"] for x in dry["missing"]] == ["PVS-3", "PVS-4"]
    assert dry["applied"] is False
    applied = json.loads(
        ok(
            app_env,
            "equipment",
            "reconcile",
            str(scan),
            "--site",
            "Rzeszow depot",
            "--on",
            "2026-03-01",
            "--apply",
            "--format",
            "json",
        )
    )
    assert (applied["applied"], applied["recorded"]) == (True, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("serial,item_type\nPVS-1,nvd_monocular\nPVS-3,laser\n", encoding="utf-8")
    err = fails(
        app_env,
        "equipment",
        "reconcile",
        str(bad),
        "--site",
        "Rzeszow depot",
        "--on",
        "2026-03-01",
        "--apply",
    )
    assert "line 3, column item_type" in err
