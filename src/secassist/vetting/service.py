"""Vetting services: proposals, reviewers' determinations, decisions (evaluation, sign-offs,
final decision) and pre-decisional notes.

Keyword-only, the session passed explicitly, never committing; every change writes exactly
one audit entry. Every read is scoped by the access policy: a record outside the actor's
scope is "not found". ``actor=None`` is the system (the administrator's console).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SeparationOfDutiesError,
    ValidationFailedError,
)
from secassist.identity.models import Organization
from secassist.identity.policy import Principal, Resource, actor_of, allowed
from secassist.reference.service import get_reference
from secassist.vetting.common import require, scoped
from secassist.vetting.context import DiversionHistory, RegionalFacts, RegionalRegister, RuleContext
from secassist.vetting.decisions_models import (
    VettingDecision,
    VettingDetermination,
    VettingFinding,
    VettingNote,
    VettingProposal,
    VettingSignoff,
)
from secassist.vetting.findings import Office, Outcome, Recommendation
from secassist.vetting.history import DbDiversionHistory
from secassist.vetting.proposal import Determination, Proposal, parse_proposal
from secassist.vetting.queries import (
    determinations,
    findings_of,
    missing_signoffs,
    required_offices,
    signoffs_of,
)
from secassist.vetting.rules.regional import item_key
from secassist.vetting.ruleset import Evaluation, evaluate, get_ruleset
from secassist.vetting.sipri import DbRegionalRegister, latest_import
from secassist.vetting.tables import embargoes, technology

MAX_TEXT = 4000


# --- proposals -------------------------------------------------------------------


def create_proposal(
    session: Session, *, actor: Principal | None, proposal: Proposal, clock: Clock | None = None
) -> VettingProposal:
    """Store a proposal as submitted (its determinations become determination rows)."""
    country = proposal.country
    require(actor, "write", "vetting", country, what="country")
    get_ruleset().for_date(proposal.date)  # a date no profile covers is refused up front
    body = proposal.model_copy(update={"determinations": ()})
    row = VettingProposal(
        title=proposal.title,
        reference=proposal.reference,
        country_code=country,
        proposed_on=proposal.date,
        body=json.dumps(body.to_json(), sort_keys=True),
        fingerprint=body.fingerprint(),
        created_at=now(clock),
        created_by=actor_of(actor).label,
    )
    session.add(row)
    session.flush()
    rows: list[VettingProposal | VettingDetermination] = [row]
    for d in proposal.determinations:
        rows.append(_determination_row(row.id, d, actor, clock))
    add_recorded(
        session,
        rows,
        actor=actor_of(actor),
        tag="vetting:proposal:created",
        subject_type="vetting_proposal",
        subject_id=row.id,
        clock=clock,
    )
    return row


def _determination_row(
    proposal_id: int, d: Determination, actor: Principal | None, clock: Clock | None
) -> VettingDetermination:
    return VettingDetermination(
        proposal_id=proposal_id,
        factor=d.factor,
        assessment=d.assessment,
        more_likely_than_not=d.more_likely_than_not,
        actual_knowledge=d.actual_knowledge,
        basis=d.basis,
        reviewer=d.reviewer,
        user_id=actor.user_id if actor else None,
        recorded_at=now(clock),
    )


def get_proposal(session: Session, *, actor: Principal | None, proposal_id: int) -> VettingProposal:
    """One proposal the actor may see; otherwise NotFoundError."""
    row = session.scalar(
        scoped(select(VettingProposal), actor, "vetting", VettingProposal.country_code).where(
            VettingProposal.id == proposal_id
        )
    )
    if row is None:
        raise NotFoundError("proposal not found")
    return row


def find_proposal(session: Session, *, actor: Principal | None, reference: str) -> VettingProposal:
    """The one proposal the actor may see filed under ``reference`` (the proposal file's
    ``reference``); a reference filed more than once is refused with the proposals' ids."""
    wanted = reference.strip()
    found = list_proposals(session, actor=actor, reference=wanted) if wanted else []
    if not found:
        raise NotFoundError(f"reference: no proposal with reference {wanted!r}", field="reference")
    if len(found) > 1:
        ids = ", ".join(str(p.id) for p in found)
        raise ValidationFailedError(
            f"reference: {wanted!r} names proposals {ids}; give the id", field="reference"
        )
    return found[0]


