"""Vetting and Leahy endpoints: proposals, decisions with findings and rationale, sign-offs,
the reviewers' queue, notes, end-use history, the rule set; Leahy units and vettings.

Every read is scoped by the access policy (a record outside the caller's scope is 404, like
a missing one); a browser session changing state must send its CSRF header.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, status
from sqlalchemy.orm import Session

from secassist.core.types import IsoDate
from secassist.http.deps import PrincipalDep, ReadSessionDep, WriterDep, WriteSessionDep, clock_of
from secassist.http.params import Id, IdFilter
from secassist.identity.policy import Principal
from secassist.vetting import history, leahy, queries, schemas, service
from secassist.vetting.decisions_models import VettingProposal
from secassist.vetting.proposal import Determination, parse_proposal
from secassist.vetting.ruleset import get_ruleset
from secassist.vetting.schemas import (
    CaseVettingIn,
    DeterminationIn,
    EndUseIn,
    FinalizeIn,
    InformedIn,
    LeahyStatusOut,
    NoteIn,
    OutcomeIn,
    RemediationDecisionIn,
    RemediationIn,
    RemediationOut,
    SignoffIn,
    UnitIn,
    VettingIn,
)
from secassist.workflows import vetting_case

router = APIRouter(prefix="/vetting", tags=["vetting"])


# --- rule set ---------------------------------------------------------------------


@router.get("/profiles", response_model=list[schemas.ProfileRead])
def profiles(principal: PrincipalDep) -> list[schemas.ProfileRead]:
    """Every policy profile: factors, authorities, signals and their outcomes."""
    return [schemas.profile_read(p) for p in get_ruleset().profiles]


# --- proposals --------------------------------------------------------------------


def _proposal_out(session: Session, principal: Principal, row: VettingProposal) -> schemas.ProposalRead:
    ids = [d.id for d in service.list_decisions(session, actor=principal, proposal_id=row.id)]
    return queries.read_proposal(session, row, ids)


@router.post("/proposals", response_model=schemas.ProposalRead, status_code=status.HTTP_201_CREATED)
def create_proposal(
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
    body: Annotated[dict[str, Any], Body()],
) -> schemas.ProposalRead:
    """File a transfer proposal (the shape of ``vetting.proposal.Proposal``)."""
    row = service.create_proposal(
        session, actor=principal, proposal=parse_proposal(body), clock=clock_of(request)
    )
    return _proposal_out(session, principal, row)


@router.get("/proposals", response_model=list[schemas.ProposalRead])
def proposals(
    principal: PrincipalDep, session: ReadSessionDep, reference: str | None = None
) -> list[schemas.ProposalRead]:
    return [
        _proposal_out(session, principal, r)
        for r in service.list_proposals(session, actor=principal, reference=reference)
    ]


@router.get("/proposals/{proposal_id}", response_model=schemas.ProposalRead)
def proposal(proposal_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> schemas.ProposalRead:
    return _proposal_out(
        session, principal, service.get_proposal(session, actor=principal, proposal_id=proposal_id)
    )


@router.post(
    "/proposals/{proposal_id}/determinations",
    response_model=schemas.ProposalRead,
    status_code=status.HTTP_201_CREATED,
)
def determination(
    proposal_id: Id,
    body: DeterminationIn,
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
) -> schemas.ProposalRead:
    """A reviewer's determination on a factor, with its basis (counts at the next evaluation)."""
    service.record_determination(
        session, actor=principal, proposal_id=proposal_id, clock=clock_of(request), **body.model_dump()
    )
    return _proposal_out(
        session, principal, service.get_proposal(session, actor=principal, proposal_id=proposal_id)
    )


