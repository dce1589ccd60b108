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

import functools
import json
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from secassist.audit.models import INDEXED_SUBJECTS, INDEXED_SUBJECTS_SQL, AuditEntry
from secassist.audit.service import LOOKUP_CHUNK, inclusion_proofs
from secassist.cases.models import Case, CaseLine
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import custody, monitoring, queries
from secassist.equipment.models import CustodyEntry, CustodyEvent, Incident, Item, RecipientUnit, Site
from secassist.equipment.schemas import Trace, TraceEvent, TraceStep
from secassist.identity.policy import EVERYTHING, Principal, Resource, RowRule, row_rule, visible
from secassist.notification.models import Notification
from secassist.programs.models import Appropriation, LedgerEntry, dollars
from secassist.storage.prepared import Prepared
from secassist.transfers.models import TransferItem, TransferRequest

# The trace is latency-bound (issue #12: p95 <= 20 ms and <= 3x its raw SQL at 10^6 items):
# its reads are compiled once and run on the driver (storage/prepared.py), leaving the
# ORM only the scoped item lookup, the case facts, the incidents and transfer requests.


def _subject_entries(*columns: Any, limit: int | None = None) -> Prepared:
    """Entries about one subject whose tag matches a LIKE pattern, newest first, on
    ``ix_audit_entry_subject``: the index's own predicate, spelled with literals, lets both
    databases use the partial index (docs/equipment-scale.md)."""
    return Prepared(
        select(*columns)
        .where(
            text(INDEXED_SUBJECTS_SQL),
            AuditEntry.subject_type == bindparam("type"),
            AuditEntry.subject_id == bindparam("id"),
            AuditEntry.tag.like(bindparam("tag"), escape="\\"),
        )
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )


_LAST_ENTRY = _subject_entries(AuditEntry.seq, limit=1)
_SUBJECT_ENTRIES = _subject_entries(AuditEntry.seq, AuditEntry.payload)
# An item's events in order, each with its audit entry and its site's and unit's names.
_CHAIN = Prepared(
    select(
        CustodyEvent.kind,
        CustodyEvent.occurred_on,
        CustodyEvent.site_id,
        CustodyEvent.unit_id,
        CustodyEvent.holder_country,
        CustodyEvent.holder_org,
        CustodyEvent.found,
        CustodyEntry.audit_seq,
        Site.name,
        RecipientUnit.name,
    )
    .outerjoin(CustodyEntry, CustodyEntry.event_id == CustodyEvent.id)
    .outerjoin(Site, Site.id == CustodyEvent.site_id)
    .outerjoin(RecipientUnit, RecipientUnit.id == CustodyEvent.unit_id)
    .where(CustodyEvent.item_id == bindparam("item"))
    .order_by(CustodyEvent.seq)
)
_FUNDING = Prepared(
    select(
        LedgerEntry.id,
        LedgerEntry.program,
        LedgerEntry.fiscal_year,
        LedgerEntry.amount_cents,
        LedgerEntry.entry_date,
        LedgerEntry.country_code,
        Appropriation.title,
    )
    .join(Appropriation, Appropriation.id == LedgerEntry.appropriation_id)
    .where(LedgerEntry.case_line_id == bindparam("line"), LedgerEntry.kind == "obligation")
    .order_by(LedgerEntry.entry_date, LedgerEntry.id)
)
_CASE = Prepared(
    select(Case.identifier, Case.title, Case.status, Case.accepted_on, Case.country_code).where(
        Case.id == bindparam("case")
    )
)
# The item's line while it is still on its case (an amendment may have removed it since).
_LINE = Prepared(
    select(CaseLine.number, CaseLine.description, CaseLine.quantity, CaseLine.unit_cost, CaseLine.eeum).where(
        CaseLine.id == bindparam("line"), CaseLine.case_id == bindparam("case")
    )
)
_NOTIFICATIONS = Prepared(
    select(
        Notification.id,
        Notification.purchaser_country,
        Notification.formally_notified,
        Notification.transmittal,
        Notification.section,
        Notification.status,
    )
    .where(Notification.case_id == bindparam("case"))
    .order_by(Notification.id)
)