def list_proposals(
    session: Session, *, actor: Principal | None, reference: str | None = None
) -> list[VettingProposal]:
    stmt = scoped(select(VettingProposal), actor, "vetting", VettingProposal.country_code)
    if reference:
        stmt = stmt.where(VettingProposal.reference == reference)
    return list(session.scalars(stmt.order_by(VettingProposal.id)))


def proposal_value(session: Session, row: VettingProposal) -> Proposal:
    """The stored proposal with every determination recorded for it (later supersede)."""
    p = parse_proposal(json.loads(row.body), where=f"proposal {row.id}")
    dets = tuple(
        Determination(
            factor=d.factor,
            assessment=d.assessment,
            basis=d.basis,
            reviewer=d.reviewer,
            more_likely_than_not=d.more_likely_than_not,
            actual_knowledge=d.actual_knowledge,
        )
        for d in determinations(session, row.id)
    )
    return p.model_copy(update={"determinations": dets})


def record_determination(
    session: Session,
    *,
    actor: Principal | None,
    proposal_id: int,
    factor: str,
    assessment: str,
    basis: str,
    more_likely_than_not: bool = False,
    actual_knowledge: bool = False,
    clock: Clock | None = None,
) -> VettingDetermination:
    """A reviewer's determination on a factor (human rights, nonproliferation, partner
    capacity, …), with its basis; it counts at the next evaluation."""
    row = get_proposal(session, actor=actor, proposal_id=proposal_id)
    require(actor, "write", "vetting", row.country_code, what="proposal")
    if factor not in {c.factor for c in get_ruleset().for_date(row.proposed_on).factors}:
        raise ValidationFailedError(f"factor: {factor!r} is not weighed on {row.proposed_on}", field="factor")
    try:
        d = Determination(
            factor=factor,
            assessment=assessment,
            basis=basis.strip(),
            reviewer=actor_of(actor).label,
            more_likely_than_not=more_likely_than_not,
            actual_knowledge=actual_knowledge,
        )
    except ValueError as exc:
        raise ValidationFailedError(
            f"determination: {str(exc).splitlines()[-1]}", field="assessment"
        ) from None
    det = _determination_row(row.id, d, actor, clock)
    add_recorded(
        session,
        [det],
        actor=actor_of(actor),
        tag="vetting:determination:recorded",
        subject_type="vetting_proposal",
        subject_id=row.id,
        clock=clock,
    )
    return det


# --- evaluation and decisions ------------------------------------------------------


def rule_context(
    session: Session,
    p: Proposal,
    *,
    history: DiversionHistory | None = None,
    register: RegionalRegister | None = None,
) -> RuleContext:
    """Gather what the rules need besides the proposal (end-use history, the register)."""
    ref = get_reference()
    countries = sorted({c for c in [p.country, *(e.country for e in p.end_users)] if c and len(c) == 2})
    end_use = tuple((history or DbDiversionHistory(session)).records(countries, on=p.date))
    if register is None:
        imp = latest_import(session)
        register = DbRegionalRegister(session, imp) if imp else None
    regional = None
    if register is not None and p.country and len(p.country) == 2:
        region = ref.country(p.country).region
        neighbours = [c.code for c in ref.countries(region)]
        keys = sorted({item_key(i.item_type) for i in p.items})
        found = register.holdings(keys, neighbours, before_year=p.date.year)
        regional = RegionalFacts(
            register=register.label,
            region=region,
            holders={k: tuple(h for h in found if h.weapon_description == k) for k in keys},
        )
    return RuleContext(ref, embargoes(), technology(), end_use, regional)


