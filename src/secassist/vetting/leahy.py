"""Leahy vetting: the units registry, vetting requests with the sources checked, outcomes
with a validity window, duty-to-inform tasks when assistance is withheld, remediation —
and the gate :func:`require_current_approval`.

Law: no FAA or AECA assistance to a foreign security-force unit where the Secretary of
State has credible information of a gross violation of human rights (22 U.S.C. 2378d,
FAA §620M [S91][S92]); DoD-funded assistance: 10 U.S.C. 362 [S92]. The duty to inform the
foreign government is in §620M; remediation under §620M(b) or the DoD corrective-steps
test [S95]. The outcome labels (approved, suspended, denied, cancelled) are UNCONFIRMED as
official names (domain.md §8; ``data/leahy.yaml``). Not for FMS or DCS sales [S92].
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import ConflictError, NotFoundError, ValidationFailedError
from secassist.identity.policy import Principal, actor_of
from secassist.reference.service import get_reference
from secassist.storage.base import Base
from secassist.vetting.common import require, scoped
from secassist.vetting.errors import LeahyNotApprovedError
from secassist.vetting.leahy_models import LeahyDutyToInform, LeahyRemediation, LeahyUnit, LeahyVetting
from secassist.vetting.proposal import LeahyStatus
from secassist.vetting.tables import leahy_outcomes

# Covered units include militaries, reserves, police, border and customs guards, prison
# guards and others authorized to use force (domain.md §8 [S93]).
UNIT_TYPES = ("military", "reserve", "police", "border_guard", "customs", "prison_guard", "other_security")
OUTCOMES = ("approved", "suspended", "denied", "cancelled")
REMEDIATION_AUTHORITIES = ("FAA §620M(b) effective steps", "10 U.S.C. 362 corrective steps")


# --- units ------------------------------------------------------------------------


def create_unit(
    session: Session,
    *,
    actor: Principal | None,
    country: str,
    name: str,
    unit_type: str,
    clock: Clock | None = None,
) -> LeahyUnit:
    """Register a foreign security-force unit."""
    code = get_reference().country(country).code
    require(actor, "write", "vetting", code, what="country")
    name = " ".join(name.split())
    if not name or len(name) > 300:
        raise ValidationFailedError("name: 1 to 300 characters", field="name")
    if unit_type not in UNIT_TYPES:
        raise ValidationFailedError(f"unit_type: one of {', '.join(UNIT_TYPES)}", field="unit_type")
    if session.scalar(select(LeahyUnit.id).where(LeahyUnit.country_code == code, LeahyUnit.name == name)):
        raise ConflictError(f"unit {name!r} of {code} is already registered", field="name")
    unit = LeahyUnit(country_code=code, name=name, unit_type=unit_type, created_at=now(clock))
    add_recorded(
        session,
        [unit],
        actor=actor_of(actor),
        tag="leahy:unit:created",
        subject_type="leahy_unit",
        clock=clock,
    )
    return unit


def get_unit(session: Session, *, actor: Principal | None, unit_id: int) -> LeahyUnit:
    unit = session.scalar(
        scoped(select(LeahyUnit), actor, "vetting", LeahyUnit.country_code).where(LeahyUnit.id == unit_id)
    )
    if unit is None:
        raise NotFoundError("unit not found")
    return unit


def list_units(session: Session, *, actor: Principal | None, country: str | None = None) -> list[LeahyUnit]:
    stmt = scoped(select(LeahyUnit), actor, "vetting", LeahyUnit.country_code)
    if country:
        stmt = stmt.where(LeahyUnit.country_code == country.strip().upper())
    return list(session.scalars(stmt.order_by(LeahyUnit.country_code, LeahyUnit.name)))


# --- vettings -----------------------------------------------------------------------


def request_vetting(
    session: Session,
    *,
    actor: Principal | None,
    unit_id: int,
    requested_on: date,
    purpose: str,
    sources_checked: Sequence[str],
    clock: Clock | None = None,
) -> LeahyVetting:
    """Open a vetting request for a unit, listing the sources checked (State human-rights
    reports, consular records, NGO and media reports, local police; INVEST [S93][S94])."""
    unit = get_unit(session, actor=actor, unit_id=unit_id)
    require(actor, "write", "vetting", unit.country_code, what="unit")
    sources = [s.strip() for s in sources_checked if s.strip()]
    if not sources:
        raise ValidationFailedError(
            "sources_checked: name at least one source checked", field="sources_checked"
        )
    if not purpose.strip():
        raise ValidationFailedError("purpose: must not be empty", field="purpose")
    last_denied = session.scalar(
        select(LeahyVetting)
        .where(LeahyVetting.unit_id == unit.id, LeahyVetting.status == "denied")
        .order_by(LeahyVetting.id.desc())
        .limit(1)
    )
    if last_denied is not None and not _remediated(session, last_denied.id):
        raise ConflictError(
            f"unit {unit.id} was denied (vetting {last_denied.id}); record an accepted remediation first",
            field="unit_id",
        )
    v = LeahyVetting(
        unit_id=unit.id,
        country_code=unit.country_code,
        requested_on=requested_on,
        purpose=purpose.strip(),
        sources_checked=json.dumps(sources),
        status="requested",
        decided_on=None,
        valid_from=None,
        valid_until=None,
        basis=None,
        requested_by=actor_of(actor).label,
        decided_by=None,
    )
    add_recorded(
        session,
        [v],
        actor=actor_of(actor),
        tag="leahy:vetting:requested",
        subject_type="leahy_vetting",
        clock=clock,
    )
    return v


def _remediated(session: Session, vetting_id: int) -> bool:
    return (
        session.scalar(
            select(LeahyRemediation.id).where(
                LeahyRemediation.vetting_id == vetting_id, LeahyRemediation.status == "accepted"
            )
        )
        is not None
    )


def get_vetting(session: Session, *, actor: Principal | None, vetting_id: int) -> LeahyVetting:
    v = session.scalar(
        scoped(select(LeahyVetting), actor, "vetting", LeahyVetting.country_code).where(
            LeahyVetting.id == vetting_id
        )
    )
    if v is None:
        raise NotFoundError("vetting not found")
    return v


def list_vettings(
    session: Session, *, actor: Principal | None, unit_id: int | None = None, status: str | None = None
) -> list[LeahyVetting]:
    stmt = scoped(select(LeahyVetting), actor, "vetting", LeahyVetting.country_code)
    if unit_id is not None:
        stmt = stmt.where(LeahyVetting.unit_id == unit_id)
    if status:
        stmt = stmt.where(LeahyVetting.status == status)
    return list(session.scalars(stmt.order_by(LeahyVetting.id)))


def record_outcome(
    session: Session,
    *,
    actor: Principal | None,
    vetting_id: int,
    outcome: str,
    decided_on: date,
    basis: str,
    valid_until: date | None = None,
    clock: Clock | None = None,
) -> LeahyVetting:
    """Decide a request (or change a decided one: an approval may later be suspended or
    cancelled). An approval is valid from ``decided_on`` until ``valid_until`` (exclusive;
    default ``leahy.yaml`` ``validity_days``, a placeholder). A denial withholds assistance
    and opens a duty-to-inform task; all in one audit entry."""
    v = get_vetting(session, actor=actor, vetting_id=vetting_id)
    require(actor, "approve", "vetting", v.country_code, what="vetting")
    if outcome not in OUTCOMES:
        raise ValidationFailedError(f"outcome: one of {', '.join(OUTCOMES)}", field="outcome")
    if v.status in ("denied", "cancelled"):
        raise ConflictError(f"vetting {v.id} is {v.status}; request a new vetting", field="status")
    if decided_on < v.requested_on:
        raise ValidationFailedError("decided_on: before the request", field="decided_on")
    if not basis.strip():
        raise ValidationFailedError("basis: must not be empty", field="basis")
    data = leahy_outcomes()
    if outcome == "approved":
        until = valid_until or decided_on + timedelta(days=data.validity_days)
        if until <= decided_on:
            raise ValidationFailedError("valid_until: must be after decided_on", field="valid_until")
        v.valid_from, v.valid_until = decided_on, until
    elif v.valid_until is not None and v.valid_until > decided_on:
        v.valid_until = decided_on  # a suspension or cancellation ends the window
    v.status = outcome
    v.decided_on = decided_on
    v.basis = basis.strip()
    v.decided_by = actor_of(actor).label
    rows: list[Base] = [v]
    if data.outcome(outcome).duty_to_inform:
        task = LeahyDutyToInform(
            vetting_id=v.id,
            unit_id=v.unit_id,
            country_code=v.country_code,
            status="open",
            opened_on=decided_on,
            completed_on=None,
            note=None,
        )
        session.add(task)
        rows.append(task)
    add_recorded(
        session,
        rows,
        actor=actor_of(actor),
        tag=f"leahy:vetting:{outcome}",
        subject_type="leahy_vetting",
        subject_id=v.id,
        clock=clock,
    )
    return v


def current_approval(session: Session, unit_id: int, on: date) -> LeahyVetting | None:
    """The approval of ``unit_id`` whose window holds ``on`` (unscoped), if any. A later
    suspension or cancellation cuts the window short, so the answer holds as of ``on``."""
    return session.scalar(
        select(LeahyVetting)
        .where(
            LeahyVetting.unit_id == unit_id,
            LeahyVetting.status.in_(("approved", "suspended", "cancelled")),
            LeahyVetting.valid_from.is_not(None),
            LeahyVetting.valid_from <= on,
            LeahyVetting.valid_until > on,
        )
        .order_by(LeahyVetting.id.desc())
        .limit(1)
    )


def require_current_approval(session: Session, unit_id: int, on: date) -> LeahyVetting:
    """The gate: no obligation of assistance funds to a unit without a current approved
    vetting on ``on`` (22 U.S.C. 2378d; 10 U.S.C. 362). Raises LeahyNotApprovedError."""
    unit = session.get(LeahyUnit, unit_id)
    if unit is None:
        raise NotFoundError("unit not found")
    v = current_approval(session, unit_id, on)
    if v is None:
        last = session.scalar(
            select(LeahyVetting)
            .where(LeahyVetting.unit_id == unit_id)
            .order_by(LeahyVetting.id.desc())
            .limit(1)
        )
        why = "never vetted" if last is None else f"latest vetting {last.id} is {last.status}"
        if last is not None and last.status == "approved" and last.valid_until is not None:
            why = f"approval {last.id} valid {last.valid_from} to {last.valid_until} (exclusive)"
        raise LeahyNotApprovedError(
            f"unit {unit.id} ({unit.name}, {unit.country_code}) has no current approved Leahy vetting "
            f"on {on.isoformat()}: {why}",
            field="unit_id",
            unit_id=unit.id,
        )
    return v


def status_on(session: Session, unit_id: int, on: date) -> LeahyStatus:
    """The unit's Leahy status on ``on`` as the policy rule sees it."""
    v = current_approval(session, unit_id, on)
    if v is not None:
        return LeahyStatus(status="approved", vetting_id=v.id, valid_until=v.valid_until)
    last = session.scalar(
        select(LeahyVetting)
        .where(LeahyVetting.unit_id == unit_id, LeahyVetting.requested_on <= on)
        .order_by(LeahyVetting.id.desc())
        .limit(1)
    )
    if last is None:
        return LeahyStatus(status="none")
    state = "expired" if last.status == "approved" else last.status
    return LeahyStatus(status=state, vetting_id=last.id, valid_until=last.valid_until)


