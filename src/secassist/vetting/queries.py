"""Reads of the vetting records, and the read shapes built from them.

Scoped reads of proposals and decisions are in :mod:`.service` (``get_*``/``list_*``);
here are the unscoped reads of a record's parts (its determinations, findings, sign-offs)
and the gathering of what the presenters in :mod:`.schemas` need, so that they do no
query themselves.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.vetting import schemas
from secassist.vetting.decisions_models import (
    VettingDecision,
    VettingDetermination,
    VettingFinding,
    VettingProposal,
    VettingSignoff,
)


def determinations(session: Session, proposal_id: int) -> list[VettingDetermination]:
    """The determinations recorded for a proposal, oldest first (later ones supersede)."""
    return list(
        session.scalars(
            select(VettingDetermination)
            .where(VettingDetermination.proposal_id == proposal_id)
            .order_by(VettingDetermination.id)
        )
    )


def findings_of(session: Session, decision_id: int) -> list[VettingFinding]:
    """A decision's findings in the rule set's order."""
    return list(
        session.scalars(
            select(VettingFinding)
            .where(VettingFinding.decision_id == decision_id)
            .order_by(VettingFinding.position)
        )
    )


def signoffs_of(session: Session, decision_id: int) -> list[VettingSignoff]:
    """A decision's sign-offs, oldest first."""
    return list(
        session.scalars(
            select(VettingSignoff)
            .where(VettingSignoff.decision_id == decision_id)
            .order_by(VettingSignoff.id)
        )
    )


def required_offices(decision: VettingDecision) -> list[str]:
    """The offices whose sign-off the decision needs."""
    return decision.required_offices.split()


def missing_signoffs(session: Session, decision: VettingDecision) -> list[str]:
    """The required offices that have not signed off yet."""
    signed = {s.office for s in signoffs_of(session, decision.id)}
    return [o for o in required_offices(decision) if o not in signed]


def read_proposal(session: Session, row: VettingProposal, decision_ids: list[int]) -> schemas.ProposalRead:
    """A proposal's read shape, with its determinations and the ids of its decisions."""
    return schemas.proposal_read(row, determinations(session, row.id), decision_ids)


def read_decision(session: Session, d: VettingDecision) -> schemas.DecisionRead:
    """A decision's read shape: its findings, sign-offs and (while open) the missing ones."""
    signoffs = signoffs_of(session, d.id)
    required = required_offices(d)
    signed = {s.office for s in signoffs}
    missing = [o for o in required if o not in signed] if d.status == "open" else []
    return schemas.decision_read(d, findings_of(session, d.id), signoffs, required, missing)
