"""Case services: opening cases, lines, status changes, and the facts other domains read.

Keyword-only functions taking the session explicitly; they never commit. Every state
change writes exactly one audit entry (tags ``case:<subject>:<action>``) carrying the
after-images of every row it touched. ``actor=None`` is the system console. Reads for
an actor are scoped by :func:`secassist.identity.policy.scope`; a case the actor may not
see is :class:`NotFoundError`, exactly like a case that does not exist.

Optimistic locking: a case row carries ``version`` (SQLAlchemy ``version_id_col``). A
caller may pass ``expected_version`` (the version it read); a mismatch, or a concurrent
writer that committed first, is :class:`CaseVersionConflictError` (HTTP 409) and nothing
of the losing change is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.cases import lifecycle
from secassist.cases.catalog import get_catalog
from secassist.cases.common import (
    DESIGNATOR,
    PURCHASER_KINDS,
    add_event,
    as_date,
    audited_change,
    case_for_write,
    choice,
    clock_of,
    events_of,
    get_case,
    lines_of,
    purchaser_of,
    require_developer,
    require_write,
    resolve_case,
    text,
    touch,
    values,
)
from secassist.cases.facts import CaseFacts
from secassist.cases.lifecycle import Status
from secassist.cases.lines import add_line, complete_line, line_facts, update_line
from secassist.cases.lors import get_lor, lor_missing
from secassist.cases.models import LOA_TYPES, Case, CaseEvent, Lor
from secassist.core.clock import Clock
from secassist.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SeparationOfDutiesError,
    UnknownCodeError,
    ValidationFailedError,
)
from secassist.core.types import to_money
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal, actor_of
from secassist.reference.service import get_reference
from secassist.storage.base import Base

__all__ = [
    "add_line",
    "advance",
    "case_facts",
    "check_advance",
    "complete_line",
    "create_case",
    "events_of",
    "get_case",
    "lines_of",
    "resolve_case",
    "update_line",
    "values",
]


# --- cases ----------------------------------------------------------------------------


def _next_designator(used: set[str]) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for a in alphabet:
        for b in alphabet:
            for d in alphabet:
                if a + b + d not in used:
                    return a + b + d
    raise ConflictError("designator: no free designator left for this country and agency", field="designator")


def create_case(
    session: Session,
    *,
    actor: Principal | None,
    lor_id: int,
    implementing_agency: str,
    loa_type: str,
    title: str,
    designator: str | None = None,
    aod_group: str | None = None,
    transmittal: str | None = None,
    is_demo: bool = False,
    clock: Clock | None = None,
) -> Case:
    """Open a case for an LOR (status ``lor_received``; the LOR's receipt is its first
    event). The identifier is ``CC-I-XXX`` (domain.md §1.5 [S26]): the purchaser's FMS
    country or customer code, the implementing agency's letter (only agencies with a
    letter code may implement), and a 3-character designator (the next free one when
    not given). Identifiers are unique."""
    require_write(actor)
    require_developer(actor, "open cases")
    c = clock_of(clock)
    lor = get_lor(session, actor=actor, lor_id=lor_id)
    if lor.request_type == "pa":
        raise ValidationFailedError(
            "lor_id: a P&A request gets pricing data, not a case (SAMM C5.1 [S3])", field="lor_id"
        )
    if session.scalar(select(Case.id).where(Case.lor_id == lor.id)) is not None:
        raise ConflictError("lor_id: this LOR already has a case", field="lor_id")
    try:
        agency = get_reference().implementing_agency(implementing_agency or "")
    except UnknownCodeError:
        raise ValidationFailedError(
            f"implementing_agency: unknown implementing agency {implementing_agency!r}",
            field="implementing_agency",
        ) from None
    if agency.code is None:
        raise ValidationFailedError(
            f"implementing_agency: {agency.abbreviation} has no confirmed letter code yet and cannot "
            "implement cases (implementing_agencies.yaml)",
            field="implementing_agency",
        )
    code, is_body, country, fms = purchaser_of(lor.purchaser_code)
    prefix = f"{fms}-{agency.code}-"
    if designator:
        designator = designator.strip().upper()
        if not DESIGNATOR.match(designator):
            raise ValidationFailedError(
                f"designator: {designator!r} is not 3 letters or digits", field="designator"
            )
    else:
        used = set(
            session.scalars(
                select(Case.designator).where(
                    Case.fms_country_code == fms, Case.implementing_agency == agency.code
                )
            )
        )
        designator = _next_designator(used)
    identifier = prefix + designator
    if session.scalar(select(Case.id).where(Case.identifier == identifier)) is not None:
        raise ConflictError(f"designator: case {identifier} already exists", field="designator")
    group = get_catalog().aod_group(aod_group).code if aod_group else None
    now = c.now()
    case = Case(
        identifier=identifier,
        purchaser_code=code,
        purchaser_is_body=is_body,
        country_code=country,
        fms_country_code=fms,
        implementing_agency=agency.code,
        designator=designator,
        loa_type=choice(loa_type, LOA_TYPES, "loa_type"),
        financing=lor.financing,
        title=text(title, "title", limit=200, required=True),
        end_users=lor.end_users,
        lor_id=lor.id,
        status=Status.lor_received.value,
        aod_group=group,
        restatements=0,
        version=1,
        transmittal=text(transmittal, "transmittal", limit=16) or None,
        created_at=now,
        updated_at=now,
        is_demo=is_demo,
    )
    session.add(case)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"designator: case {identifier} already exists", field="designator") from None
    ev = add_event(
        session,
        case,
        kind="status",
        on=lor.received_on,
        actor=actor,
        clock=c,
        to_status=Status.lor_received.value,
        detail=f"LOR {lor.reference_number or lor.id} received",
    )
    add_recorded(
        session,
        [case, ev],
        actor=actor_of(actor),
        tag="case:case:created",
        subject_type="case",
        subject_id=case.id,
        clock=c,
    )
    return case


@dataclass(frozen=True)
class _Plan:
    case: Case
    lor: Lor
    current: Status
    target: Status
    on: date
    offer_expires_on: date | None
    deposit: Decimal | None
    note: str | None
    document: str | None


def check_acceptance(actor: Principal | None, case: Case, document: str | None) -> str | None:
    """Who may record that the purchaser accepted the LOA, and with what (issue #16).

    Acceptance is the purchaser's act: the purchaser signs the LOA (SAMM C5.4.8, LOA
    acceptance [S12]). It is recorded by a user of the purchasing country's government
    (a ``partner`` organization of the case's country), or by a DoD implementing agency on
    the purchaser's behalf, which then names the signed document it holds
    (``acceptance_document``, required). The console (no actor) records on the purchaser's
    behalf as an agency does. Nobody else records it: not State, not the SCO (a U.S.
    office), not another country. Returns the document reference, stripped."""
    doc = (document or "").strip() or None
    if doc is not None and len(doc) > 200:
        raise ValidationFailedError(
            "acceptance_document: at most 200 characters", field="acceptance_document"
        )
    if actor is not None and actor.org_kind is OrgKind.partner:
        if case.country_code is None or actor.country != case.country_code:
            raise SeparationOfDutiesError(
                "acceptance_party",
                f"{actor.username} is not of the purchaser ({case.purchaser_code}); only the purchaser "
                "accepts its LOA",
                field="to",
            )
        return doc
    if actor is not None and actor.org_kind is not OrgKind.dod:
        raise SeparationOfDutiesError(
            "acceptance_party",
            f"{actor.username} ({actor.org_kind.value}) may not record the purchaser's acceptance: the "
            "purchaser records it, or an implementing agency on its behalf naming the signed LOA",
            field="to",
        )
    if doc is None:
        raise ValidationFailedError(
            "acceptance_document: recording the purchaser's acceptance on its behalf names the signed "
            "LOA (its document reference)",
            field="acceptance_document",
        )
    return doc


def _plan(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    to: str,
    on: date | None,
    expected_version: int | None,
    offer_expires_on: date | None,
    initial_deposit: object,
    note: str | None,
    gates_checked: bool,
    clock: Clock,
    acceptance_document: str | None = None,
) -> _Plan:
    """Every check of a status change, without writing anything."""
    case = case_for_write(session, actor, case_id, expected_version)
    target = lifecycle.parse_status(to)
    if actor is not None and actor.org_kind in PURCHASER_KINDS and target not in lifecycle.PURCHASER_MAY:
        raise PermissionDeniedError(
            f"{actor.username} may accept an offer, not move a case to {target.value}"
        )
    if target not in lifecycle.PURCHASER_MAY:
        require_developer(actor, f"move a case to {target.value}")
    on = clock.today() if on is None else as_date(on, "on")
    if on > clock.today():
        raise ValidationFailedError("on: a status change cannot be dated in the future", field="on")
    last = session.scalar(select(func.max(CaseEvent.occurred_on)).where(CaseEvent.case_id == case.id))
    if last is not None and on < last:
        raise ValidationFailedError(
            f"on: {on.isoformat()} is before the case's last event ({last.isoformat()})", field="on"
        )
    if offer_expires_on is not None:
        offer_expires_on = as_date(offer_expires_on, "offer_expires_on")
    deposit = None if initial_deposit in (None, "") else to_money(initial_deposit, field="initial_deposit")
    lor = session.get(Lor, case.lor_id)
    assert lor is not None
    lines = lines_of(session, case.id)
    current = Status(case.status)
    ctx = lifecycle.Context(
        on=on,
        lor_missing=tuple(lor_missing(lor)),
        line_count=len(lines),
        open_lines=sum(1 for ln in lines if ln.status != "ssc"),
        offer_expires_on=offer_expires_on if target is Status.offered else case.offer_expires_on,
        initial_deposit=deposit if target is Status.accepted else case.initial_deposit,
        gates_checked=gates_checked,
    )
    lifecycle.check(current, target, ctx)
    document = check_acceptance(actor, case, acceptance_document) if target is Status.accepted else None
    return _Plan(
        case, lor, current, target, on, offer_expires_on, deposit, text(note, "note") or None, document
    )


def check_advance(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    to: str,
    on: date | None = None,
    expected_version: int | None = None,
    offer_expires_on: date | None = None,
    initial_deposit: object = None,
    acceptance_document: str | None = None,
    clock: Clock | None = None,
) -> None:
    """Raise what :func:`advance` would raise, writing nothing (the offer gates aside:
    the offer workflow runs this before it asks them)."""
    _plan(
        session,
        actor=actor,
        case_id=case_id,
        to=to,
        on=on,
        expected_version=expected_version,
        offer_expires_on=offer_expires_on,
        initial_deposit=initial_deposit,
        note=None,
        gates_checked=True,
        clock=clock_of(clock),
        acceptance_document=acceptance_document,
    )


def advance(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    to: str,
    on: date | None = None,
    expected_version: int | None = None,
    offer_expires_on: date | None = None,
    initial_deposit: object = None,
    note: str | None = None,
    gates_checked: bool = False,
    acceptance_document: str | None = None,
    clock: Clock | None = None,
) -> Case:
    """Move a case to status ``to`` on ``on`` (default today) if the lifecycle allows it.

    ``offered`` is reached only through the offer workflow (``workflows.offer``), which
    passes ``gates_checked=True`` after every offer gate is satisfied. A purchaser may
    only accept; everything else is the USG's. Acceptance is recorded by the purchaser or,
    naming the signed LOA (``acceptance_document``), by an implementing agency on its
    behalf (:func:`check_acceptance`). Tag ``case:status:<to>``."""
    c = clock_of(clock)
    plan = _plan(
        session,
        actor=actor,
        case_id=case_id,
        to=to,
        on=on,
        expected_version=expected_version,
        offer_expires_on=offer_expires_on,
        initial_deposit=initial_deposit,
        note=note,
        gates_checked=gates_checked,
        clock=c,
        acceptance_document=acceptance_document,
    )
    case, target, on = plan.case, plan.target, plan.on
    rows: list[Base] = [case]
    case.status = target.value
    if target is Status.lor_complete:
        plan.lor.complete_on = on
        rows.append(plan.lor)
    elif target is Status.offered:
        case.offered_on, case.offer_expires_on = on, plan.offer_expires_on
    elif target is Status.accepted:
        case.accepted_on, case.initial_deposit = on, plan.deposit
        case.acceptance_document = plan.document
    elif target is Status.implemented:
        case.implemented_on = on
    elif target is Status.closed:
        case.closed_on = on
    elif target is Status.restated:
        case.restatements += 1
    touch(case, c)
    ev = add_event(
        session,
        case,
        kind="status",
        on=on,
        actor=actor,
        clock=c,
        from_status=plan.current.value,
        to_status=target.value,
        detail=plan.note,
    )
    audited_change(
        session, actor=actor, tag=f"case:status:{target.value}", subject_id=case.id, rows=[*rows, ev], clock=c
    )
    return case


# --- what other domains may know ----------------------------------------------------------


def case_facts(session: Session, case_id: int) -> CaseFacts:
    """The plain facts of a case for other domains (unscoped: callers check access).

    NotFoundError when there is no such case."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("case not found")
    lines = lines_of(session, case.id)
    lor = session.get(Lor, case.lor_id)
    mde, other, total, dc = values(lines)
    return CaseFacts(
        case_id=case.id,
        identifier=case.identifier,
        version=case.version,
        status=case.status,
        purchaser_code=case.purchaser_code,
        purchaser_is_body=case.purchaser_is_body,
        financing=case.financing,
        implementing_agency=case.implementing_agency,
        loa_type=case.loa_type,
        end_users=tuple(u for u in case.end_users.split("\n") if u),
        lines=tuple(line_facts(ln) for ln in lines),
        mde_value=mde,
        other_value=other,
        total_value=total,
        design_construction_value=dc,
        lor_complete_on=lor.complete_on if lor is not None else None,
        title=case.title,
        country_code=case.country_code,
        offered_on=case.offered_on,
        offer_expires_on=case.offer_expires_on,
        transmittal=case.transmittal,
        accepted_on=case.accepted_on,
    )
