"""Vetting a case: the proposal built from CaseFacts, the offer gate, the Leahy obligation check."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.facts import CaseFacts, LineFacts
from secassist.core.errors import ValidationFailedError
from secassist.programs.models import LedgerEntry
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting import leahy, queries, service
from secassist.vetting.errors import LeahyNotApprovedError
from secassist.vetting.leahy_models import LeahyVetting
from secassist.vetting.proposal import Determination, ScreeningOutcome
from secassist.workflows import gate_vetting
from secassist.workflows.gates import default_gates, gate_status
from secassist.workflows.obligate_assistance import (
    leahy_check,
    obligate_assistance,
    obligate_with_leahy_check,
)
from secassist.workflows.vetting_case import proposal_from_case, vet_case
from tests.vetting.factories import People

ON = date(2025, 6, 2)
CLEAR = ScreeningOutcome(status="clear")  # asserted: cites no screening record


def case(financing: str = "national", country: str = "PL", value: str = "4000000.00") -> CaseFacts:
    line = LineFacts(
        line_id=1,
        number="001",
        item_type="truck",
        description="M1083 trucks",
        usml_category="VII",
        mde=False,
        sme=False,
        eeum=False,
        quantity=40,
        unit_cost=Decimal("100000.00"),
        value=Decimal(value),
        contractor_org_id=None,
    )
    return CaseFacts(
        case_id=12,
        identifier=f"{country}-B-AAA",
        version=1,
        status="draft",
        purchaser_code=country,
        purchaser_is_body=False,
        financing=financing,
        implementing_agency="B",
        loa_type="defined_order",
        end_users=("Land Forces",),
        lines=(line,),
        mde_value=Decimal(0),
        other_value=Decimal(value),
        total_value=Decimal(value),
        design_construction_value=Decimal(0),
        lor_complete_on=None,
    )


def judgements() -> list[Determination]:
    return [
        Determination(factor=f, assessment="satisfactory", basis="desk review", reviewer="PM/RSAT")
        for f in ("human_rights", "nonproliferation")
    ]


def approve(s: Session, people: People, unit_id: int) -> LeahyVetting:
    """Request and approve a unit's vetting (approved 20 Jan 2025 for a year)."""
    v = leahy.request_vetting(
        s,
        actor=people.state,
        unit_id=unit_id,
        requested_on=date(2025, 1, 5),
        purpose="FMF",
        sources_checked=["INVEST"],
    )
    return leahy.record_outcome(
        s,
        actor=people.state,
        vetting_id=v.id,
        outcome="approved",
        decided_on=date(2025, 1, 20),
        basis="clean",
    )


def test_proposal_from_case_is_pure_and_maps_financing() -> None:
    p = proposal_from_case(case("mixed"), on=ON, screenings={"Land Forces": CLEAR})
    assert p.reference == "case:12"
    assert p.financing == ("national", "fmf")
    assert p.items[0].value == Decimal("4000000.00")
    assert p.end_users[0].screening == CLEAR
    assert p.purchaser.screening is None  # not screened


def test_the_offer_gate_follows_the_decision(session_factory: sessionmaker[Session], people: People) -> None:
    c = case()
    assert "vetting" in [g.name for g in default_gates()]  # with the funding gate (programs)
    with read_only(session_factory) as s:
        [r] = [x for x in gate_status(s, c, on=ON) if x.gate == "vetting"]
        assert (r.satisfied, r.reason) == (False, "No vetting proposal has been filed for this case.")
    names = {"Government of PL": CLEAR, "Land Forces": CLEAR}
    with unit_of_work(session_factory) as s:
        _, d = vet_case(s, actor=people.state, case=c, on=ON, screenings=names, determinations=judgements())
        assert d.recommendation == "approve", [(f.factor, f.signal) for f in queries.findings_of(s, d.id)]
        did = d.id
    with read_only(session_factory) as s:
        r = gate_vetting.GATE.check(s, c, on=ON)
        assert not r.satisfied
        assert "awaits the final decision" in r.reason
    with unit_of_work(session_factory) as s:
        service.finalize_decision(
            s, actor=people.state, decision_id=did, decision="approve", provisos=["EUM on delivery"]
        )
    with read_only(session_factory) as s:
        r = gate_vetting.GATE.check(s, c, on=ON)
        assert r.satisfied
        assert r.reason == f"Vetting cleared: decision {did} under eo-14268-2025. Provisos: EUM on delivery."
        assert f"vetting:decision:{did}" in r.evidence
        changed = replace(c, total_value=Decimal("9000000.00"))
        r = gate_vetting.GATE.check(s, changed, on=ON)
        assert not r.satisfied
        assert "changed after vetting" in r.reason
        assert gate_vetting.GATE.check(s, replace(c, status="reviewed", version=2), on=ON).satisfied


