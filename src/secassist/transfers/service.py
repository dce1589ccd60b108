"""Writing transfer requests: file a request, record its checks, the §3(d) certification,
State's decision, the execution and the return, and the offices' inbox entries.

Keyword-only functions that take the session, never commit, check everything before
writing anything, and write exactly one audit entry per state change (tags
``transfer:<subject>:<action>``). The cross-domain steps — reading the items from the
equipment registry, running the vetting engine, moving custody — are in
``workflows/transfer_request.py`` and ``workflows/transfer_execute.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, SystemClock, now
from secassist.core.errors import ConflictError, ValidationFailedError
from secassist.identity.models import Organization
from secassist.identity.policy import Principal, Resource, actor_of, check
from secassist.reference.service import get_reference
from secassist.transfers import rules
from secassist.transfers.errors import TransferConflictError, TransferRefusedError
from secassist.transfers.models import InboxEntry, TransferFinding, TransferItem, TransferRequest
from secassist.transfers.queries import approved_serials, findings_of, get_request

MAX_TEXT = 4000


def _label(actor: Principal | None) -> str:
    return "system" if actor is None else actor.label


def _text(value: str | None, field: str, *, limit: int = MAX_TEXT, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailedError(f"{field}: must not be empty", field=field)
    if len(value) > limit:
        raise ValidationFailedError(f"{field}: longer than {limit} characters", field=field)
    return value


def party_code(code: str, field: str) -> str:
    """A country or NATO body known to the reference data, upper-cased."""
    key = (code or "").strip().upper()
    if not get_reference().is_known_party(key):
        raise ValidationFailedError(f"{field}: unknown country or NATO body {code!r}", field=field)
    return key


@dataclass(frozen=True)
class RequestedItem:
    """A serialized item as the registry shows it when the request is filed."""

    item_id: int
    serial: str
    value_cents: int
    mde: bool


@dataclass(frozen=True)
class Check:
    """One of the transfer's own findings, in the vetting engine's shape."""

    factor: str
    outcome: str  # clear | concern | block
    rationale: str
    evidence: tuple[str, ...] = ()
    authority: str = ""


def create_request(
    session: Session,
    *,
    actor: Principal | None,
    from_country: str,
    to_party: str,
    kind: str,
    on: date,
    end_use: str,
    end_user: str | None = None,
    return_by: date | None = None,
    items: Sequence[RequestedItem] = (),
    lot_id: int | None = None,
    lot_quantity: int | None = None,
    lot_value_cents: int = 0,
    clock: Clock | None = None,
) -> TransferRequest:
    """File a request for consent to a transfer (AECA §3(a)(2): no transfer of title or
    possession, and no other use, without prior consent [S37]; SAMM C8.7 [S73]) from the
    current holder country. Temporary transfers carry their return date."""
    source = party_code(from_country, "from")
    if actor is not None:
        check(actor, "write", Resource("transfer", country=source), what="transfer")
    if kind not in rules.KINDS:
        raise ValidationFailedError(f"kind: one of {', '.join(rules.KINDS)}, not {kind!r}", field="kind")
    target = party_code(to_party, "to")
    if kind in rules.MOVES and target == source:
        raise ValidationFailedError(f"to: a {kind} goes to another party than {source}", field="to")
    if kind not in rules.MOVES and target != source:
        raise ValidationFailedError(f"to: a {kind} stays with the holder; give --to {source}", field="to")
    if kind in rules.TEMPORARY:
        if return_by is None:
            raise ValidationFailedError(f"return_by: a {kind} needs its return date", field="return_by")
        if return_by <= on:
            raise ValidationFailedError("return_by: must be after the requested date", field="return_by")
    elif return_by is not None:
        raise ValidationFailedError(
            f"return_by: only temporary transfers return, not {kind}", field="return_by"
        )
    if bool(items) == (lot_id is not None):
        raise ValidationFailedError(
            "serials: give serials or a lot with a quantity, not both", field="serials"
        )
    if lot_id is not None and (lot_quantity is None or lot_quantity < 1):
        raise ValidationFailedError(
            "quantity: a lot transfer names a quantity of at least 1", field="quantity"
        )
    use = _text(end_use, "end_use")
    user = _text(end_user, "end_user", limit=300, required=False) or f"Government of {target}"
    total = sum(i.value_cents for i in items) + lot_value_cents
    req = TransferRequest(
        from_country=source,
        to_party=target,
        kind=kind,
        end_use=use,
        end_user=user,
        requested_on=on,
        return_by=return_by,
        status="requested",
        lot_id=lot_id,
        lot_quantity=lot_quantity if lot_id is not None else None,
        total_value_cents=total,
        mde_value_cents=sum(i.value_cents for i in items if i.mde),
        notification_required=False,
        certified=False,
        created_at=now(clock),
        created_by=_label(actor),
    )
    session.add(req)
    session.flush()
    rows = [
        TransferItem(
            request_id=req.id, item_id=i.item_id, serial=i.serial, value_cents=i.value_cents, mde=i.mde
        )
        for i in items
    ]
    add_recorded(
        session,
        [req, *rows],
        actor=actor_of(actor),
        tag="transfer:request:created",
        subject_type="transfer_request",
        subject_id=req.id,
        clock=clock,
    )
    return req


def record_checks(
    session: Session,
    *,
    actor: Principal | None,
    request: TransferRequest,
    checks: Sequence[Check],
    vetting_decision_id: int | None,
    notification_required: bool,
    section: str | None,
    review_days: int | None,
    exclusion: str | None,
    clock: Clock | None = None,
) -> list[TransferFinding]:
    """Record the checks run on a request (its own findings and the vetting decision they
    sit beside) and the §3(d) requirement: one audit entry."""
    if request.status != "requested":
        raise ConflictError(f"request {request.id} is {request.status}; checks precede the decision")
    start = len(findings_of(session, request.id))
    rows = [
        TransferFinding(
            request_id=request.id,
            position=start + n,
            factor=c.factor,
            outcome=c.outcome,
            rationale=c.rationale,
            evidence=json.dumps(list(c.evidence)),
            authority=c.authority,
        )
        for n, c in enumerate(checks, 1)
    ]
    request.vetting_decision_id = vetting_decision_id
    request.notification_required = notification_required
    request.notification_section = section
    request.review_days = review_days
    request.exclusion = exclusion
    add_recorded(
        session,
        [request, *rows],
        actor=actor_of(actor),
        tag="transfer:checks:recorded",
        subject_type="transfer_request",
        subject_id=request.id,
        clock=clock,
    )
    return rows


def certify(
    session: Session, *, actor: Principal | None, request_id: int, on: date, clock: Clock | None = None
) -> TransferRequest:
    """The §3(d) certification formally submitted to Congress on ``on``: the review period
    (30 days, or 15 for NATO, its members and the other §3(d)(2) countries) starts, and
    congressional staff may read the request from now on (AECA §3(d)(1)-(2) [S124])."""
    req = get_request(session, actor=actor, request_id=request_id)
    if actor is not None:
        check(actor, "approve", Resource("transfer", country=req.from_country), what="transfer")
    if not req.notification_required:
        raise ValidationFailedError(
            f"id: request {req.id} needs no §3(d) certification ({req.exclusion or 'below the thresholds'})",
            field="id",
        )
    if req.certified:
        raise ConflictError(f"request {req.id} was certified on {req.certified_on}", field="id")
    req.certified, req.certified_on = True, on
    req.review_ends_on = on + timedelta(days=req.review_days or 30)
    add_recorded(
        session,
        [req],
        actor=actor_of(actor),
        tag="transfer:certification:submitted",
        subject_type="transfer_request",
        subject_id=req.id,
        clock=clock,
    )
    return req


def blocking(session: Session, request_id: int) -> list[str]:
    """The factors of the request's own findings that block it."""
    return [f.factor for f in findings_of(session, request_id) if f.outcome == "block"]