def _subject(subject_type: str, subject_id: int, tag_prefix: str) -> dict[str, str]:
    """The parameters of :func:`_subject_entries` (a tag prefix as an escaped LIKE pattern)."""
    if subject_type not in INDEXED_SUBJECTS:
        raise ValueError(f"{subject_type!r} is not among the indexed audit subjects")
    pattern = tag_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return {"type": subject_type, "id": str(subject_id), "tag": pattern}


def _last_entry(session: Session, subject_type: str, subject_id: int, tag_prefix: str = "") -> int | None:
    """The latest audit entry about a subject (optionally with a tag prefix).

    One backward range scan of the partial ``ix_audit_entry_subject`` (docs/equipment-scale.md);
    the custody steps, which are most of a trace, are found through ``equipment_custody_entry``.
    """
    row = _LAST_ENTRY.first(session, _subject(subject_type, subject_id, tag_prefix))
    return int(row[0]) if row is not None else None


def _line_entry(session: Session, case_id: int, line_id: int) -> int | None:
    """The latest entry of the case whose after-images include this line's row (the case's
    entries come from ``ix_audit_entry_subject``, newest first)."""
    for seq, payload in _SUBJECT_ENTRIES.all(session, _subject("case", case_id, "case:")):
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

    case = _CASE.first(session, {"case": case_id})
    if case is None:
        raise NotFoundError("case not found")
    identifier, title, status, accepted_on, country = case
    # The line may be gone from the case since (an amendment): the item keeps its number.
    line = _LINE.first(session, {"line": line_id, "case": case_id})
    steps: list[TraceStep] = []
    for entry_id, program, fiscal_year, cents, on, country, title in _FUNDING.all(session, {"line": line_id}):
        if not sees(Resource("program", country=country)):
            continue
        steps.append(
            TraceStep(
                step="funding",
                detail={
                    "program": program,
                    "fiscal_year": fiscal_year,
                    "appropriation": title,
                    "obligated_usd": str(dollars(cents)),
                    "on": on.isoformat(),
                },
                audit_seq=_last_entry(session, "program_entry", entry_id),
            )
        )
    if not sees(Resource("case", country=country)):
        return steps
    steps.append(
        TraceStep(
            step="case",
            detail={
                "case": identifier,
                "title": title,
                "status": status,
                "accepted_on": accepted_on.isoformat() if accepted_on else None,
            },
            audit_seq=_last_entry(session, "case", case_id, "case:status:accepted"),
        )
    )
    if line is not None:
        steps.append(
            TraceStep(
                step="line",
                detail={
                    "line": line[0],
                    "description": line[1],
                    "quantity": line[2],
                    "unit_cost_usd": str(line[3]),
                    "eeum": line[4],
                },
                audit_seq=_line_entry(session, case_id, line_id),
            )
        )
    for nid, country, formal, transmittal, section, status in _NOTIFICATIONS.all(session, {"case": case_id}):
        if not sees(Resource("notification", country=country, formally_notified=formal)):
            continue
        steps.append(
            TraceStep(
                step="notification",
                detail={"transmittal": transmittal, "section": section, "status": status},
                audit_seq=_last_entry(session, "notification", nid),
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
_TRANSFER_TAGS = tuple(tag for _, tag, _ in _TRANSFER_STEPS)
# Every request naming the item, oldest first, with the columns its steps show (unscoped:
# the trace scopes the item). One query, whatever the number of hops.
_REQUESTS = Prepared(
    select(
        TransferRequest.id,
        TransferRequest.kind,
        TransferRequest.from_country,
        TransferRequest.to_party,
        TransferRequest.decision,
        TransferRequest.provisos,
        TransferRequest.requested_on,
        TransferRequest.decided_on,
        TransferRequest.certified_on,
        TransferRequest.executed_on,
        TransferRequest.returned_on,
    )
    .join(TransferItem, TransferItem.request_id == TransferRequest.id)
    .where(TransferItem.item_id == bindparam("item"))
    .order_by(TransferRequest.id)
)
_REQUEST_DATES = {"requested_on": 6, "decided_on": 7, "certified_on": 8, "executed_on": 9, "returned_on": 10}


@functools.lru_cache(maxsize=64)
def _request_entries(n: int) -> Prepared:
    """The step entries of ``n`` transfer requests (binds ``r0``..``r{n-1}``, their ids as
    the log's subject ids) in one statement on ``ix_audit_entry_subject``: compiled once per
    count. Tags are matched exactly: they are ``source:subject:action`` with no wildcard."""
    return Prepared(
        select(AuditEntry.subject_id, AuditEntry.tag, AuditEntry.seq).where(
            text(INDEXED_SUBJECTS_SQL),
            AuditEntry.subject_type == "transfer_request",
            AuditEntry.subject_id.in_([bindparam(f"r{i}") for i in range(n)]),
            AuditEntry.tag.in_([bindparam(f"t{i}", tag) for i, tag in enumerate(_TRANSFER_TAGS)]),
        )
    )


def _transfer_steps(session: Session, item_id: int) -> list[TraceStep]:
    """Each request's audited steps: two queries for all of them (the requests, then the
    latest entry of each step tag of every request), not one lookup per step and request."""
    requests = _REQUESTS.all(session, {"item": item_id})
    latest: dict[tuple[str, str], int] = {}
    ids = [str(r[0]) for r in requests]
    for lo in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[lo : lo + LOOKUP_CHUNK]
        for subject_id, tag, seq in _request_entries(len(chunk)).all(
            session, {f"r{i}": v for i, v in enumerate(chunk)}
        ):
            key = (subject_id, tag)
            latest[key] = max(int(seq), latest.get(key, -1))
    steps: list[TraceStep] = []
    for req in requests:
        rid, kind, from_country, to_party, decision, provisos = req[:6]
        for step, tag, column in _TRANSFER_STEPS:
            seq = latest.get((str(rid), tag))
            if seq is None:
                continue
            on = req[_REQUEST_DATES[column]]
            detail: dict[str, Any] = {
                "request": rid,
                "kind": kind,
                "from": from_country,
                "to": to_party,
                "on": on.isoformat() if on else None,
            }
            if step == "transfer_decision":
                detail["decision"] = decision
                detail["provisos"] = json.loads(provisos or "[]")
            # Built from typed columns: validating each of a hundred steps again cost more
            # than building it (model_construct sets the same fields).
            steps.append(TraceStep.model_construct(step=step, detail=detail, audit_seq=seq))
    return steps


# The incidents naming an item, newest discovery first (as monitoring.list_incidents orders
# them), with the scope of the equipment row rule bound: every row, or one country's.
_INCIDENT_COLUMNS = (
    Incident.id,
    Incident.kind,
    Incident.discovered_on,
    Incident.status,
    Incident.report_due_on,
)
_INCIDENT_ORDER = (Incident.discovered_on.desc(), Incident.id.desc())
_INCIDENTS = Prepared(
    select(*_INCIDENT_COLUMNS).where(Incident.item_id == bindparam("item")).order_by(*_INCIDENT_ORDER)
)
_INCIDENTS_OF_COUNTRY = Prepared(
    select(*_INCIDENT_COLUMNS)
    .where(Incident.item_id == bindparam("item"), Incident.country_code == bindparam("country"))
    .order_by(*_INCIDENT_ORDER)
)


def _bindable(rule: RowRule) -> bool:
    """Whether the precompiled reads can bind ``rule``: every row, or one country's only."""
    return rule.everything or (rule.by_country is not None and rule == RowRule(by_country=rule.by_country))


def _incidents(session: Session, actor: Principal | None, item_id: int) -> list[dict[str, Any]]:
    """The incidents naming the item that ``actor`` may see. The precompiled reads bind the
    equipment row rule when it is every row or one country's; any other rule (none today)
    takes :func:`secassist.equipment.monitoring.list_incidents`, which applies it in SQL."""
    rule = EVERYTHING if actor is None else row_rule(actor, "equipment")
    if rule.everything:
        rows = _INCIDENTS.all(session, {"item": item_id})
    elif _bindable(rule):
        rows = _INCIDENTS_OF_COUNTRY.all(session, {"item": item_id, "country": rule.by_country})
    else:
        found = monitoring.list_incidents(session, actor=actor, item_id=item_id)
        rows = [(i.id, i.kind, i.discovered_on, i.status, i.report_due_on) for i in found]
    return [
        {"id": iid, "kind": kind, "discovered_on": discovered.isoformat(), "status": status,
         "report_due_on": due.isoformat()}
        for iid, kind, discovered, status, due in rows
    ]  # fmt: skip


class _ItemFacts(NamedTuple):
    """The item's columns the trace reads (named as on :class:`Item`)."""

    id: int
    serial: str
    item_type: str
    case_id: int
    case_line_id: int
    case_ref: str
    line_number: str
    state: str
    holder_country: str | None


_ITEM_COLUMNS = (
    Item.id,
    Item.serial,
    Item.item_type,
    Item.case_id,
    Item.case_line_id,
    Item.case_ref,
    Item.line_number,
    Item.state,
    Item.holder_country,
)


@functools.cache
def _item_read(typed: bool, by_country: bool) -> Prepared:
    """The item with a serial (binds ``serial``; ``item_type`` when ``typed``; the holder
    country when ``by_country``), at most two rows: compiled once per shape."""
    stmt = select(*_ITEM_COLUMNS).where(Item.serial == bindparam("serial"))
    if typed:
        stmt = stmt.where(Item.item_type == bindparam("item_type"))
    if by_country:
        stmt = stmt.where(Item.holder_country == bindparam("country"))
    return Prepared(stmt.limit(2))


def _find_item(session: Session, actor: Principal | None, serial: str, item_type: str | None) -> _ItemFacts:
    """:func:`secassist.equipment.queries.find_item` as one precompiled read of the columns
    the trace shows, binding the equipment row rule when it is every row or one country's
    (any other rule takes ``find_item`` itself, which applies it in SQL); the same errors."""
    rule = EVERYTHING if actor is None else row_rule(actor, "equipment")
    if not _bindable(rule):
        found = queries.find_item(session, actor=actor, serial=serial, item_type=item_type)
        return _ItemFacts._make(getattr(found, c.key) for c in _ITEM_COLUMNS)
    params = {"serial": serial.strip()}
    if item_type:
        params["item_type"] = item_type.strip().lower()
    if rule.by_country is not None:
        params["country"] = rule.by_country
    rows = _item_read(bool(item_type), rule.by_country is not None).all(session, params)
    if not rows:
        raise NotFoundError(f"serial: no item with serial {serial!r}", field="serial")
    if len(rows) > 1:
        raise ValidationFailedError(
            f"serial: {serial!r} is registered for several item types or manufacturers; name the item type",
            field="serial",
        )
    return _ItemFacts._make(rows[0])


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
    item = _find_item(session, actor, serial, item_type)
    rows = _CHAIN.all(session, {"item": item.id})
    sites = {r[2]: r[8] for r in rows if r[2] is not None}
    units = {r[3]: r[9] for r in rows if r[3] is not None}
    pos = custody.NOWHERE
    events: list[TraceEvent] = []
    for kind, on, site_id, unit_id, country, org, found, seq, _, _ in rows:
        event = custody.Event(
            kind, on, site=site_id, unit=unit_id, holder_country=country, holder_org=org, found=found
        )
        pos = custody.apply(pos, event, today=date.max)
        events.append(
            TraceEvent.model_construct(  # typed columns, as the transfer steps
                kind=kind,
                on=on,
                site=sites.get(pos.site) if pos.site is not None else None,
                holder=_holder(pos, units),
                audit_seq=seq,
                found=found,
                unit=units.get(unit_id) if unit_id is not None else None,
            )
        )
    steps = _steps(session, actor, item.case_id, item.case_line_id) + _transfer_steps(session, item.id)
    incidents = _incidents(session, actor, item.id)
    wanted = [s.audit_seq for s in steps] + [e.audit_seq for e in events]
    seqs = {s for s in wanted if s is not None}
    proofs: list[dict[str, Any]] = [dict(p) for p in inclusion_proofs(session, seqs, size, skip_outside=True)]
    # Every part is already built and typed (events, steps and proofs by this module).
    return Trace.model_construct(
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
