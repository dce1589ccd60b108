"""Helpers shared by the case services, and the scoped reads of cases and their parts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from secassist.audit.service import add_recorded
from secassist.cases.errors import CaseVersionConflictError
from secassist.cases.models import Case, CaseEvent, CaseLine, CaseParticipant
from secassist.cases.records import LineRec
from secassist.core.clock import Clock, SystemClock
from secassist.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    UnknownCodeError,
    ValidationFailedError,
)
from secassist.core.types import row_id_of
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal, actor_of, require_permission, row_rule, scope
from secassist.reference.service import get_reference
from secassist.storage.base import Base

DESIGNATOR = re.compile(r"^[A-Z0-9]{3}$")
IDENTIFIER = re.compile(r"^[A-Z0-9]{2}-[A-Z]-[A-Z0-9]{3}$")
MAX_TEXT = 4000
PURCHASER_KINDS = (OrgKind.partner, OrgKind.sco)
DEVELOPER_KINDS = (OrgKind.dod, OrgKind.state)


# --- small helpers ------------------------------------------------------------------


def clock_of(clock: Clock | None) -> Clock:
    return clock or SystemClock()


def choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    v = (value or "").strip().lower()
    if v not in allowed:
        raise ValidationFailedError(f"{field}: {value!r} is not one of {', '.join(allowed)}", field=field)
    return v


def text(value: str | None, field: str, *, limit: int = MAX_TEXT, required: bool = False) -> str:
    v = (value or "").strip()
    if required and not v:
        raise ValidationFailedError(f"{field}: must not be empty", field=field)
    if len(v) > limit:
        raise ValidationFailedError(f"{field}: at most {limit} characters", field=field)
    return v


def as_date(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationFailedError(f"{field}: {value!r} is not a date", field=field)
    return value


def flush(session: Session) -> None:
    """Flush, turning a lost optimistic-lock race into a 409."""
    try:
        session.flush()
    except StaleDataError:
        raise CaseVersionConflictError(
            "the case was changed by someone else since you read it; reload and try again", field="version"
        ) from None


def audited_change(
    session: Session,
    *,
    actor: Principal | None,
    tag: str,
    subject_id: int,
    rows: Sequence[Base],
    clock: Clock,
    subject_type: str = "case",
) -> None:
    """Write the change (a lost optimistic-lock race becomes a 409) and its one audit entry."""
    flush(session)
    add_recorded(
        session,
        rows,
        actor=actor_of(actor),
        tag=tag,
        subject_type=subject_type,
        subject_id=subject_id,
        clock=clock,
    )


def purchaser_of(code: str) -> tuple[str, bool, str | None, str]:
    """(purchaser code, is a NATO body, ISO country or None, FMS country/customer code).

    Countries use their FMS code from ``countries.yaml``; NATO bodies their Security
    Cooperation Customer Code (N4 NATO, W7 NSPA — domain.md §1.5 [S27][S28])."""
    ref = get_reference()
    key = (code or "").strip().upper()
    if not key:
        raise ValidationFailedError("purchaser: must not be empty", field="purchaser")
    try:
        body = ref.body(key)
    except UnknownCodeError:
        pass
    else:
        if not body.customer_code:
            raise ValidationFailedError(f"purchaser: {key} has no customer code", field="purchaser")
        return body.code, True, None, body.customer_code
    try:
        country = ref.country(key)
    except UnknownCodeError:
        raise ValidationFailedError(
            f"purchaser: unknown country or NATO body {code!r}", field="purchaser", value=code
        ) from None
    if country.code == "US":
        raise ValidationFailedError(
            "purchaser: the United States does not buy through FMS", field="purchaser"
        )
    return country.code, False, country.code, country.fms_code


def require_write(actor: Principal | None, permission: str = "case:write") -> None:
    if actor is not None:
        require_permission(actor, permission)


def require_developer(actor: Principal | None, what: str) -> None:
    """Case development is the USG's: a purchaser may file requests and accept offers only."""
    if actor is not None and actor.org_kind not in DEVELOPER_KINDS:
        raise PermissionDeniedError(f"{actor.username} may not {what}")


def own_country(actor: Principal | None, country: str | None) -> None:
    if actor is not None and actor.org_kind in PURCHASER_KINDS and country != actor.country:
        raise PermissionDeniedError(f"{actor.username} may act only for its own country")