def test_a_blocked_case_and_a_case_awaiting_signoff(
    session_factory: sessionmaker[Session], people: People
) -> None:
    with unit_of_work(session_factory) as s:
        _, d = vet_case(s, actor=people.state, case=case(country="VE"), on=ON)
        assert d.recommendation == "deny"
        names = {"Government of PL": CLEAR, "Land Forces": CLEAR}
        fmf = replace(case("fmf"), case_id=13)
        _, d2 = vet_case(s, actor=people.state, case=fmf, on=ON, screenings=names)
        assert d2.recommendation == "review"
    with read_only(session_factory) as s:
        assert "recommends denial" in gate_vetting.GATE.check(s, case(country="VE"), on=ON).reason
        reason = gate_vetting.GATE.check(s, replace(case("fmf"), case_id=13), on=ON).reason
        assert "awaits sign-off from political military, human rights" in reason


def test_units_carry_their_leahy_status_into_the_proposal(
    session_factory: sessionmaker[Session], people: People
) -> None:
    with unit_of_work(session_factory) as s:
        uid = leahy.create_unit(
            s, actor=people.state, country="PL", name="12th Mechanized Division", unit_type="military"
        ).id
        v = approve(s, people, uid)
        _, d = vet_case(s, actor=people.state, case=case("fmf"), on=ON, recipient_unit_ids=[uid])
        f = {f.factor: f for f in queries.findings_of(s, d.id)}["leahy"]
        assert (f.signal, f.outcome) == ("approved", "clear")
        assert f"leahy:vetting:{v.id}" in f.evidence


def test_leahy_obligation_check(session_factory: sessionmaker[Session], people: People) -> None:
    with unit_of_work(session_factory) as s:
        uid = leahy.create_unit(
            s, actor=people.state, country="PL", name="Police Unit 4", unit_type="police"
        ).id
    calls: list[str] = []
    with read_only(session_factory) as s:
        assert leahy_check(s, program="national", unit_ids=[], on=ON) == []
        with pytest.raises(LeahyNotApprovedError, match="never vetted"):
            obligate_with_leahy_check(
                s, program="FMF", unit_ids=[uid], on=ON, obligate=lambda: calls.append("x")
            )
        with pytest.raises(ValidationFailedError, match="unit_ids"):
            leahy_check(s, program="imet", unit_ids=[], on=ON)
    assert calls == []
    with unit_of_work(session_factory) as s:
        approve(s, people, uid)
    with read_only(session_factory) as s:
        assert (
            obligate_with_leahy_check(s, program="imet", unit_ids=[uid], on=ON, obligate=lambda: "obligated")
            == "obligated"
        )


def test_parties_are_screened_and_dispositions_carry_over(
    session_factory: sessionmaker[Session], people: People
) -> None:
    from secassist.demo.screening import demo_list
    from secassist.vetting.screening import queries as screening_queries
    from secassist.vetting.screening import service as screening

    c = replace(case(), end_users=("Rosoboronexport",))
    with unit_of_work(session_factory) as s:
        _, d = vet_case(s, actor=people.state, case=c, on=ON)  # no list loaded: nobody screened
        f = {f.factor: f for f in queries.findings_of(s, d.id)}["screening"]
        assert (f.signal, f.outcome) == ("not_screened", "block")
        screening.store_version(s, actor=None, parsed=demo_list(), source_path="demo")
        _, d = vet_case(s, actor=people.state, case=c, on=ON)
        f = {f.factor: f for f in queries.findings_of(s, d.id)}["screening"]
        assert (f.signal, f.outcome) == ("unresolved_match", "block")
        [ref] = [
            e for e in json.loads(f.evidence) if "Rosoboronexport" not in e and e.startswith("screening:")
        ][-1:]
        run = screening_queries.get_run(s, actor=None, run_id=int(ref.split(":")[1]))
        assert run.subject == "case:12 end_user: Rosoboronexport"
        for hit in run.results:
            screening.record_disposition(
                s, actor=people.state, run_id=run.id, list_name=hit["list"], entity_id=hit["entity_id"],
                disposition="false_positive", note="a different body of the same name (test)",
            )  # fmt: skip
        _, d = vet_case(s, actor=people.state, case=c, on=ON)  # reuses the screening
        f = {f.factor: f for f in queries.findings_of(s, d.id)}["screening"]
        assert (f.signal, f.outcome) == ("all_clear", "clear")
        assert "dispositioned false positive" in f.rationale
        assert f"screening:{run.id}" in json.loads(f.evidence)


