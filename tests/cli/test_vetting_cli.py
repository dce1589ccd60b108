"""``secassist vetting`` and ``secassist leahy`` as real processes."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.storage.uow import unit_of_work
from tests.cases.factories import add_lines, open_case
from tests.conftest import SHARED_DATA
from tests.identity.factories import make_org, make_user, office_reviewer
from tests.support import run_cli
from tests.vetting.factories import proposal_data


def test_profiles_and_rules_need_no_database(app_env: dict[str, str]) -> None:
    r = run_cli(app_env, "vetting", "profiles", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert [p["id"] for p in json.loads(r.stdout)][:2] == ["nspm-10-2018", "nsm-18-2023"]
    r = run_cli(app_env, "vetting", "rules", "--on", "2024-01-01", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    hr = next(x for x in rows if x["factor"] == "human_rights")
    assert "bright_line_met=block" in hr["outcomes"]
    assert "more likely than not" in hr["authority"]


def officers(session_factory: sessionmaker[Session], app_env: dict[str, str]) -> dict[str, str]:
    """A reviewer of each office (``<office>.reviewer``) and the deciding officer ``decider``,
    whom the commands act as unless ``--as`` names another (SECASSIST_AS)."""
    with unit_of_work(session_factory) as s:
        for office in ("political_military", "human_rights", "technology_security"):
            office_reviewer(s, office)
        make_user(s, make_org(s, "State PM", "state"), "decider", ["policy_officer"])
    return {**app_env, "SECASSIST_AS": "decider"}


def reviewer(office: str) -> str:
    return f"{office.replace('_', '-')}.reviewer"


def test_propose_evaluate_sign_off_finalize(
    app_env: dict[str, str], session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    assert run_cli(app_env, "db", "upgrade").returncode == 0
    app_env = officers(session_factory, app_env)
    data = proposal_data("PL", "2025-06-01", financing=["fmf"])
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    r = run_cli(app_env, "vetting", "propose", str(path))
    assert r.returncode == 0, r.stderr
    pid = r.stdout.strip()
    r = run_cli(app_env, "vetting", "evaluate", pid, "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["recommendation"] == "review"
    r = run_cli(app_env, "vetting", "queue", "--format", "json")
    [item] = json.loads(r.stdout)
    assert item["missing_signoffs"] == ["political_military", "human_rights"]
    r = run_cli(app_env, "vetting", "finalize", str(d["id"]), "--decision", "approve")
    assert r.returncode == 65
    assert "sign-off still needed" in r.stderr
    # The decider may not sign off for an office he is not of (issue #16).
    r = run_cli(app_env, "vetting", "signoff", str(d["id"]), "--office", "human_rights", "--comment", "x")
    assert r.returncode == 77
    assert "error [duty.separation]: office: decider" in r.stderr
    for office in item["missing_signoffs"]:
        r = run_cli(
            app_env, "--as", reviewer(office), "vetting", "signoff", str(d["id"]), "--office", office,
            "--comment", "concur",
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
    # A reviewer who signed off may not approve on his own sign-off.
    r = run_cli(
        app_env,
        "--as",
        reviewer("human_rights"),
        "vetting",
        "finalize",
        str(d["id"]),
        "--decision",
        "approve",
    )
    assert r.returncode == 77
    assert "signed off for human_rights and may not also approve" in r.stderr
    r = run_cli(app_env, "vetting", "finalize", str(d["id"]), "--decision", "approve", "--proviso", "EUM")
    assert r.returncode == 0, r.stderr
    r = run_cli(app_env, "vetting", "decisions", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(r.stdout)))
    assert (row["status"], row["final"]) == ("final", "approve")


def test_sipri_import_and_leahy(app_env: dict[str, str]) -> None:
    assert run_cli(app_env, "db", "upgrade").returncode == 0
    subset = SHARED_DATA / "sipri" / "sipri_trade_register_us_supplier_2015-2023.csv"
    r = run_cli(app_env, "vetting", "sipri-import", str(subset))
    assert r.returncode == 0, r.stderr
    assert "imported 892 records" in r.stderr
    uid = run_cli(
        app_env, "leahy", "unit-add", "--country", "PL", "--name", "18th Division", "--type", "military"
    ).stdout.strip()
    vid = run_cli(
        app_env, "leahy", "request", uid, "--on", "2025-01-02", "--purpose", "FMF", "--source", "INVEST"
    ).stdout.strip()
    r = run_cli(app_env, "leahy", "check", uid, "--on", "2025-02-01")
    assert r.returncode == 65
    assert "leahy.not_approved" in r.stderr
    r = run_cli(
        app_env, "leahy", "outcome", vid, "--outcome", "approved", "--on", "2025-01-10", "--basis", "clean"
    )
    assert "valid 2025-01-10 to 2026-01-10" in r.stderr
    assert run_cli(app_env, "leahy", "check", uid, "--on", "2025-02-01").returncode == 0
    r = run_cli(app_env, "leahy", "vettings", "--format", "json")
    assert json.loads(r.stdout)[0]["sources_checked"] == ["INVEST"]


def test_vet_a_case(app_env: dict[str, str], session_factory: sessionmaker[Session]) -> None:
    clock = FixedClock(datetime(2025, 6, 2, tzinfo=UTC))
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock)
    # A cited screening that does not exist is no evidence (issue #16): refused, naming it.
    r = run_cli(
        app_env, "vetting", "case", str(cid), "--on", "2025-06-02",
        "--screening", "Government of PL=clear:4242", "--format", "json",
    )  # fmt: skip
    assert r.returncode == 65
    assert "screenings: screening '4242' cited for 'Government of PL' does not exist" in r.stderr
    r = run_cli(
        app_env, "vetting", "case", str(cid), "--on", "2025-06-02",
        "--screening", "Government of PL=clear", "--screening", "Air Force=potential_match",
        "--format", "json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    screening = next(f for f in d["findings"] if f["factor"] == "screening")
    assert (d["recommendation"], screening["signal"]) == ("deny", "unresolved_match")


def test_sign_off_and_finalize_a_cases_decision_by_the_case(
    app_env: dict[str, str], session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2025, 6, 2, tzinfo=UTC))
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock)
    app_env = officers(session_factory, app_env)
    r = run_cli(
        app_env, "vetting", "signoff", "--case", "PL-D-AAA", "--office", "human_rights", "--comment", "x"
    )
    assert (r.returncode, r.stderr.strip()) == (
        66, "error [not_found]: case: PL-D-AAA has no vetting decision (vet it with `vetting case`)"
    )  # fmt: skip
    r = run_cli(
        app_env, "vetting", "case", "PL-D-AAA", "--on", "2025-06-02",
        "--screening", "Government of PL=clear", "--screening", "Air Force=clear", "--format", "json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    decision = json.loads(r.stdout)
    [item] = json.loads(run_cli(app_env, "vetting", "queue", "--format", "json").stdout)
    assert item["missing_signoffs"]
    for office in item["missing_signoffs"]:
        r = run_cli(
            app_env, "--as", reviewer(office), "vetting", "signoff", "--case", "PL-D-AAA", "--office", office,
            "--comment", "ok",
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert f"on decision {decision['id']}" in r.stderr
    r = run_cli(app_env, "vetting", "signoff", str(decision["id"]), "--case", "PL-D-AAA", "--office", "x",
                "--comment", "x")  # fmt: skip
    assert r.returncode == 65
    assert "give the decision's id or --case, not both" in r.stderr
    r = run_cli(app_env, "vetting", "finalize", "--case", "PL-D-AAA", "--decision", "approve")
    assert (r.returncode, r.stderr.strip()) == (0, f"decision {decision['id']}: approve")

    data = proposal_data("NO", "2025-06-01") | {"reference": "NO-25-TRUCKS"}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    assert run_cli(app_env, "vetting", "propose", str(path)).returncode == 0
    r = run_cli(app_env, "vetting", "evaluate", "--reference", "NO-25-TRUCKS", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["proposal_id"] == decision["proposal_id"] + 1
    assert run_cli(app_env, "vetting", "propose", str(path)).returncode == 0
    r = run_cli(app_env, "vetting", "evaluate", "--reference", "NO-25-TRUCKS")
    assert r.returncode == 65
    assert "'NO-25-TRUCKS' names proposals" in r.stderr
