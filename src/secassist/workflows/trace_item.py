"""One serial's whole chain, each step with its audit entry and an inclusion proof.

From the money to the present: the program and appropriation whose obligations paid for
the item's case line (where funded, domain.md §9), the case's acceptance and the line, the
congressional notification of the case (AECA §36(b)), then every custody event from
delivery on (holders, sites, inventories, current state) and the incidents that name the
item, and each transfer request naming it (filed, decided, certified, executed,
returned: AECA §3, issue #13). Each step carries the sequence number of the audit entry
that recorded it and an RFC 9162 inclusion proof of that entry in one tree size, which ``secassist audit
verify-proof`` checks offline against a signed checkpoint of that size.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, TextClause, select, text
from sqlalchemy.orm import Session

from secassist.audit.models import INDEXED_SUBJECTS, INDEXED_SUBJECTS_SQL, AuditEntry
from secassist.audit.service import inclusion_proof, tree_size
from secassist.cases import service as cases
from secassist.equipment import custody, monitoring, queries
from secassist.equipment.models import RecipientUnit, Site
from secassist.equipment.schemas import Trace, TraceEvent, TraceStep
from secassist.identity.policy import Principal, Resource, visible
from secassist.notification.models import Notification
from secassist.programs.models import Appropriation, LedgerEntry, dollars
from secassist.transfers.queries import requests_for_item


def _by_subject(subject_type: str, subject_id: int) -> tuple[ColumnElement[bool] | TextClause, ...]:
    """The WHERE terms for one subject's entries on ``ix_audit_entry_subject``: the index's
    own predicate, spelled with literals, lets both databases use the partial index."""
    if subject_type not in INDEXED_SUBJECTS:
        raise ValueError(f"{subject_type!r} is not among the indexed audit subjects")
    return (
        text(INDEXED_SUBJECTS_SQL),
        AuditEntry.subject_type == subject_type,
        AuditEntry.subject_id == str(subject_id),
    )


def _last_entry(session: Session, subject_type: str, subject_id: int, tag_prefix: str = "") -> int | None:
    """The latest audit entry about a subject (optionally with a tag prefix).

    One backward range scan of the partial ``ix_audit_entry_subject`` (docs/equipment-scale.md);
    the custody steps, which are most of a trace, are found through ``equipment_custody_entry``.
    """
    stmt = select(AuditEntry.seq).where(*_by_subject(subject_type, subject_id))
    if tag_prefix:
        stmt = stmt.where(AuditEntry.tag.startswith(tag_prefix))
    return session.scalar(stmt.order_by(AuditEntry.seq.desc()).limit(1))


def _line_entry(session: Session, case_id: int, line_id: int) -> int | None:
    """The latest entry of the case whose after-images include this line's row (the case's
    entries come from ``ix_audit_entry_subject``, newest first, so this stops at the first)."""
    rows = session.execute(
        select(AuditEntry.seq, AuditEntry.payload)
        .where(*_by_subject("case", case_id), AuditEntry.tag.startswith("case:"))
        .order_by(AuditEntry.seq.desc())
    )
    for seq, payload in rows:
        images = json.loads(payload).get("rows", [])
        if any(i.get("table") == "fms_case_line" and i.get("pk") == {"id": line_id} for i in images):
            return int(seq)
    return None


def _holder(pos: custody.Position, units: dict[int, str]) -> str | None:
    if pos.holder_country is None:
        return None
    text = pos.holder_country + (f": {pos.holder_org}" if pos.holder_org else "")
    if pos.unit is not None and pos.unit in units and units[pos.unit] != pos.holder_org:
        text += f" / {units[pos.unit]}"
    return text


def _steps(session: Session, actor: Principal | None, case_id: int, line_id: int) -> list[TraceStep]:
    """The chain's steps before delivery, each only where ``actor`` may see its record: the
    item's holder is not necessarily allowed to see the funding, the case (after a
    transfer) or a notification still in informal review (identity/policy.py)."""

    def sees(r: Resource) -> bool:
        return actor is None or visible(actor, r)

    facts = cases.case_facts(session, case_id)
    # The line may be gone from the case since (an amendment): the item keeps its number.
    line = next((ln for ln in facts.lines if ln.line_id == line_id), None)
    steps: list[TraceStep] = []
    funding = session.execute(
        select(LedgerEntry, Appropriation)
        .join(Appropriation, Appropriation.id == LedgerEntry.appropriation_id)
        .where(LedgerEntry.case_line_id == line_id, LedgerEntry.kind == "obligation")
        .order_by(LedgerEntry.entry_date, LedgerEntry.id)
    )
    for entry, appr in funding:
        if not sees(Resource("program", country=entry.country_code)):
            continue
        steps.append(
            TraceStep(
                step="funding",
                detail={
                    "program": entry.program,
                    "fiscal_year": entry.fiscal_year,
                    "appropriation": appr.title,
                    "obligated_usd": str(dollars(entry.amount_cents)),
                    "on": entry.entry_date.isoformat(),
                },
                audit_seq=_last_entry(session, "program_entry", entry.id),
            )
        )
    if not sees(Resource("case", country=facts.country_code)):
        return steps
    steps.append(
        TraceStep(
            step="case",
            detail={
                "case": facts.identifier,
                "title": facts.title,
                "status": facts.status,
                "accepted_on": facts.accepted_on.isoformat() if facts.accepted_on else None,
            },
            audit_seq=_last_entry(session, "case", case_id, "case:status:accepted"),
        )
    )
    if line is not None:
        steps.append(
            TraceStep(
                step="line",
                detail={
                    "line": line.number,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_cost_usd": str(line.unit_cost),
                    "eeum": line.eeum,
                },
                audit_seq=_line_entry(session, case_id, line_id),
            )
        )
    for n in session.scalars(
        select(Notification).where(Notification.case_id == case_id).order_by(Notification.id)
    ):
        notice = Resource("notification", country=n.purchaser_country, formally_notified=n.formally_notified)
        if not sees(notice):
            continue
        steps.append(
            TraceStep(
                step="notification",
                detail={"transmittal": n.transmittal, "section": n.section, "status": n.status},
                audit_seq=_last_entry(session, "notification", n.id),
            )
        )
    return steps


# A transfer request's audited steps, in order: (step name, tag, the date column shown).
_TRANSFER_STEPS = (
    ("transfer_request", "transfer:request:created", "requested_on"),
    ("transfer_decision", "transfer:request:approved", "decided_on"),
    ("transfer_decision", "transfer:request:denied", "decided_on"),
    ("transfer_certification", "transfer:certification:submitted", "certified_on"),
    ("transfer_execution", "transfer:request:executed", "executed_on"),
    ("transfer_return", "transfer:request:returned", "returned_on"),
)


def _transfer_steps(session: Session, item_id: int) -> list[TraceStep]:
    steps: list[TraceStep] = []
    for req in requests_for_item(session, item_id):
        for step, tag, column in _TRANSFER_STEPS:
            seq = _last_entry(session, "transfer_request", req.id, tag)
            if seq is None:
                continue
            on = getattr(req, column)
            detail: dict[str, Any] = {
                "request": req.id,
                "kind": req.kind,
                "from": req.from_country,
                "to": req.to_party,
                "on": on.isoformat() if on else None,
            }
            if step == "transfer_decision":
                detail["decision"] = req.decision
                detail["provisos"] = json.loads(req.provisos or "[]")
            steps.append(TraceStep(step=step, detail=detail, audit_seq=seq))
    return steps


def trace(
    session: Session,
    *,
    actor: Principal | None,
    serial: str,
    item_type: str | None = None,
    size: int | None = None,
) -> Trace:
    """The chain of ``serial`` with inclusion proofs in the tree of ``size`` (default: the
    current size; pass a signed checkpoint's size to check the proofs against it)."""
    item = queries.find_item(session, actor=actor, serial=serial, item_type=item_type)
    rows = queries.events_of(session, item.id)
    sites = {
        s.id: s.name for s in session.scalars(select(Site).where(Site.id.in_({e.site_id for e, _ in rows})))
    }
    unit_ids = {e.unit_id for e, _ in rows if e.unit_id is not None}
    units = {
        u.id: u.name for u in session.scalars(select(RecipientUnit).where(RecipientUnit.id.in_(unit_ids)))
    }
    pos = custody.NOWHERE
    events: list[TraceEvent] = []
    for row, seq in rows:
        pos = custody.apply(pos, monitoring.event_of(row), today=date.max)
        events.append(
            TraceEvent(
                kind=row.kind,
                on=row.occurred_on,
                site=sites.get(pos.site) if pos.site is not None else None,
                holder=_holder(pos, units),
                audit_seq=seq,
                found=row.found,
                unit=units.get(row.unit_id) if row.unit_id is not None else None,
            )
        )
    steps = _steps(session, actor, item.case_id, item.case_line_id) + _transfer_steps(session, item.id)
    incidents = [
        {"id": i.id, "kind": i.kind, "discovered_on": i.discovered_on.isoformat(), "status": i.status,
         "report_due_on": i.report_due_on.isoformat()}
        for i in monitoring.list_incidents(session, actor=actor, item_id=item.id)
    ]  # fmt: skip
    n = size if size is not None else tree_size(session)
    wanted = [s.audit_seq for s in steps] + [e.audit_seq for e in events]
    seqs = sorted({s for s in wanted if s is not None and s < n})
    proofs: list[dict[str, Any]] = [dict(inclusion_proof(session, s, n)) for s in seqs]
    return Trace(
        serial=item.serial,
        item_type=item.item_type,
        case=item.case_ref,
        line=item.line_number,
        state=item.state,
        holder_country=item.holder_country,
        events=events,
        steps=steps,
        incidents=incidents,
        proofs=proofs,
    )