def decide(
    session: Session,
    *,
    actor: Principal | None,
    request_id: int,
    decision: str,
    on: date,
    provisos: Sequence[str] = (),
    valid_until: date | None = None,
    clock: Clock | None = None,
) -> TransferRequest:
    """State's decision on a request (AECA §3(a)(2) consent; §3(b): only if the U.S. would
    itself transfer the item to that recipient [S37]). A blocking finding means it cannot be
    approved. An approval stands until ``valid_until`` (default: :data:`rules.APPROVAL_DAYS`)."""
    req = get_request(session, actor=actor, request_id=request_id)
    if actor is not None:
        check(actor, "approve", Resource("transfer", country=req.from_country), what="transfer")
    if decision not in ("approve", "deny"):
        raise ValidationFailedError(f"decision: approve or deny, not {decision!r}", field="decision")
    if req.status != "requested":
        raise ConflictError(f"request {req.id} is already {req.status}", field="id")
    if decision == "approve":
        blocks = blocking(session, req.id)
        if blocks:
            raise TransferRefusedError(
                "blocked",
                f"cannot approve request {req.id}, blocked by {', '.join(blocks)}",
                field="decision",
            )
        if valid_until is not None and valid_until < on:
            raise ValidationFailedError("valid_until: before the decision", field="valid_until")
    cleaned = [_text(p, "proviso") for p in provisos if p.strip()]
    req.status = "approved" if decision == "approve" else "denied"
    req.decision = decision
    req.provisos = json.dumps(cleaned)
    req.decided_on = on
    req.decided_by = _label(actor)
    req.approval_expires_on = rules.approval_expires(on, valid_until) if decision == "approve" else None
    add_recorded(
        session,
        [req],
        actor=actor_of(actor),
        tag=f"transfer:request:{req.status}",
        subject_type="transfer_request",
        subject_id=req.id,
        clock=clock,
    )
    return req