# --- duty to inform, remediation ----------------------------------------------------------


def list_duty_to_inform(
    session: Session, *, actor: Principal | None, status: str | None = None
) -> list[LeahyDutyToInform]:
    stmt = scoped(select(LeahyDutyToInform), actor, "vetting", LeahyDutyToInform.country_code)
    if status:
        stmt = stmt.where(LeahyDutyToInform.status == status)
    return list(session.scalars(stmt.order_by(LeahyDutyToInform.id)))


def complete_duty_to_inform(
    session: Session,
    *,
    actor: Principal | None,
    task_id: int,
    completed_on: date,
    note: str,
    clock: Clock | None = None,
) -> LeahyDutyToInform:
    """Record that the foreign government was informed."""
    task = session.scalar(
        scoped(select(LeahyDutyToInform), actor, "vetting", LeahyDutyToInform.country_code).where(
            LeahyDutyToInform.id == task_id
        )
    )
    if task is None:
        raise NotFoundError("duty-to-inform task not found")
    require(actor, "write", "vetting", task.country_code, what="task")
    if task.status == "done":
        raise ConflictError(f"task {task.id} is already done", field="status")
    if not note.strip():
        raise ValidationFailedError("note: say how and whom the government was informed", field="note")
    task.status, task.completed_on, task.note = "done", completed_on, note.strip()
    add_recorded(
        session,
        [task],
        actor=actor_of(actor),
        tag="leahy:inform:completed",
        subject_type="leahy_duty_to_inform",
        subject_id=task.id,
        clock=clock,
    )
    return task