def evaluate_proposal(
    session: Session,
    *,
    actor: Principal | None,
    proposal_id: int,
    history: DiversionHistory | None = None,
    register: RegionalRegister | None = None,
    clock: Clock | None = None,
) -> VettingDecision:
    """Evaluate a proposal under the profile its date picks and record the decision with
    every finding; an open earlier decision of the proposal is superseded."""
    row = get_proposal(session, actor=actor, proposal_id=proposal_id)
    require(actor, "write", "vetting", row.country_code, what="proposal")
    p = proposal_value(session, row)
    result: Evaluation = evaluate(
        p, rule_context(session, p, history=history, register=register), get_ruleset().for_date(p.date)
    )
    superseded = list(
        session.scalars(
            select(VettingDecision).where(
                VettingDecision.proposal_id == row.id, VettingDecision.status == "open"
            )
        )
    )
    for old in superseded:
        old.status = "superseded"
    decision = VettingDecision(
        proposal_id=row.id,
        country_code=row.country_code,
        profile_id=result.profile.id,
        profile_version=result.profile.version,
        recommendation=result.recommendation.value,
        required_offices=" ".join(o.value for o in result.offices),
        status="open",
        final_decision=None,
        provisos=None,
        final_comment=None,
        evaluated_at=now(clock),
        evaluated_by=actor_of(actor).label,
        finalized_at=None,
        finalized_by=None,
    )
    session.add(decision)
    session.flush()
    findings = [
        VettingFinding(
            decision_id=decision.id,
            position=n,
            factor=f.factor,
            outcome=f.outcome.value,
            signal=f.signal,
            rationale=f.rationale,
            evidence=json.dumps(list(f.evidence)),
            authority=f.authority,
            office=f.office.value if f.office else None,
        )
        for n, f in enumerate(result.findings, 1)
    ]
    add_recorded(
        session,
        [decision, *findings, *superseded],
        actor=actor_of(actor),
        tag="vetting:decision:created",
        subject_type="vetting_decision",
        subject_id=decision.id,
        clock=clock,
    )
    return decision


def get_decision(session: Session, *, actor: Principal | None, decision_id: int) -> VettingDecision:
    row = session.scalar(
        scoped(select(VettingDecision), actor, "vetting", VettingDecision.country_code).where(
            VettingDecision.id == decision_id
        )
    )
    if row is None:
        raise NotFoundError("decision not found")
    return row


def list_decisions(
    session: Session, *, actor: Principal | None, proposal_id: int | None = None, status: str | None = None
) -> list[VettingDecision]:
    stmt = scoped(select(VettingDecision), actor, "vetting", VettingDecision.country_code)
    if proposal_id is not None:
        stmt = stmt.where(VettingDecision.proposal_id == proposal_id)
    if status:
        stmt = stmt.where(VettingDecision.status == status)
    return list(session.scalars(stmt.order_by(VettingDecision.id)))


def _open_decision(session: Session, actor: Principal | None, decision_id: int) -> VettingDecision:
    d = get_decision(session, actor=actor, decision_id=decision_id)
    require(actor, "approve", "vetting", d.country_code, what="decision")
    if d.status != "open":
        raise ConflictError(f"decision {d.id} is {d.status}, not open", field="status")
    return d