def check_executable(
    session: Session, req: TransferRequest, *, on: date, serials: Sequence[str] | None
) -> None:
    """Refuse an execution without a current approval, for other serials than approved,
    after the approval lapsed, or before the §3(d) review period has run (AECA §3(d)(2):
    consent only after the certification's review period [S124])."""
    if req.status != "approved":
        # Still "requested": not decided yet (422). Denied, executed or returned: the request
        # moved past its approval — a concurrent execution, typically — a conflict (409).
        refusal = TransferRefusedError if req.status == "requested" else TransferConflictError
        raise refusal("not_approved", f"request {req.id} is {req.status}, not approved")
    assert req.decided_on is not None
    assert req.approval_expires_on is not None
    if on < req.decided_on:
        raise TransferRefusedError(
            "not_approved", f"{on} is before the approval of {req.decided_on}", field="on"
        )
    if on > req.approval_expires_on:
        raise TransferRefusedError(
            "lapsed", f"the approval of request {req.id} lapsed after {req.approval_expires_on}", field="on"
        )
    approved = sorted(approved_serials(session, req.id))
    if serials is not None and sorted(s.strip() for s in serials) != approved:
        raise TransferRefusedError(
            "serials", f"request {req.id} approved {', '.join(approved) or 'no serials'}", field="serials"
        )
    if req.notification_required:
        if not req.certified or req.review_ends_on is None:
            raise TransferRefusedError(
                "not_certified",
                f"§{req.notification_section} certification of request {req.id} not yet sent to Congress",
            )
        if on < req.review_ends_on:
            raise TransferRefusedError(
                "review_period",
                f"the congressional review period runs until {req.review_ends_on}",
                field="on",
            )


def sco_office(session: Session, country: str) -> str | None:
    """The security cooperation office registered for ``country`` (its EEUM responsibility
    follows the items' holder country, SAMM C8.4 [S80]), if any."""
    return session.scalar(
        select(Organization.name)
        .where(Organization.kind == "sco", Organization.country_code == country)
        .order_by(Organization.name)
        .limit(1)
    )


