"""Input and read shapes of the vetting records (API and CLI), and the presenters that
build the read shapes from ORM rows they are given (they do no query: see :mod:`.queries`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from secassist.core.types import IsoDate, RowId
from secassist.vetting.decisions_models import (
    EndUseRecordRow,
    VettingDecision,
    VettingDetermination,
    VettingFinding,
    VettingNote,
    VettingProposal,
    VettingSignoff,
)
from secassist.vetting.leahy_models import LeahyDutyToInform, LeahyUnit, LeahyVetting
from secassist.vetting.proposal import ScreeningOutcome
from secassist.vetting.rules import RULES
from secassist.vetting.ruleset import Profile

if TYPE_CHECKING:  # the service builds queue items from these shapes' records
    from secassist.vetting.service import QueueItem


# --- input shapes --------------------------------------------------------------------


class DeterminationIn(BaseModel):
    factor: str
    assessment: Literal["satisfactory", "doubts", "adverse"]
    basis: str = Field(min_length=1, max_length=4000)
    more_likely_than_not: bool = False
    actual_knowledge: bool = False


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=4000)


class CaseVettingIn(BaseModel):
    on: IsoDate | None = Field(default=None, description="The proposal date (default today).")
    purchaser_name: str | None = None
    screenings: dict[str, ScreeningOutcome] | None = Field(
        default=None,
        description="Outcome per party name; omitted: the parties are screened against the loaded lists.",
    )
    rescreen: bool = False
    recipient_unit_ids: list[RowId] = Field(default_factory=list)
    determinations: list[DeterminationIn] = Field(default_factory=list)


class SignoffIn(BaseModel):
    office: str
    concur: bool
    comment: str = Field(min_length=1, max_length=4000)


class FinalizeIn(BaseModel):
    decision: Literal["approve", "deny"]
    provisos: list[str] = Field(default_factory=list, max_length=50)
    comment: str = Field(default="", max_length=4000)


class EndUseIn(BaseModel):
    country: str
    kind: Literal["unauthorized_transfer", "delinquent_inventory", "incident"]
    occurred_on: IsoDate
    description: str = Field(min_length=1, max_length=4000)
    source: str = Field(default="", max_length=4000)
    resolved_on: IsoDate | None = None


class UnitIn(BaseModel):
    country: str
    name: str = Field(min_length=1, max_length=300)
    unit_type: str


class VettingIn(BaseModel):
    requested_on: IsoDate
    purpose: str = Field(min_length=1, max_length=4000)
    sources_checked: list[str] = Field(min_length=1)


class OutcomeIn(BaseModel):
    outcome: Literal["approved", "suspended", "denied", "cancelled"]
    decided_on: IsoDate
    basis: str = Field(min_length=1, max_length=4000)
    valid_until: IsoDate | None = None


class LeahyStatusOut(BaseModel):
    unit_id: int
    on: date
    status: str
    vetting_id: int | None
    valid_until: date | None


class InformedIn(BaseModel):
    completed_on: IsoDate
    note: str = Field(min_length=1, max_length=4000)


class RemediationIn(BaseModel):
    authority: str
    description: str = Field(min_length=1, max_length=4000)
    proposed_on: IsoDate


class RemediationDecisionIn(BaseModel):
    accept: bool
    decided_on: IsoDate


class RemediationOut(BaseModel):
    id: int
    vetting_id: int
    unit_id: int
    authority: str
    description: str
    status: str
    proposed_on: date
    decided_on: date | None


# --- read shapes ---------------------------------------------------------------------


class DeterminationRead(BaseModel):
    factor: str
    assessment: str
    more_likely_than_not: bool
    actual_knowledge: bool
    basis: str
    reviewer: str
    recorded_at: datetime


class ProposalRead(BaseModel):
    id: int
    title: str
    reference: str | None
    country: str | None
    proposed_on: date
    created_at: datetime
    created_by: str
    proposal: dict[str, Any]
    determinations: list[DeterminationRead]
    decision_ids: list[int]


class FindingRead(BaseModel):
    factor: str
    outcome: str
    signal: str
    rationale: str
    evidence: list[str]
    authority: str
    office: str | None


class SignoffRead(BaseModel):
    office: str
    concur: bool
    comment: str
    signer: str
    signed_at: datetime


class DecisionRead(BaseModel):
    id: int
    proposal_id: int
    country: str | None
    profile_id: str
    profile_version: str
    recommendation: str
    required_offices: list[str]
    missing_signoffs: list[str]
    status: str
    final_decision: str | None
    provisos: list[str]
    final_comment: str | None
    evaluated_at: datetime
    evaluated_by: str
    finalized_at: datetime | None
    finalized_by: str | None
    findings: list[FindingRead]
    signoffs: list[SignoffRead]


class QueueItemRead(BaseModel):
    decision_id: int
    proposal_id: int
    title: str
    country: str | None
    recommendation: str
    concerns: list[str]
    missing_signoffs: list[str]
    evaluated_at: datetime


class NoteRead(BaseModel):
    id: int
    proposal_id: int
    body: str
    author: str
    created_at: datetime


class EndUseRead(BaseModel):
    id: int
    country: str
    kind: str
    occurred_on: date
    description: str
    source: str
    resolved_on: date | None


class UnitRead(BaseModel):
    id: int
    country: str
    name: str
    unit_type: str
    created_at: datetime


class LeahyVettingRead(BaseModel):
    id: int
    unit_id: int
    country: str
    requested_on: date
    purpose: str
    sources_checked: list[str]
    status: str
    decided_on: date | None
    valid_from: date | None
    valid_until: date | None
    basis: str | None


class DutyToInformRead(BaseModel):
    id: int
    vetting_id: int
    unit_id: int
    country: str
    status: str
    opened_on: date
    completed_on: date | None
    note: str | None


class SignalRead(BaseModel):
    signal: str
    meaning: str
    outcome: str


class FactorRead(BaseModel):
    factor: str
    title: str
    authority: str
    office: str
    status: str
    params: dict[str, Any]
    rule: str
    signals: list[SignalRead]


class ProfileRead(BaseModel):
    id: str
    title: str
    authority: str
    starts: date
    ends: date | None
    status: str
    note: str | None
    version: str
    factors: list[FactorRead]


def proposal_read(
    row: VettingProposal, determinations: Sequence[VettingDetermination], decision_ids: list[int]
) -> ProposalRead:
    return ProposalRead(
        id=row.id,
        title=row.title,
        reference=row.reference,
        country=row.country_code,
        proposed_on=row.proposed_on,
        created_at=row.created_at,
        created_by=row.created_by,
        proposal=json.loads(row.body),
        determinations=[
            DeterminationRead(
                factor=d.factor,
                assessment=d.assessment,
                more_likely_than_not=d.more_likely_than_not,
                actual_knowledge=d.actual_knowledge,
                basis=d.basis,
                reviewer=d.reviewer,
                recorded_at=d.recorded_at,
            )
            for d in determinations
        ],
        decision_ids=decision_ids,
    )


def finding_read(f: VettingFinding) -> FindingRead:
    return FindingRead(
        factor=f.factor,
        outcome=f.outcome,
        signal=f.signal,
        rationale=f.rationale,
        evidence=json.loads(f.evidence),
        authority=f.authority,
        office=f.office,
    )


def signoff_read(s: VettingSignoff) -> SignoffRead:
    return SignoffRead(
        office=s.office, concur=s.concur, comment=s.comment, signer=s.signer, signed_at=s.signed_at
    )


def decision_read(
    d: VettingDecision,
    findings: Sequence[VettingFinding],
    signoffs: Sequence[VettingSignoff],
    required: list[str],
    missing: list[str],
) -> DecisionRead:
    return DecisionRead(
        id=d.id,
        proposal_id=d.proposal_id,
        country=d.country_code,
        profile_id=d.profile_id,
        profile_version=d.profile_version,
        recommendation=d.recommendation,
        required_offices=required,
        missing_signoffs=missing,
        status=d.status,
        final_decision=d.final_decision,
        provisos=json.loads(d.provisos or "[]"),
        final_comment=d.final_comment,
        evaluated_at=d.evaluated_at,
        evaluated_by=d.evaluated_by,
        finalized_at=d.finalized_at,
        finalized_by=d.finalized_by,
        findings=[finding_read(f) for f in findings],
        signoffs=[signoff_read(s) for s in signoffs],
    )


def queue_read(item: QueueItem) -> QueueItemRead:
    return QueueItemRead(
        decision_id=item.decision.id,
        proposal_id=item.proposal.id,
        title=item.proposal.title,
        country=item.proposal.country_code,
        recommendation=item.decision.recommendation,
        concerns=list(item.concerns),
        missing_signoffs=list(item.missing),
        evaluated_at=item.decision.evaluated_at,
    )


def note_read(n: VettingNote) -> NoteRead:
    return NoteRead(id=n.id, proposal_id=n.proposal_id, body=n.body, author=n.author, created_at=n.created_at)


def enduse_read(r: EndUseRecordRow) -> EndUseRead:
    return EndUseRead(
        id=r.id,
        country=r.country_code,
        kind=r.kind,
        occurred_on=r.occurred_on,
        description=r.description,
        source=r.source,
        resolved_on=r.resolved_on,
    )


def unit_read(u: LeahyUnit) -> UnitRead:
    return UnitRead(
        id=u.id, country=u.country_code, name=u.name, unit_type=u.unit_type, created_at=u.created_at
    )


def vetting_read(v: LeahyVetting) -> LeahyVettingRead:
    return LeahyVettingRead(
        id=v.id,
        unit_id=v.unit_id,
        country=v.country_code,
        requested_on=v.requested_on,
        purpose=v.purpose,
        sources_checked=json.loads(v.sources_checked),
        status=v.status,
        decided_on=v.decided_on,
        valid_from=v.valid_from,
        valid_until=v.valid_until,
        basis=v.basis,
    )


def inform_read(t: LeahyDutyToInform) -> DutyToInformRead:
    return DutyToInformRead(
        id=t.id,
        vetting_id=t.vetting_id,
        unit_id=t.unit_id,
        country=t.country_code,
        status=t.status,
        opened_on=t.opened_on,
        completed_on=t.completed_on,
        note=t.note,
    )


def profile_read(p: Profile) -> ProfileRead:
    """A profile explained from the rule set itself: each factor, its authority, the
    rule's docstring and every signal with the outcome the profile maps it to."""
    return ProfileRead(
        id=p.id,
        title=p.title,
        authority=p.authority,
        starts=p.starts,
        ends=p.ends,
        status=p.status,
        note=p.note,
        version=p.version,
        factors=[
            FactorRead(
                factor=c.factor,
                title=c.title,
                authority=c.authority,
                office=c.office.value,
                status=c.status,
                params=dict(c.params),
                rule=" ".join(RULES[c.factor].doc.split()),
                signals=[
                    SignalRead(signal=sig, meaning=meaning, outcome=c.outcomes[sig].value)
                    for sig, meaning in RULES[c.factor].signals.items()
                ],
            )
            for c in p.factors
        ],
    )