@router.post(
    "/proposals/{proposal_id}/evaluate",
    response_model=schemas.DecisionRead,
    status_code=status.HTTP_201_CREATED,
)
def evaluate(
    proposal_id: Id, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.DecisionRead:
    """Evaluate under the profile the proposal's date picks: a new decision with every finding."""
    d = service.evaluate_proposal(session, actor=principal, proposal_id=proposal_id, clock=clock_of(request))
    return queries.read_decision(session, d)


@router.get("/proposals/{proposal_id}/notes", response_model=list[schemas.NoteRead])
def notes(proposal_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> list[schemas.NoteRead]:
    """Pre-decisional notes (none for DoD)."""
    return [
        schemas.note_read(n) for n in service.list_notes(session, actor=principal, proposal_id=proposal_id)
    ]


@router.post(
    "/proposals/{proposal_id}/notes", response_model=schemas.NoteRead, status_code=status.HTTP_201_CREATED
)
def add_note(
    proposal_id: Id, body: NoteIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.NoteRead:
    n = service.add_note(
        session, actor=principal, proposal_id=proposal_id, body=body.body, clock=clock_of(request)
    )
    return schemas.note_read(n)


# --- cases ----------------------------------------------------------------------------


@router.post("/cases/{ref}", response_model=schemas.DecisionRead, status_code=status.HTTP_201_CREATED)
def vet_case(
    ref: str, body: CaseVettingIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.DecisionRead:
    """Build the case's proposal from its facts and evaluate it (the offer gate reads the result)."""
    clock = clock_of(request)
    _, d = vetting_case.vet_case_ref(
        session,
        actor=principal,
        ref=ref,
        on=body.on or (clock.today() if clock else date.today()),
        purchaser_name=body.purchaser_name,
        screenings=body.screenings,
        recipient_unit_ids=body.recipient_unit_ids,
        determinations=[
            Determination(reviewer=principal.label, **x.model_dump()) for x in body.determinations
        ],
        clock=clock,
    )
    return queries.read_decision(session, d)


# --- decisions --------------------------------------------------------------------


@router.get("/decisions", response_model=list[schemas.DecisionRead])
def decisions(
    principal: PrincipalDep, session: ReadSessionDep, status: str | None = None
) -> list[schemas.DecisionRead]:
    return [
        queries.read_decision(session, d)
        for d in service.list_decisions(session, actor=principal, status=status)
    ]


@router.get("/decisions/{decision_id}", response_model=schemas.DecisionRead)
def decision(decision_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> schemas.DecisionRead:
    """A decision with every finding's rationale, evidence and authority, and its sign-offs."""
    return queries.read_decision(
        session, service.get_decision(session, actor=principal, decision_id=decision_id)
    )


@router.post(
    "/decisions/{decision_id}/signoffs",
    response_model=schemas.DecisionRead,
    status_code=status.HTTP_201_CREATED,
)
def signoff(
    decision_id: Id, body: SignoffIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.DecisionRead:
    service.record_signoff(
        session, actor=principal, decision_id=decision_id, clock=clock_of(request), **body.model_dump()
    )
    return queries.read_decision(
        session, service.get_decision(session, actor=principal, decision_id=decision_id)
    )


@router.post("/decisions/{decision_id}/finalize", response_model=schemas.DecisionRead)
def finalize(
    decision_id: Id, body: FinalizeIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.DecisionRead:
    """The final decision with provisos (a block can only be denied)."""
    d = service.finalize_decision(
        session, actor=principal, decision_id=decision_id, clock=clock_of(request), **body.model_dump()
    )
    return queries.read_decision(session, d)


@router.get("/queue", response_model=list[schemas.QueueItemRead])
def queue(
    principal: PrincipalDep, session: ReadSessionDep, office: str | None = None
) -> list[schemas.QueueItemRead]:
    """Open decisions awaiting sign-off or a final decision (optionally for one office)."""
    return [schemas.queue_read(i) for i in service.review_queue(session, actor=principal, office=office)]


# --- end-use history ----------------------------------------------------------------


@router.get("/enduse", response_model=list[schemas.EndUseRead])
def enduse(
    principal: PrincipalDep, session: ReadSessionDep, country: str | None = None
) -> list[schemas.EndUseRead]:
    return [
        schemas.enduse_read(r) for r in history.list_enduse_records(session, actor=principal, country=country)
    ]


@router.post("/enduse", response_model=schemas.EndUseRead, status_code=status.HTTP_201_CREATED)
def add_enduse(
    body: EndUseIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.EndUseRead:
    """Record an end-use incident, delinquent inventory or unauthorized transfer."""
    return schemas.enduse_read(
        history.add_enduse_record(session, actor=principal, clock=clock_of(request), **body.model_dump())
    )


# --- Leahy --------------------------------------------------------------------------


@router.get("/leahy/units", response_model=list[schemas.UnitRead])
def units(
    principal: PrincipalDep, session: ReadSessionDep, country: str | None = None
) -> list[schemas.UnitRead]:
    return [schemas.unit_read(u) for u in leahy.list_units(session, actor=principal, country=country)]


@router.post("/leahy/units", response_model=schemas.UnitRead, status_code=status.HTTP_201_CREATED)
def create_unit(
    body: UnitIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.UnitRead:
    return schemas.unit_read(
        leahy.create_unit(session, actor=principal, clock=clock_of(request), **body.model_dump())
    )


@router.get("/leahy/units/{unit_id}", response_model=schemas.UnitRead)
def unit(unit_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> schemas.UnitRead:
    return schemas.unit_read(leahy.get_unit(session, actor=principal, unit_id=unit_id))


@router.get("/leahy/units/{unit_id}/status", response_model=LeahyStatusOut)
def unit_status(unit_id: Id, on: IsoDate, principal: PrincipalDep, session: ReadSessionDep) -> LeahyStatusOut:
    """The unit's Leahy status on a date (what the policy rule and the obligation gate see)."""
    u = leahy.get_unit(session, actor=principal, unit_id=unit_id)
    st = leahy.status_on(session, u.id, on)
    return LeahyStatusOut(
        unit_id=u.id, on=on, status=st.status, vetting_id=st.vetting_id, valid_until=st.valid_until
    )


@router.post(
    "/leahy/units/{unit_id}/vettings",
    response_model=schemas.LeahyVettingRead,
    status_code=status.HTTP_201_CREATED,
)
def request_vetting(
    unit_id: Id, body: VettingIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.LeahyVettingRead:
    v = leahy.request_vetting(
        session, actor=principal, unit_id=unit_id, clock=clock_of(request), **body.model_dump()
    )
    return schemas.vetting_read(v)


@router.get("/leahy/vettings", response_model=list[schemas.LeahyVettingRead])
def vettings(
    principal: PrincipalDep, session: ReadSessionDep, unit_id: IdFilter = None, status: str | None = None
) -> list[schemas.LeahyVettingRead]:
    return [
        schemas.vetting_read(v)
        for v in leahy.list_vettings(session, actor=principal, unit_id=unit_id, status=status)
    ]


@router.get("/leahy/vettings/{vetting_id}", response_model=schemas.LeahyVettingRead)
def vetting(vetting_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> schemas.LeahyVettingRead:
    return schemas.vetting_read(leahy.get_vetting(session, actor=principal, vetting_id=vetting_id))


@router.post("/leahy/vettings/{vetting_id}/outcome", response_model=schemas.LeahyVettingRead)
def outcome(
    vetting_id: Id, body: OutcomeIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.LeahyVettingRead:
    """Decide a vetting; a denial opens a duty-to-inform task."""
    v = leahy.record_outcome(
        session, actor=principal, vetting_id=vetting_id, clock=clock_of(request), **body.model_dump()
    )
    return schemas.vetting_read(v)


@router.get("/leahy/duty-to-inform", response_model=list[schemas.DutyToInformRead])
def duty_to_inform(
    principal: PrincipalDep, session: ReadSessionDep, status: str | None = None
) -> list[schemas.DutyToInformRead]:
    return [
        schemas.inform_read(t) for t in leahy.list_duty_to_inform(session, actor=principal, status=status)
    ]


@router.post("/leahy/duty-to-inform/{task_id}/complete", response_model=schemas.DutyToInformRead)
def inform_done(
    task_id: Id, body: InformedIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> schemas.DutyToInformRead:
    """Record that the foreign government was informed."""
    t = leahy.complete_duty_to_inform(
        session, actor=principal, task_id=task_id, clock=clock_of(request), **body.model_dump()
    )
    return schemas.inform_read(t)


def _remediation_out(r: Any) -> RemediationOut:
    return RemediationOut(
        id=r.id, vetting_id=r.vetting_id, unit_id=r.unit_id, authority=r.authority, description=r.description,
        status=r.status, proposed_on=r.proposed_on, decided_on=r.decided_on,
    )  # fmt: skip


@router.post(
    "/leahy/vettings/{vetting_id}/remediations",
    response_model=RemediationOut,
    status_code=status.HTTP_201_CREATED,
)
def remediate(
    vetting_id: Id, body: RemediationIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> RemediationOut:
    """Steps toward eligibility after a denial (FAA §620M(b); 10 U.S.C. 362 corrective steps)."""
    r = leahy.propose_remediation(
        session, actor=principal, vetting_id=vetting_id, clock=clock_of(request), **body.model_dump()
    )
    return _remediation_out(r)


@router.post("/leahy/remediations/{remediation_id}/decision", response_model=RemediationOut)
def decide_remediation(
    remediation_id: Id,
    body: RemediationDecisionIn,
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
) -> RemediationOut:
    """Accept (the unit may be vetted again) or reject a remediation."""
    r = leahy.decide_remediation(
        session, actor=principal, remediation_id=remediation_id, clock=clock_of(request), **body.model_dump()
    )
    return _remediation_out(r)
