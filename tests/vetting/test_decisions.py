"""The decision record: evaluation, sign-offs, final decision, notes; audited and scoped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.keys import TrustedKeys
from secassist.audit.verify import verify_log
from secassist.core.clock import FixedClock
from secassist.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SeparationOfDutiesError,
    ValidationFailedError,
)
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting import history, queries, service
from tests.vetting.factories import People, day, make_proposal

HR_OK = {"factor": "human_rights", "assessment": "satisfactory", "basis": "2024 HR report", "reviewer": "DRL"}


def concerns_proposal(**kw: Any) -> Any:
    """Poland, FMF, a Stinger line: concerns for technology security, human rights and pol-mil."""
    return make_proposal(
        "PL",
        "2025-06-01",
        items=[
            {
                "description": "Stinger missiles",
                "item_type": "portable SAM",
                "usml_category": "IV",
                "mde": True,
                "value": "5000000",
            }
        ],
        financing=["fmf"],
        **kw,
    )


def test_decision_flow_with_signoffs(
    session_factory: sessionmaker[Session], people: People, clock: FixedClock, tags: Callable[[], list[str]]
) -> None:
    with unit_of_work(session_factory) as s:
        pid = service.create_proposal(s, actor=people.state, proposal=concerns_proposal(), clock=clock).id
        d = service.evaluate_proposal(s, actor=people.state, proposal_id=pid, clock=clock)
        did = d.id
        assert d.profile_id == "eo-14268-2025"
        assert d.recommendation == "review"
        assert queries.required_offices(d) == ["political_military", "human_rights", "technology_security"]
        by_factor = {f.factor: f for f in queries.findings_of(s, did)}
        assert by_factor["technology_security"].outcome == "concern"
        assert "Stinger" in by_factor["technology_security"].rationale
        assert by_factor["leahy"].signal == "no_units"
    with (
        unit_of_work(session_factory) as s,
        pytest.raises(ValidationFailedError, match="sign-off still needed"),
    ):
        service.finalize_decision(s, actor=people.state, decision_id=did, decision="approve")
    with unit_of_work(session_factory) as s:
        service.record_signoff(
            s,
            actor=people.reviewer("political_military"),
            decision_id=did,
            office="political_military",
            concur=True,
            comment="ok",
            clock=clock,
        )
    with unit_of_work(session_factory) as s, pytest.raises(ConflictError, match="already signed"):
        service.record_signoff(
            s,
            actor=people.reviewer("political_military"),
            decision_id=did,
            office="political_military",
            concur=True,
            comment="again",
        )
    with unit_of_work(session_factory) as s, pytest.raises(PermissionDeniedError):
        service.record_signoff(
            s, actor=people.dod, decision_id=did, office="human_rights", concur=True, comment="x"
        )
    with unit_of_work(session_factory) as s:
        service.record_signoff(
            s,
            actor=people.reviewer("human_rights"),
            decision_id=did,
            office="human_rights",
            concur=True,
            comment="units to be vetted before obligation",
        )
        service.record_signoff(
            s,
            actor=people.reviewer("technology_security"),
            decision_id=did,
            office="technology_security",
            concur=False,
            comment="no EEUM storage yet",
        )
    with (
        unit_of_work(session_factory) as s,
        pytest.raises(ValidationFailedError, match="non-concurrence from technology_security"),
    ):
        service.finalize_decision(s, actor=people.state, decision_id=did, decision="approve")
    with unit_of_work(session_factory) as s:
        assert [q.decision.id for q in service.review_queue(s, actor=people.state)] == [did]
        final = service.finalize_decision(
            s,
            actor=people.state,
            decision_id=did,
            decision="deny",
            provisos=["resubmit after storage certification"],
            clock=clock,
        )
        assert (final.status, final.final_decision) == ("final", "deny")
    with read_only(session_factory) as s:
        assert service.review_queue(s, actor=people.state) == []
        report = verify_log(s, keys=TrustedKeys.none())
        assert report.ok, report.problems
    assert [t for t in tags() if t.startswith("vetting:")] == [
        "vetting:proposal:created",
        "vetting:decision:created",
        "vetting:signoff:recorded",
        "vetting:signoff:recorded",
        "vetting:signoff:recorded",
        "vetting:decision:finalized",
    ]


def test_a_block_can_only_be_denied(session_factory: sessionmaker[Session], people: People) -> None:
    with unit_of_work(session_factory) as s:
        pid = service.create_proposal(s, actor=people.state, proposal=make_proposal("VE")).id
        d = service.evaluate_proposal(s, actor=people.state, proposal_id=pid)
        assert (d.recommendation, d.required_offices) == ("deny", "")
        did = d.id
    with (
        unit_of_work(session_factory) as s,
        pytest.raises(ValidationFailedError, match="blocked by itar_126_1"),
    ):
        service.finalize_decision(s, actor=people.state, decision_id=did, decision="approve")
    with unit_of_work(session_factory) as s:
        service.finalize_decision(s, actor=people.state, decision_id=did, decision="deny")
    with unit_of_work(session_factory) as s, pytest.raises(ConflictError, match="final"):
        service.finalize_decision(s, actor=people.state, decision_id=did, decision="deny")


def test_determinations_count_at_the_next_evaluation_which_supersedes(
    session_factory: sessionmaker[Session], people: People
) -> None:
    with unit_of_work(session_factory) as s:
        pid = service.create_proposal(s, actor=people.state, proposal=make_proposal("PL")).id
        first = service.evaluate_proposal(s, actor=people.state, proposal_id=pid)
        hr = {f.factor: f.signal for f in queries.findings_of(s, first.id)}["human_rights"]
        assert hr == "no_determination"
        service.record_determination(
            s,
            actor=people.state,
            proposal_id=pid,
            factor="human_rights",
            assessment="satisfactory",
            basis="HR report",
        )
        second = service.evaluate_proposal(s, actor=people.state, proposal_id=pid)
        assert {f.factor: f.signal for f in queries.findings_of(s, second.id)}["human_rights"] == "no_risk"
        assert first.status == "superseded"
        assert service.current_decision(s, reference="none") is None


def test_diversion_history_feeds_the_rule(session_factory: sessionmaker[Session], people: People) -> None:
    with unit_of_work(session_factory) as s:
        rec = history.add_enduse_record(
            s,
            actor=people.state,
            country="EG",
            kind="delinquent_inventory",
            occurred_on=day("2024-05-01"),
            description="NVD serial-number inventory delinquent",
            source="GAO-16-435 (illustrative)",
        )
        pid = service.create_proposal(s, actor=people.state, proposal=make_proposal("EG")).id
        d = service.evaluate_proposal(s, actor=people.state, proposal_id=pid)
        f = {f.factor: f for f in queries.findings_of(s, d.id)}["diversion"]
        assert (f.outcome, f.signal) == ("concern", "delinquent_inventory")
        assert f"enduse:{rec.id}" in f.evidence
    with unit_of_work(session_factory) as s, pytest.raises(ValidationFailedError, match="kind"):
        history.add_enduse_record(
            s,
            actor=people.state,
            country="EG",
            kind="rumour",
            occurred_on=day("2024-05-01"),
            description="x",
            source="",
        )


def test_scoping_partner_sco_guess_ids_404_dod_sees_decisions_not_notes(
    session_factory: sessionmaker[Session], people: People
) -> None:
    with unit_of_work(session_factory) as s:
        pl = service.create_proposal(s, actor=people.state, proposal=make_proposal("PL")).id
        kh = service.create_proposal(s, actor=people.state, proposal=make_proposal("KH")).id
        did = service.evaluate_proposal(s, actor=people.state, proposal_id=pl).id
        service.add_note(s, actor=people.state, proposal_id=pl, body="pre-decisional: ask DRL")
    with read_only(session_factory) as s:
        for who in (people.partner_pl, people.sco_pl):
            for pid in (pl, kh):
                with pytest.raises(NotFoundError):
                    service.get_proposal(s, actor=who, proposal_id=pid)
            with pytest.raises(NotFoundError):
                service.get_decision(s, actor=who, decision_id=did)
            assert service.list_proposals(s, actor=who) == []
        assert service.get_decision(s, actor=people.dod, decision_id=did).id == did
        assert service.list_notes(s, actor=people.dod, proposal_id=pl) == []
        assert [n.body for n in service.list_notes(s, actor=people.state, proposal_id=pl)] == [
            "pre-decisional: ask DRL"
        ]
        assert len(service.list_proposals(s, actor=people.auditor)) == 2
    with unit_of_work(session_factory) as s, pytest.raises(NotFoundError):
        service.add_note(s, actor=people.partner_pl, proposal_id=pl, body="x")
    with unit_of_work(session_factory) as s, pytest.raises(PermissionDeniedError):
        service.add_note(s, actor=people.dod, proposal_id=pl, body="x")
    with unit_of_work(session_factory) as s, pytest.raises(PermissionDeniedError):
        service.evaluate_proposal(s, actor=people.auditor, proposal_id=pl)


def test_a_proposal_dated_before_any_profile_is_refused(
    session_factory: sessionmaker[Session], people: People
) -> None:
    with unit_of_work(session_factory) as s, pytest.raises(ValidationFailedError, match="no policy profile"):
        service.create_proposal(s, actor=people.state, proposal=make_proposal("PL", "2017-01-01"))


# --- separation of duties (issue #16) ------------------------------------------------------


def _open_review(session_factory: sessionmaker[Session], people: People) -> int:
    with unit_of_work(session_factory) as s:
        pid = service.create_proposal(s, actor=people.state, proposal=concerns_proposal()).id
        return service.evaluate_proposal(s, actor=people.state, proposal_id=pid).id


def test_a_signoff_is_by_a_user_of_the_office_it_names(
    session_factory: sessionmaker[Session], people: People
) -> None:
    did = _open_review(session_factory, people)
    # One State officer may not sign off for the offices they are not of (the probe's case:
    # the political-military officer signing for human rights and technology security).
    for office in ("human_rights", "technology_security"):
        with (
            unit_of_work(session_factory) as s,
            pytest.raises(SeparationOfDutiesError, match=f"not of the {office} office") as err,
        ):
            service.record_signoff(
                s, actor=people.state, decision_id=did, office=office, concur=True, comment="x"
            )
        assert (err.value.code, err.value.rule) == ("duty.separation", "signoff_office")
    with unit_of_work(session_factory) as s, pytest.raises(SeparationOfDutiesError, match="not the system"):
        service.record_signoff(
            s, actor=None, decision_id=did, office="human_rights", concur=True, comment="x"
        )
    with read_only(session_factory) as s:
        assert queries.signoffs_of(s, did) == []
    with unit_of_work(session_factory) as s:
        row = service.record_signoff(
            s, actor=people.hr_reviewer, decision_id=did, office="human_rights", concur=True, comment="ok"
        )
        assert row.user_id == people.hr_reviewer.user_id


def test_approval_needs_the_signoffs_by_others_than_the_approver(
    session_factory: sessionmaker[Session], people: People
) -> None:
    did = _open_review(session_factory, people)
    with unit_of_work(session_factory) as s:
        # The decider is of the political-military office and signs off for it himself …
        service.record_signoff(
            s, actor=people.state, decision_id=did, office="political_military", concur=True, comment="ok"
        )
        for office in ("human_rights", "technology_security"):
            service.record_signoff(
                s, actor=people.reviewer(office), decision_id=did, office=office, concur=True, comment="ok"
            )
    # … so he may not also approve: the approval rests on his own review.
    with (
        unit_of_work(session_factory) as s,
        pytest.raises(SeparationOfDutiesError, match="signed off for political_military and may not") as err,
    ):
        service.finalize_decision(s, actor=people.state, decision_id=did, decision="approve")
    assert err.value.rule == "own_signoff"
    with read_only(session_factory) as s:
        assert service.get_decision(s, actor=people.state, decision_id=did).status == "open"
    # Another officer, who reviewed nothing, approves.
    with unit_of_work(session_factory) as s:
        final = service.finalize_decision(s, actor=people.pm_reviewer, decision_id=did, decision="approve")
        assert (final.status, final.final_decision) == ("final", "approve")


def test_the_signoff_decider_may_still_deny(session_factory: sessionmaker[Session], people: People) -> None:
    """Denying rests on no one's concurrence: who reviewed may refuse."""
    did = _open_review(session_factory, people)
    with unit_of_work(session_factory) as s:
        service.record_signoff(
            s, actor=people.state, decision_id=did, office="political_military", concur=False, comment="no"
        )
        assert (
            service.finalize_decision(s, actor=people.state, decision_id=did, decision="deny").status
            == "final"
        )


def test_review_offices_match_the_identity_offices() -> None:
    from secassist.identity.permissions import REVIEW_OFFICES
    from secassist.vetting.findings import Office

    assert tuple(o.value for o in Office) == REVIEW_OFFICES