def test_obligating_pko_to_a_unit_needs_a_current_leahy_approval(
    session_factory: sessionmaker[Session], people: People
) -> None:
    from secassist.programs import service as programs
    from tests.programs.factories import appropriation

    day = date(2025, 3, 1)
    with unit_of_work(session_factory) as s:
        pko = appropriation(s, program="PKO", amount="1000")
        programs.allocate(
            s, actor=None, appropriation_id=pko.id, country="PL", amount="1000", on=date(2024, 4, 1)
        )
        uid = leahy.create_unit(
            s, actor=people.state, country="PL", name="Peacekeeping Bn", unit_type="military"
        ).id
        other = leahy.create_unit(s, actor=people.state, country="EG", name="EG Bn", unit_type="military").id
        pko_id = pko.id

    def obligate(unit_id: int) -> object:
        with unit_of_work(session_factory) as s:
            return obligate_assistance(
                s, actor=None, appropriation_id=pko_id, country="PL", amount="10", on=day,
                target=programs.Target("unit", recipient_unit_id=unit_id),
            )  # fmt: skip

    with pytest.raises(LeahyNotApprovedError, match="never vetted"):
        obligate(uid)
    with pytest.raises(ValidationFailedError, match="belongs to EG"):
        obligate(other)
    with pytest.raises(ValidationFailedError, match="no Leahy-registered unit"):
        obligate(9999)
    with unit_of_work(session_factory) as s:
        approve(s, people, uid)  # 20 Jan 2025 for a year
    entry = obligate(uid)
    assert isinstance(entry, LedgerEntry)
    assert entry.recipient_unit_id == uid


def test_a_cited_screening_must_exist_be_visible_and_be_of_that_party(
    session_factory: sessionmaker[Session], people: People
) -> None:
    """Issue #16: ``vetting case --screening NAME=clear:ID`` took any id as evidence. The
    cited screening must exist, be visible to the actor, be of that party's name, and have
    the outcome claimed; a refusal names the id and leaves nothing written."""
    from secassist.audit.models import AuditEntry
    from secassist.demo.screening import demo_list
    from secassist.vetting.decisions_models import VettingProposal
    from secassist.vetting.screened import NamedParty, screen_parties
    from secassist.vetting.screening import service as screening

    c = case()
    with unit_of_work(session_factory) as s:
        screening.store_version(s, actor=None, parsed=demo_list(), source_path="demo")
        got = screen_parties(
            s,
            actor=people.state,
            parties=[NamedParty("Land Forces", "end_user", "PL"), NamedParty("Rosoboronexport", "end_user")],
            prefix="test",
        )
    land, rosob = got["Land Forces"], got["Rosoboronexport"]
    assert (land.status, rosob.status) == ("clear", "potential_match")

    def count(s: Session, model: type) -> int:
        return len(s.scalars(select(model)).all())

    with read_only(session_factory) as s:
        before = (count(s, VettingProposal), count(s, AuditEntry))

    def cite(name: str, status: str, ref: str | None) -> dict[str, ScreeningOutcome]:
        return {name: ScreeningOutcome.model_validate({"status": status, "screening_id": ref})}

    bad = [
        (
            people.state,
            cite("Land Forces", "clear", "99999"),
            "'99999' cited for 'Land Forces' does not exist",
        ),
        (people.state, cite("Land Forces", "clear", "made-up"), "'made-up', which is not a screening id"),
        (people.state, cite("Land Forces", "clear", rosob.screening_id), "is not of 'Land Forces'"),
        (people.state, cite("Rosoboronexport", "clear", rosob.screening_id), "is potential_match, not clear"),
        (people.partner_pl, {"Land Forces": land}, "cited for 'Land Forces' does not exist"),
    ]
    for actor, cited, message in bad:
        with pytest.raises(ValidationFailedError) as err, unit_of_work(session_factory) as s:
            vet_case(s, actor=actor, case=c, on=ON, screenings=cited)
        assert err.value.field == "screenings"
        assert message in err.value.message
    with read_only(session_factory) as s:
        assert (count(s, VettingProposal), count(s, AuditEntry)) == before
    # The genuine screening, cited as itself (also as "screening:N"), is accepted as evidence.
    cited_ok = {
        "Land Forces": ScreeningOutcome(status="clear", screening_id=f"screening:{land.screening_id}")
    }
    with unit_of_work(session_factory) as s:
        _, d = vet_case(s, actor=people.state, case=c, on=ON, screenings=cited_ok)
        f = {f.factor: f for f in queries.findings_of(s, d.id)}["screening"]
        assert f"screening:{land.screening_id}" in json.loads(f.evidence)