def propose_remediation(
    session: Session,
    *,
    actor: Principal | None,
    vetting_id: int,
    authority: str,
    description: str,
    proposed_on: date,
    clock: Clock | None = None,
) -> LeahyRemediation:
    """Record the steps a government takes to bring those responsible to justice."""
    v = get_vetting(session, actor=actor, vetting_id=vetting_id)
    require(actor, "write", "vetting", v.country_code, what="vetting")
    if v.status != "denied":
        raise ConflictError(f"vetting {v.id} is {v.status}; remediation follows a denial", field="vetting_id")
    if authority not in REMEDIATION_AUTHORITIES:
        raise ValidationFailedError(
            f"authority: one of {'; '.join(REMEDIATION_AUTHORITIES)}", field="authority"
        )
    if not description.strip():
        raise ValidationFailedError("description: must not be empty", field="description")
    r = LeahyRemediation(
        vetting_id=v.id,
        unit_id=v.unit_id,
        country_code=v.country_code,
        authority=authority,
        description=description.strip(),
        status="proposed",
        proposed_on=proposed_on,
        decided_on=None,
        decided_by=None,
    )
    add_recorded(
        session,
        [r],
        actor=actor_of(actor),
        tag="leahy:remediation:proposed",
        subject_type="leahy_remediation",
        clock=clock,
    )
    return r


def decide_remediation(
    session: Session,
    *,
    actor: Principal | None,
    remediation_id: int,
    accept: bool,
    decided_on: date,
    clock: Clock | None = None,
) -> LeahyRemediation:
    """Accept (the unit may be vetted again) or reject a remediation."""
    r = session.scalar(
        scoped(select(LeahyRemediation), actor, "vetting", LeahyRemediation.country_code).where(
            LeahyRemediation.id == remediation_id
        )
    )
    if r is None:
        raise NotFoundError("remediation not found")
    require(actor, "approve", "vetting", r.country_code, what="remediation")
    if r.status != "proposed":
        raise ConflictError(f"remediation {r.id} is already {r.status}", field="status")
    r.status = "accepted" if accept else "rejected"
    r.decided_on, r.decided_by = decided_on, actor_of(actor).label
    add_recorded(
        session,
        [r],
        actor=actor_of(actor),
        tag=f"leahy:remediation:{r.status}",
        subject_type="leahy_remediation",
        subject_id=r.id,
        clock=clock,
    )
    return r
