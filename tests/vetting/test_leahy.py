"""Leahy vetting: units, requests, outcomes with validity windows, duty to inform,
remediation, and the obligation gate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting import leahy
from secassist.vetting.errors import LeahyNotApprovedError
from tests.vetting.factories import People, day

SOURCES = ["State human-rights report 2024", "consular records", "NGO reports"]


def _unit(
    sf: sessionmaker[Session], people: People, name: str = "3rd Infantry Brigade", country: str = "PL"
) -> int:
    with unit_of_work(sf) as s:
        return leahy.create_unit(s, actor=people.state, country=country, name=name, unit_type="military").id


def _vetting(sf: sessionmaker[Session], people: People, unit_id: int, on: str = "2025-01-10") -> int:
    with unit_of_work(sf) as s:
        return leahy.request_vetting(
            s,
            actor=people.state,
            unit_id=unit_id,
            requested_on=day(on),
            purpose="FMF training",
            sources_checked=SOURCES,
        ).id


def test_validity_window_and_the_obligation_gate(
    session_factory: sessionmaker[Session], people: People
) -> None:
    uid = _unit(session_factory, people)
    vid = _vetting(session_factory, people, uid)
    with read_only(session_factory) as s, pytest.raises(LeahyNotApprovedError, match="is requested"):
        leahy.require_current_approval(s, uid, day("2025-02-01"))
    with unit_of_work(session_factory) as s:
        v = leahy.record_outcome(
            s,
            actor=people.state,
            vetting_id=vid,
            outcome="approved",
            decided_on=day("2025-02-01"),
            basis="no derogatory information",
        )
        assert (v.valid_from, v.valid_until) == (
            day("2025-02-01"),
            day("2026-02-01"),
        )  # leahy.yaml validity_days
    with read_only(session_factory) as s:
        assert leahy.require_current_approval(s, uid, day("2025-02-01")).id == vid
        assert leahy.require_current_approval(s, uid, day("2026-01-31")).id == vid
        with pytest.raises(LeahyNotApprovedError, match="valid 2025-02-01 to 2026-02-01"):
            leahy.require_current_approval(s, uid, day("2026-02-01"))
        with pytest.raises(LeahyNotApprovedError):
            leahy.require_current_approval(s, uid, day("2025-01-31"))  # before the approval
        assert leahy.status_on(s, uid, day("2025-06-01")).status == "approved"
        assert leahy.status_on(s, uid, day("2026-06-01")).status == "expired"
    with unit_of_work(session_factory) as s:
        leahy.record_outcome(
            s,
            actor=people.state,
            vetting_id=vid,
            outcome="suspended",
            decided_on=day("2025-07-01"),
            basis="new NGO report",
        )
    with read_only(session_factory) as s:
        assert leahy.require_current_approval(s, uid, day("2025-06-30")).id == vid
        with pytest.raises(LeahyNotApprovedError, match="suspended"):
            leahy.require_current_approval(s, uid, day("2025-07-01"))


def test_denial_opens_duty_to_inform_and_remediation_reopens(
    session_factory: sessionmaker[Session], people: People, tags: Callable[[], list[str]]
) -> None:
    uid = _unit(session_factory, people, "Border Guard Unit 7", "EG")
    vid = _vetting(session_factory, people, uid)
    with unit_of_work(session_factory) as s:
        leahy.record_outcome(
            s,
            actor=people.state,
            vetting_id=vid,
            outcome="denied",
            decided_on=day("2025-02-01"),
            basis="credible GVHR information",
        )
        [task] = leahy.list_duty_to_inform(s, actor=people.state, status="open")
        assert (task.vetting_id, task.country_code) == (vid, "EG")
        tid = task.id
    with unit_of_work(session_factory) as s, pytest.raises(ConflictError, match="accepted remediation"):
        leahy.request_vetting(
            s,
            actor=people.state,
            unit_id=uid,
            requested_on=day("2025-03-01"),
            purpose="x",
            sources_checked=SOURCES,
        )
    with unit_of_work(session_factory) as s:
        leahy.complete_duty_to_inform(
            s, actor=people.state, task_id=tid, completed_on=day("2025-02-10"), note="demarche by embassy"
        )
        rid = leahy.propose_remediation(
            s,
            actor=people.state,
            vetting_id=vid,
            authority="FAA §620M(b) effective steps",
            description="officers prosecuted",
            proposed_on=day("2025-05-01"),
        ).id
        leahy.decide_remediation(
            s, actor=people.state, remediation_id=rid, accept=True, decided_on=day("2025-06-01")
        )
    assert _vetting(session_factory, people, uid, "2025-06-02") > vid
    assert [t for t in tags() if t.startswith("leahy:")] == [
        "leahy:unit:created",
        "leahy:vetting:requested",
        "leahy:vetting:denied",
        "leahy:inform:completed",
        "leahy:remediation:proposed",
        "leahy:remediation:accepted",
        "leahy:vetting:requested",
    ]


def test_validation_and_scope(session_factory: sessionmaker[Session], people: People) -> None:
    uid = _unit(session_factory, people)
    with unit_of_work(session_factory) as s, pytest.raises(ValidationFailedError, match="sources_checked"):
        leahy.request_vetting(
            s,
            actor=people.state,
            unit_id=uid,
            requested_on=day("2025-01-01"),
            purpose="x",
            sources_checked=[" "],
        )
    with unit_of_work(session_factory) as s, pytest.raises(ConflictError):
        leahy.create_unit(
            s, actor=people.state, country="PL", name="3rd  Infantry Brigade", unit_type="military"
        )
    with unit_of_work(session_factory) as s, pytest.raises(ValidationFailedError, match="unit_type"):
        leahy.create_unit(s, actor=people.state, country="PL", name="X", unit_type="militia")
    vid = _vetting(session_factory, people, uid)
    with read_only(session_factory) as s:
        for who in (people.partner_pl, people.sco_pl):
            with pytest.raises(NotFoundError):
                leahy.get_unit(s, actor=who, unit_id=uid)
            with pytest.raises(NotFoundError):
                leahy.get_vetting(s, actor=who, vetting_id=vid)
        assert leahy.get_unit(s, actor=people.dod, unit_id=uid).id == uid
    with unit_of_work(session_factory) as s, pytest.raises(PermissionDeniedError):
        leahy.record_outcome(
            s, actor=people.dod, vetting_id=vid, outcome="approved", decided_on=day("2025-02-01"), basis="x"
        )
    with read_only(session_factory) as s, pytest.raises(NotFoundError):
        leahy.require_current_approval(s, 9999, day("2025-02-01"))