def _inbox(
    session: Session,
    req: TransferRequest | None,
    country: str,
    subject: str,
    body: str,
    on: date,
    clock: Clock | None,
    *,
    case_id: int | None = None,
) -> InboxEntry:
    return InboxEntry(
        country_code=country,
        office=sco_office(session, country),
        request_id=req.id if req is not None else None,
        case_id=case_id,
        subject=subject,
        body=body,
        created_on=on,
        created_at=now(clock),
    )


def mark_moved(
    session: Session,
    *,
    actor: Principal | None,
    request: TransferRequest,
    on: date,
    returning: bool,
    serials: Sequence[str],
    clock: Clock | None = None,
) -> list[InboxEntry]:
    """Record the execution (or the return) of a request with an inbox entry for the sending
    and the receiving country's office: one audit entry. The auditors' gap this closes: the
    receiving SCO was not told when EEUM items arrived [S69]."""
    req = request
    giver, taker = (req.to_party, req.from_country) if returning else (req.from_country, req.to_party)
    what = describe(serials)
    verb = "returned" if returning else rules_verb(req.kind)
    entries = [
        _inbox(
            session,
            req,
            giver,
            f"Transfer {req.id}: {what} left {giver}",
            f"{what} {verb} from {giver} to {taker} on {on}; end-use monitoring passes to {taker}.",
            on,
            clock,
        ),
    ]
    if taker != giver:
        entries.append(
            _inbox(
                session,
                req,
                taker,
                f"Transfer {req.id}: {what} arrived from {giver}",
                f"{what} {verb} from {giver} to {taker} on {on}; {taker} is now responsible for their "
                "end-use monitoring and inventories.",
                on,
                clock,
            )
        )
    if returning:
        req.status, req.returned_on = "returned", on
    else:
        req.status, req.executed_on = "executed", on
    add_recorded(
        session,
        [req, *entries],
        actor=actor_of(actor),
        tag=f"transfer:request:{req.status}",
        subject_type="transfer_request",
        subject_id=req.id,
        clock=clock,
    )
    return entries


def describe(serials: Sequence[str]) -> str:
    """How an inbox entry names what moved: the count and the first serials (or lots)."""
    return f"{len(serials)} item(s) ({', '.join(serials[:10])}{'…' if len(serials) > 10 else ''})"


def notify_lead_nation(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    case_ref: str,
    from_country: str,
    to_country: str,
    on: date,
    serials: Sequence[str],
    authority: str,
    clock: Clock | None = None,
) -> list[InboxEntry]:
    """An inbox entry for the sending and the receiving country's office of a lead-nation
    transfer, as for a third-party transfer (:func:`mark_moved`): a lead-nation transfer has
    no request, so the entries name the multinational case. The receiving SCO must learn
    that EEUM items arrived from an ally [S69]. One audit entry (``transfer:inbox:lead_nation``)."""
    what = describe(serials)
    entries = [
        _inbox(
            session,
            None,
            from_country,
            f"Case {case_ref}: {what} left {from_country}",
            f"{what} of multinational case {case_ref} transferred from {from_country} to {to_country} on "
            f"{on} ({authority}); end-use monitoring passes to {to_country}.",
            on,
            clock,
            case_id=case_id,
        ),
        _inbox(
            session,
            None,
            to_country,
            f"Case {case_ref}: {what} arrived from {from_country}",
            f"{what} of multinational case {case_ref} transferred from {from_country} to {to_country} on "
            f"{on} ({authority}); {to_country} is now responsible for their end-use monitoring and "
            "inventories.",
            on,
            clock,
            case_id=case_id,
        ),
    ]
    add_recorded(
        session,
        entries,
        actor=actor_of(actor),
        tag="transfer:inbox:lead_nation",
        subject_type="transfer_inbox",
        clock=clock,
    )
    return entries


def rules_verb(kind: str) -> str:
    return {
        "disposal": "disposed of",
        "demilitarization": "demilitarized",
        "end_use_change": "changed end use",
    }.get(kind, "transferred")


def today(clock: Clock | None) -> date:
    return (clock or SystemClock()).today()
