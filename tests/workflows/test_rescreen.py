"""Continuous screening on the database under test (SQLite or PostgreSQL): loading a list
version re-screens the parties of open records, a new potential match goes to the office's
queue with the record it touches, and a clearance carries over only while the listed entry
is unchanged."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.keys import TrustedKeys
from secassist.audit.models import AuditEntry
from secassist.audit.verify import verify_log
from secassist.core.clock import FixedClock
from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting import service as vetting
from secassist.vetting.screening import queries, service
from secassist.vetting.screening.matcher import ALGORITHM
from secassist.vetting.screening.models import ScreeningRun
from secassist.vetting.screening.parsers import parse_path
from secassist.workflows.rescreen import open_parties, rescreen_open
from secassist.workflows.vetting_case import case_reference
from tests.cases.factories import open_case
from tests.identity.factories import make_org, make_user, principal_of
from tests.support import run_cli
from tests.vetting.factories import CLEAR, make_proposal
from tests.vetting.screening.conftest import sanctions

LISTED = "KOREA MINING DEVELOPMENT TRADING CORPORATION"


@pytest.fixture
def analyst(session_factory: sessionmaker[Session]) -> Principal:
    with unit_of_work(session_factory) as s:
        state = make_org(s, "State PM", "state")
        return principal_of(s, make_user(s, state, "analyst"))


def _open_proposal(session_factory: sessionmaker[Session], analyst: Principal) -> int:
    with unit_of_work(session_factory) as s:
        end_user = {"name": "Korea Mining Development Trading Corp", "role": "end_user", "country": "PL"}
        p = make_proposal("PL", reference="case:9001", end_users=[{**end_user, "screening": CLEAR}])
        row = vetting.create_proposal(s, actor=analyst, proposal=p)
        d = vetting.evaluate_proposal(s, actor=analyst, proposal_id=row.id)
        assert d.status == "open"
        return row.id


def _rescreen_tags(session_factory: sessionmaker[Session]) -> int:
    with read_only(session_factory) as s:
        n = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.tag == "screening:run:rescreened")
        )
        return int(n or 0)


def test_rescreen_queues_new_match_and_carries_clearance(
    session_factory: sessionmaker[Session], analyst: Principal
) -> None:
    with unit_of_work(session_factory) as s:
        with pytest.raises(ValidationFailedError) as err:
            rescreen_open(s, actor=analyst)
        assert err.value.field == "lists"
        service.load_list(s, actor=analyst, path=sanctions("un"))
    _open_proposal(session_factory, analyst)

    with read_only(session_factory) as s:
        subjects = sorted(p.subject for p in open_parties(s))
    assert subjects == [
        "case:9001 end_user: Korea Mining Development Trading Corp",
        "case:9001 purchaser: Ministry of Defence PL",
    ]

    # First re-screening: the end user is a potential match, queued with the record.
    with unit_of_work(session_factory) as s:
        report = rescreen_open(s, actor=analyst)
    assert (report.parties, report.carried_clearances) == (2, 0)
    assert report.new_alerts == report.potential_matches >= 1
    assert _rescreen_tags(session_factory) == 2  # one audit entry per party
    with read_only(session_factory) as s:
        queue = queries.open_alerts(s, actor=analyst)
        assert len(queue) == report.new_alerts
        assert {(a.reference, a.list_name, a.country_code) for a in queue} == {
            ("case:9001", "un_sc_sanctions", "PL")
        }
        [komid] = [a for a in queue if a.entity_name == LISTED]
        assert komid.subject == "case:9001 end_user: Korea Mining Development Trading Corp"
        alert_entity, run_id = komid.entity_id, komid.run_id
        run = s.get_one(ScreeningRun, run_id)
        assert (run.status, run.algorithm, run.threshold) == ("potential_match", ALGORITHM, "0.7500")
        assert run.list_versions[0]["list_name"] == "un_sc_sanctions"
        assert all(len(r["entry_sha256"]) == 64 for r in run.results)
        assert LISTED in [r["name"] for r in run.results]

    # The same record re-screened again before anyone looked: no second alert.
    with unit_of_work(session_factory) as s:
        again = rescreen_open(s, actor=analyst)
    assert (again.new_alerts, again.potential_matches) == (0, report.potential_matches)

    # An analyst clears every hit on the latest screenings: the alerts leave the queue.
    with unit_of_work(session_factory) as s:
        latest = [queries.latest_runs(s, subject=p.subject)[0] for p in open_parties(s)]
        for done, r in [(run_, r) for run_ in latest for r in run_.results]:
            service.record_disposition(
                s,
                actor=analyst,
                run_id=done.id,
                list_name=r["list"],
                entity_id=r["entity_id"],
                disposition="false_positive",
                note="a Polish firm of that name",
            )
        assert queries.open_alerts(s, actor=analyst) == []

    # A new version with the same entries (republished under a new date; the same file
    # and date again would be the same version): the clearance carries over, nothing is queued.
    with unit_of_work(session_factory) as s:
        service.load_list(s, actor=analyst, path=sanctions("un"), published=date(2031, 1, 1))
        carried = rescreen_open(s, actor=analyst)
    assert (carried.new_alerts, carried.potential_matches) == (0, 0)
    assert carried.carried_clearances == report.potential_matches
    with read_only(session_factory) as s:
        newest = queries.latest_runs(s, subject="case:9001 end_user: Korea Mining Development Trading Corp")[
            0
        ]
        assert newest.status == "clear"
        assert {v["id"] for v in newest.list_versions} == {2}

    # A version where that entry changed (a new alias): looked at again.
    parsed = parse_path(sanctions("un"))
    parsed.entities = [
        replace(e, aliases=[*e.aliases, "KOMID NEW FRONT"]) if e.entity_id == alert_entity else e
        for e in parsed.entities
    ]
    with unit_of_work(session_factory) as s:
        service.store_version(s, actor=analyst, parsed=parsed, source_path="changed-un")
        changed = rescreen_open(s, actor=analyst)
    assert changed.new_alerts == 1
    assert changed.carried_clearances == carried.carried_clearances - 1
    with read_only(session_factory) as s:
        assert [a.entity_id for a in queries.open_alerts(s, actor=analyst, reference="case:9001")] == [
            alert_entity
        ]
        report_ok = verify_log(s, keys=TrustedKeys.none())
    assert report_ok.ok, report_ok.problems


def test_cli_load_triggers_rescreen_and_rescreen_reports(app_env: dict[str, str], tmp_path: Path) -> None:
    loaded = run_cli(app_env, "screening", "load", str(sanctions("un")))
    assert loaded.returncode == 0, loaded.stderr
    assert "re-screened 0 parties of open records" in loaded.stdout
    # Rerun (as after a crash past the commit): the same version, nothing written or re-screened.
    again = run_cli(app_env, "screening", "load", str(sanctions("un")))
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("unchanged, already loaded: un_sc_sanctions version 1: ")
    assert "re-screened" not in again.stdout
    proc = run_cli(app_env, "screening", "rescreen", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [row] = json.loads(proc.stdout)
    assert (row["parties_screened"], row["new_alerts"], row["carried_clearances"]) == (0, 0, 0)
    assert row["lists"] == "un_sc_sanctions#1"
    shown = run_cli(app_env, "screening", "alerts", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == []


def test_case_parties_are_rescreened_as_the_case_vetting_screens_them(
    session_factory: sessionmaker[Session], analyst: Principal
) -> None:
    """A case's purchaser and end users are government bodies of the purchaser country:
    re-screening passes that schema and country to the matcher, as the case's vetting does
    (``workflows.vetting_case``), so an allied ministry is not re-flagged on its name alone."""
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with unit_of_work(session_factory) as s:
        service.load_list(s, actor=analyst, path=sanctions("un"))
        case_id = open_case(s, None, clock)
    ref = case_reference(case_id)
    with read_only(session_factory) as s:
        mine = [p for p in open_parties(s) if p.reference == ref]
    assert {(p.party.role, p.party.country, p.party.schema) for p in mine} == {
        ("purchaser", "PL", "PublicBody"),
        ("end_user", "PL", "PublicBody"),
    }
    with unit_of_work(session_factory) as s:
        report = rescreen_open(s, actor=analyst)
    assert report.parties == len(mine)
    with read_only(session_factory) as s:
        for p in mine:
            [party] = queries.latest_runs(s, subject=p.subject)[0].query["parties"]
            assert (party["schema"], party["country"]) == ("PublicBody", "PL")