def scoped_cases(actor: Principal | None) -> Select[Case]:
    """``SELECT Case`` restricted to what ``actor`` may see (everything for the console)."""
    stmt = select(Case)
    if actor is None:
        return stmt
    rule = row_rule(actor, "case")
    if not rule.everything and rule.by_country is not None and not rule.all_of:
        # A participating nation sees the multinational case it is named on (issue #13).
        return stmt.where(
            or_(Case.country_code == rule.by_country, Case.id.in_(participant_cases(rule.by_country)))
        )
    return scope(stmt, actor, "case", country=Case.country_code)


def participant_cases(country: object) -> Select[Any]:
    """``SELECT case_id`` of the multinational cases naming ``country`` (a code or a bind
    parameter) as a participating nation."""
    return select(CaseParticipant.case_id).where(CaseParticipant.country_code == country)


def add_event(
    session: Session,
    case: Case,
    *,
    kind: str,
    on: date,
    actor: Principal | None,
    clock: Clock,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: str | None = None,
) -> CaseEvent:
    ev = CaseEvent(
        case_id=case.id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        occurred_on=on,
        at=clock.now(),
        actor=actor_of(actor).label,
        detail=detail,
    )
    session.add(ev)
    return ev


def touch(case: Case, clock: Clock) -> None:
    """Any change to a case or its lines bumps its version (the optimistic lock)."""
    case.updated_at = clock.now()
    case.version += 1


def check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise CaseVersionConflictError(
            f"version: the case is at version {case.version}, you read version {expected_version}; "
            "reload and try again",
            field="version",
            current=case.version,
        )


# --- reads ---


def get_case(session: Session, *, actor: Principal | None, case_id: int) -> Case:
    """The case with this id if ``actor`` may see it, else NotFoundError (404)."""
    case = session.scalar(scoped_cases(actor).where(Case.id == case_id))
    if case is None:
        raise NotFoundError("case not found")
    return case


def resolve_case(session: Session, *, actor: Principal | None, ref: str | int) -> Case:
    """A case by numeric id or by identifier (``PL-D-AAA``), scoped like :func:`get_case`."""
    text = str(ref).strip().upper()
    if (case_id := row_id_of(text)) is not None:
        return get_case(session, actor=actor, case_id=case_id)
    if not IDENTIFIER.match(text):
        raise NotFoundError("case not found")
    case = session.scalar(scoped_cases(actor).where(Case.identifier == text))
    if case is None:
        raise NotFoundError("case not found")
    return case


def resolve_line(session: Session, *, actor: Principal | None, ref: str | int, number: str) -> CaseLine:
    """A case's line by the case's id or identifier and the line number the case shows
    (``001``; ``1`` is the same line), scoped like :func:`lines_of`."""
    case = resolve_case(session, actor=actor, ref=ref)
    wanted = number.strip().zfill(3)
    line = next((ln for ln in lines_of(session, case.id, actor=actor) if ln.number == wanted), None)
    if line is None:
        raise NotFoundError(f"line: case {case.identifier} has no line {number.strip()!r}", field="line")
    return line


def case_for_write(
    session: Session,
    actor: Principal | None,
    case_id: int,
    expected_version: int | None,
    *,
    permission: str = "case:write",
) -> Case:
    case = get_case(session, actor=actor, case_id=case_id)
    require_write(actor, permission)
    check_version(case, expected_version)
    return case


def lines_of(session: Session, case_id: int, *, actor: Principal | None = None) -> list[CaseLine]:
    """A case's lines in number order (scoped as ``case_line`` for an actor)."""
    stmt = select(CaseLine).where(CaseLine.case_id == case_id).order_by(CaseLine.number)
    if actor is not None:
        stmt = scope(
            stmt.join(Case, Case.id == CaseLine.case_id),
            actor,
            "case_line",
            country=Case.country_code,
            contractor=CaseLine.contractor_org_id,
        )
    return list(session.scalars(stmt))


def events_of(session: Session, case_id: int, *, until: date | None = None) -> list[CaseEvent]:
    """A case's events in order (up to ``until`` inclusive)."""
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id)
    if until is not None:
        stmt = stmt.where(CaseEvent.occurred_on <= until)
    return list(session.scalars(stmt.order_by(CaseEvent.occurred_on, CaseEvent.id)))


def values(lines: Iterable[CaseLine | LineRec]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(MDE, other, total, design & construction) of these lines; total = MDE + other
    (domain.md §2 "Computing the values" [S13])."""
    mde = other = dc = Decimal("0.00")
    for line in lines:
        if line.mde:
            mde += line.value
        else:
            other += line.value
        if line.design_construction:
            dc += line.value
    return mde, other, mde + other, dc