def record_signoff(
    session: Session,
    *,
    actor: Principal | None,
    decision_id: int,
    office: str,
    concur: bool,
    comment: str,
    clock: Clock | None = None,
) -> VettingSignoff:
    """A reviewing office signs off (concurs or not) on a decision's concerns.

    The sign-off is the office's: only a user of an organization that is that office
    (``identity_organization.office``) records it — one officer cannot speak for the
    offices whose review the policy profile (``data/profiles.yaml``) requires for a concern;
    a review by someone outside the office is no review (separation of duties, issue #16)."""
    d = _open_decision(session, actor, decision_id)
    try:
        off = Office(office)
    except ValueError:
        raise ValidationFailedError(
            f"office: one of {', '.join(o.value for o in Office)}, not {office!r}", field="office"
        ) from None
    _require_office_member(session, actor, off)
    if off.value not in required_offices(d):
        raise ValidationFailedError(
            f"office: decision {d.id} needs no sign-off from {off.value} "
            f"(needed: {d.required_offices or 'none'})",
            field="office",
        )
    if off.value not in missing_signoffs(session, d):
        raise ConflictError(f"office: {off.value} has already signed off on decision {d.id}", field="office")
    comment = comment.strip()
    if not comment or len(comment) > MAX_TEXT:
        raise ValidationFailedError(f"comment: 1 to {MAX_TEXT} characters", field="comment")
    s = VettingSignoff(
        decision_id=d.id,
        office=off.value,
        concur=concur,
        comment=comment,
        signer=actor_of(actor).label,
        user_id=actor.user_id if actor else None,
        signed_at=now(clock),
    )
    add_recorded(
        session,
        [s],
        actor=actor_of(actor),
        tag="vetting:signoff:recorded",
        subject_type="vetting_decision",
        subject_id=d.id,
        clock=clock,
    )
    return s


def _require_office_member(session: Session, actor: Principal | None, office: Office) -> None:
    if actor is None:
        raise SeparationOfDutiesError(
            "signoff_office",
            f"office: a sign-off for {office.value} is by a user of that office, not the system",
            field="office",
        )
    org = session.get_one(Organization, actor.org_id)
    if org.office != office.value:
        raise SeparationOfDutiesError(
            "signoff_office",
            f"office: {actor.username} ({org.name}) is not of the {office.value} office "
            f"(their office: {org.office or 'none'}); a sign-off is by a user of the office it names",
            field="office",
        )


def own_signoffs(session: Session, decision: VettingDecision, actor: Principal | None) -> list[str]:
    """The offices whose sign-off on ``decision`` ``actor`` recorded itself."""
    if actor is None:
        return []
    return [s.office for s in signoffs_of(session, decision.id) if s.user_id == actor.user_id]


def check_approvable(session: Session, *, actor: Principal | None, decision_id: int) -> None:
    """Raise what approving the open decision would raise, writing nothing (a workflow that
    approves something else along with it checks this first)."""
    d = _open_decision(session, actor, decision_id)
    _check_approvable(session, actor, d)


def _check_approvable(session: Session, actor: Principal | None, d: VettingDecision) -> None:
    if d.recommendation == Recommendation.deny.value:
        blocks = [f.factor for f in findings_of(session, d.id) if f.outcome == Outcome.block.value]
        raise ValidationFailedError(
            f"decision: cannot approve, blocked by {', '.join(blocks)}", field="decision"
        )
    missing = missing_signoffs(session, d)
    if missing:
        raise ValidationFailedError(
            f"decision: sign-off still needed from {', '.join(missing)}", field="decision"
        )
    mine = own_signoffs(session, d, actor)
    if mine:
        raise SeparationOfDutiesError(
            "own_signoff",
            f"decision: {actor_of(actor).label} signed off for {', '.join(mine)} and may not also "
            "approve; the approval needs the required sign-offs by other users",
            field="decision",
        )
    against = [s.office for s in signoffs_of(session, d.id) if not s.concur]
    if against:
        raise ValidationFailedError(
            f"decision: cannot approve, non-concurrence from {', '.join(against)}", field="decision"
        )


def finalize_decision(
    session: Session,
    *,
    actor: Principal | None,
    decision_id: int,
    decision: str,
    provisos: Sequence[str] = (),
    comment: str = "",
    clock: Clock | None = None,
) -> VettingDecision:
    """The final decision, with provisos. A block can only be denied; approving a decision
    with concerns needs every required office's concurrence, given by users other than the
    approver: who approves does not also review (separation of duties, issue #16). Denying
    needs no sign-off."""
    d = _open_decision(session, actor, decision_id)
    if decision not in ("approve", "deny"):
        raise ValidationFailedError(f"decision: approve or deny, not {decision!r}", field="decision")
    if decision == "approve":
        _check_approvable(session, actor, d)
    cleaned = [p.strip() for p in provisos if p.strip()]
    d.status = "final"
    d.final_decision = decision
    d.provisos = json.dumps(cleaned)
    d.final_comment = comment.strip() or None
    d.finalized_at = now(clock)
    d.finalized_by = actor_of(actor).label
    add_recorded(
        session,
        [d],
        actor=actor_of(actor),
        tag="vetting:decision:finalized",
        subject_type="vetting_decision",
        subject_id=d.id,
        clock=clock,
    )
    return d


