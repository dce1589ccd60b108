"""Letters of Request: intake, the completeness check, and corrections before completion.

Keyword-only functions taking the session explicitly; they never commit. Every state
change writes exactly one audit entry (tags ``case:lor:<action>``). ``actor=None`` is the
system console. An LOR is scoped like the case it leads to (by the purchaser's country);
opening a case for it, and moving that case to ``lor_complete``, are in
:mod:`secassist.cases.service`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.cases.common import (
    as_date,
    audited_change,
    choice,
    clock_of,
    own_country,
    purchaser_of,
    require_write,
    text,
    touch,
)
from secassist.cases.models import FINANCING, LOA_TYPES, REQUEST_TYPES, Case, Lor
from secassist.cases.records import LorRec
from secassist.core.clock import Clock
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.core.types import to_money
from secassist.identity.policy import Principal, scope
from secassist.storage.base import Base


def lor_missing(lor: Lor | LorRec) -> list[str]:
    """What an LOR still lacks before it counts as complete (SAMM C5.1 [S2]): a traceable
    reference number, the articles/services in enough detail to price, the end users,
    and — for a blanket-order request — the desired case value."""
    missing = []
    if not lor.reference_number.strip():
        missing.append("reference_number")
    if not lor.articles_services.strip():
        missing.append("articles_services")
    if not lor.end_users.strip():
        missing.append("end_users")
    if lor.loa_type == "blanket_order" and lor.desired_value is None:
        missing.append("desired_value")
    return missing


def receive_lor(
    session: Session,
    *,
    actor: Principal | None,
    purchaser: str,
    request_type: str,
    financing: str,
    received_on: date,
    reference_number: str = "",
    articles_services: str = "",
    end_users: Sequence[str] = (),
    loa_type: str | None = None,
    desired_value: object = None,
    third_party: str | None = None,
    is_demo: bool = False,
    clock: Clock | None = None,
) -> Lor:
    """Record a Letter of Request as received. It may be incomplete (the completeness
    check runs when the case moves to ``lor_complete``); malformed values are refused."""
    require_write(actor)
    c = clock_of(clock)
    code, _is_body, country, _fms = purchaser_of(purchaser)
    own_country(actor, country)
    received_on = as_date(received_on, "received_on")
    if received_on > c.today():
        raise ValidationFailedError(
            "received_on: an LOR cannot be received in the future", field="received_on"
        )
    lor = Lor(
        purchaser_code=code,
        country_code=country,
        request_type=choice(request_type, REQUEST_TYPES, "request_type"),
        reference_number=text(reference_number, "reference_number", limit=64),
        financing=choice(financing, FINANCING, "financing"),
        loa_type=choice(loa_type, LOA_TYPES, "loa_type") if loa_type else None,
        articles_services=text(articles_services, "articles_services"),
        end_users="\n".join(text(u, "end_users", limit=200) for u in end_users if u.strip()),
        third_party=text(third_party, "third_party") or None,
        desired_value=None if desired_value in (None, "") else to_money(desired_value, field="desired_value"),
        received_on=received_on,
        complete_on=None,
        created_at=c.now(),
        is_demo=is_demo,
    )
    session.add(lor)
    audited_change(
        session,
        actor=actor,
        tag="case:lor:received",
        subject_id=lor.id,
        rows=[lor],
        clock=c,
        subject_type="lor",
    )
    return lor


def get_lor(session: Session, *, actor: Principal | None, lor_id: int) -> Lor:
    """One LOR the actor may see (scoped like cases)."""
    stmt = select(Lor).where(Lor.id == lor_id)
    if actor is not None:
        stmt = scope(stmt, actor, "case", country=Lor.country_code)
    lor = session.scalar(stmt)
    if lor is None:
        raise NotFoundError("LOR not found")
    return lor


def list_lors(
    session: Session, *, actor: Principal | None, without_case: bool = False, limit: int = 200
) -> list[tuple[Lor, str | None]]:
    """The LORs the actor may see (scoped like cases), newest first, each with the
    identifier of the case opened for it (None while none is); ``without_case`` keeps only
    those still awaiting a case."""
    lor_stmt = select(Lor)
    if actor is not None:
        lor_stmt = scope(lor_stmt, actor, "case", country=Lor.country_code)
    stmt = (
        lor_stmt.add_columns(Case.identifier)
        .outerjoin(Case, Case.lor_id == Lor.id)
        .order_by(Lor.received_on.desc(), Lor.id.desc())
        .limit(limit)
    )
    if without_case:
        stmt = stmt.where(Case.id.is_(None))
    return [(lor, ident) for lor, ident in session.execute(stmt).all()]


def case_of_lor(session: Session, lor: Lor) -> str | None:
    """The identifier of the case opened for ``lor`` (already scoped), or None."""
    return session.scalar(select(Case.identifier).where(Case.lor_id == lor.id))


def find_lor(session: Session, *, actor: Principal | None, reference: str) -> Lor:
    """The LOR the actor may see whose purchaser's reference number is ``reference``; a
    reference that names several LORs is refused with their ids (give the id instead)."""
    wanted = reference.strip()
    if not wanted:
        raise ValidationFailedError("lor_ref: the LOR's reference number is empty", field="lor_ref")
    stmt = select(Lor).where(Lor.reference_number == wanted).order_by(Lor.id)
    if actor is not None:
        stmt = scope(stmt, actor, "case", country=Lor.country_code)
    found = list(session.scalars(stmt))
    if not found:
        raise NotFoundError(f"lor_ref: no LOR with reference {wanted!r}", field="lor_ref")
    if len(found) > 1:
        ids = ", ".join(str(lor.id) for lor in found)
        raise ValidationFailedError(
            f"lor_ref: reference {wanted!r} names LORs {ids}; give the LOR id", field="lor_ref"
        )
    return found[0]


def update_lor(
    session: Session,
    *,
    actor: Principal | None,
    lor_id: int,
    reference_number: str | None = None,
    articles_services: str | None = None,
    end_users: Sequence[str] | None = None,
    loa_type: str | None = None,
    desired_value: object = None,
    third_party: str | None = None,
    clock: Clock | None = None,
) -> Lor:
    """Fill in or correct an LOR that is not yet complete. Tag ``case:lor:updated``."""
    require_write(actor)
    c = clock_of(clock)
    lor = get_lor(session, actor=actor, lor_id=lor_id)
    if lor.complete_on is not None:
        raise ValidationFailedError(
            "lor_id: a complete LOR is not changed; file a new request", field="lor_id"
        )
    if reference_number is not None:
        lor.reference_number = text(reference_number, "reference_number", limit=64)
    if articles_services is not None:
        lor.articles_services = text(articles_services, "articles_services")
    if end_users is not None:
        lor.end_users = "\n".join(text(u, "end_users", limit=200) for u in end_users if u.strip())
    if loa_type is not None:
        lor.loa_type = choice(loa_type, LOA_TYPES, "loa_type")
    if desired_value not in (None, ""):
        lor.desired_value = to_money(desired_value, field="desired_value")
    if third_party is not None:
        lor.third_party = text(third_party, "third_party") or None
    rows: list[Base] = [lor]
    case = session.scalar(select(Case).where(Case.lor_id == lor.id))
    if case is not None:
        case.end_users = lor.end_users
        touch(case, c)
        rows.append(case)
    audited_change(
        session,
        actor=actor,
        tag="case:lor:updated",
        subject_id=lor.id,
        rows=rows,
        clock=c,
        subject_type="lor",
    )
    return lor