@dataclass(frozen=True)
class QueueItem:
    decision: VettingDecision
    proposal: VettingProposal
    missing: tuple[str, ...]
    concerns: tuple[str, ...]


def review_queue(session: Session, *, actor: Principal | None, office: str | None = None) -> list[QueueItem]:
    """Open decisions awaiting a reviewer: sign-offs missing, or ready for a final decision."""
    stmt = (
        scoped(select(VettingDecision), actor, "vetting", VettingDecision.country_code)
        .where(VettingDecision.status == "open")
        .order_by(VettingDecision.evaluated_at, VettingDecision.id)
    )
    out: list[QueueItem] = []
    for d in session.scalars(stmt):
        p = session.get_one(VettingProposal, d.proposal_id)
        missing = tuple(missing_signoffs(session, d))
        if office and office not in missing:
            continue
        concerns = tuple(f.factor for f in findings_of(session, d.id) if f.outcome == Outcome.concern.value)
        out.append(QueueItem(d, p, missing, concerns))
    return out


def current_decision(
    session: Session, *, reference: str
) -> tuple[VettingProposal, VettingDecision | None] | None:
    """The latest proposal filed for ``reference`` (e.g. ``case:12``) and its latest
    non-superseded decision (unscoped: for gates, which only read)."""
    p = session.scalar(
        select(VettingProposal)
        .where(VettingProposal.reference == reference)
        .order_by(VettingProposal.id.desc())
        .limit(1)
    )
    if p is None:
        return None
    d = session.scalar(
        select(VettingDecision)
        .where(VettingDecision.proposal_id == p.id, VettingDecision.status != "superseded")
        .order_by(VettingDecision.id.desc())
        .limit(1)
    )
    return p, d


# --- pre-decisional notes ------------------------------------------------------------


def add_note(
    session: Session, *, actor: Principal | None, proposal_id: int, body: str, clock: Clock | None = None
) -> VettingNote:
    """A pre-decisional reviewer note (kind ``vetting_note``: not visible to DoD)."""
    p = get_proposal(session, actor=actor, proposal_id=proposal_id)
    # The proposal is visible; notes may not be (DoD): that is a 403, not a 404.
    if actor is not None and not allowed(actor, "write", Resource("vetting_note", country=p.country_code)):
        raise PermissionDeniedError(f"{actor.username} may not write pre-decisional notes")
    body = body.strip()
    if not body or len(body) > MAX_TEXT:
        raise ValidationFailedError(f"body: 1 to {MAX_TEXT} characters", field="body")
    n = VettingNote(
        proposal_id=p.id,
        country_code=p.country_code,
        body=body,
        author=actor_of(actor).label,
        user_id=actor.user_id if actor else None,
        created_at=now(clock),
    )
    add_recorded(
        session,
        [n],
        actor=actor_of(actor),
        tag="vetting:note:added",
        subject_type="vetting_note",
        clock=clock,
    )
    return n


def list_notes(session: Session, *, actor: Principal | None, proposal_id: int) -> list[VettingNote]:
    """The notes on a proposal the actor may see (none for DoD)."""
    p = get_proposal(session, actor=actor, proposal_id=proposal_id)
    stmt = scoped(select(VettingNote), actor, "vetting_note", VettingNote.country_code)
    return list(session.scalars(stmt.where(VettingNote.proposal_id == p.id).order_by(VettingNote.id)))
