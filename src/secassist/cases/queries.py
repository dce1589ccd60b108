"""Scoped read models of cases: the filtered case list, a case's detail, lines by contractor.

Every query goes through :func:`secassist.identity.policy.scope` (``case`` rows by the
purchaser's country; ``case_line`` rows by country or, for industry, by contractor).
Money is summed in Python as ``Decimal`` (SQLite stores it as text; SUM would go
through a binary float).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from secassist.cases.common import IDENTIFIER, events_of, lines_of, scoped_cases, values
from secassist.cases.lifecycle import parse_status
from secassist.cases.models import FINANCING, Amendment, Case, CaseEvent, CaseLine, Lor
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.identity.policy import Principal, scope

MAX_PAGE = 500
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CaseRow:
    case: Case
    mde_value: Decimal
    other_value: Decimal
    total_value: Decimal
    line_count: int


@dataclass(frozen=True)
class CasePage:
    items: list[CaseRow]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    lor: Lor
    lines: list[CaseLine]
    events: list[CaseEvent]
    amendments: list[Amendment]
    mde_value: Decimal
    other_value: Decimal
    total_value: Decimal
    design_construction_value: Decimal


def list_cases(
    session: Session,
    *,
    actor: Principal | None,
    status: str | None = None,
    country: str | None = None,
    agency: str | None = None,
    financing: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> CasePage:
    """The cases ``actor`` may see, newest first, filtered by status, purchaser (ISO code
    or NATO body), implementing agency letter, financing, and identifier/title text."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailedError(f"limit: between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise ValidationFailedError("offset: must not be negative", field="offset")
    stmt = scoped_cases(actor)
    if status:
        stmt = stmt.where(Case.status == parse_status(status, field="status").value)
    if country:
        stmt = stmt.where(Case.purchaser_code == country.strip().upper())
    if agency:
        stmt = stmt.where(Case.implementing_agency == agency.strip().upper())
    if financing:
        if financing not in FINANCING:
            raise ValidationFailedError(f"financing: one of {', '.join(FINANCING)}", field="financing")
        stmt = stmt.where(Case.financing == financing)
    if q and q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Case.identifier.ilike(like), Case.title.ilike(like)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    cases = list(session.scalars(stmt.order_by(Case.id.desc()).limit(limit).offset(offset)))
    return CasePage(items=_with_values(session, cases), total=total, limit=limit, offset=offset)


def _with_values(session: Session, cases: list[Case]) -> list[CaseRow]:
    if not cases:
        return []
    mde: dict[int, Decimal] = defaultdict(lambda: ZERO)
    other: dict[int, Decimal] = defaultdict(lambda: ZERO)
    count: dict[int, int] = defaultdict(int)
    rows = session.execute(
        select(CaseLine.case_id, CaseLine.mde, CaseLine.value).where(
            CaseLine.case_id.in_([c.id for c in cases])
        )
    )
    for case_id, is_mde, value in rows:
        (mde if is_mde else other)[case_id] += value
        count[case_id] += 1
    return [
        CaseRow(c, mde[c.id], other[c.id], mde[c.id] + other[c.id], count[c.id])
        for c in cases  # values derived from the lines, never stored
    ]


def case_detail(
    session: Session, *, actor: Principal | None, ref: str | int, until: date | None = None
) -> CaseDetail:
    """One case with its LOR, the lines the actor may see, its events (up to ``until``)
    and its amendments/modifications; 404 when the actor may not see it."""
    case, lor = _case_with_lor(session, actor, ref)
    lines = lines_of(session, case.id, actor=actor)
    # The case's values count every line. Whoever sees a case and holds case_line:read
    # sees all of its lines (same country, or an all-seeing kind), so the scoped lines
    # are all of them; a token without case_line:read needs the unscoped query.
    every = lines if actor is None or "case_line:read" in actor.permissions else lines_of(session, case.id)
    mde, other, total, dc = values(every)
    amendments = list(
        session.scalars(
            select(Amendment).where(Amendment.case_id == case.id).order_by(Amendment.kind, Amendment.number)
        )
    )
    return CaseDetail(
        case=case,
        lor=lor,
        lines=lines,
        events=events_of(session, case.id, until=until),
        amendments=amendments,
        mde_value=mde,
        other_value=other,
        total_value=total,
        design_construction_value=dc,
    )


def _case_with_lor(session: Session, actor: Principal | None, ref: str | int) -> tuple[Case, Lor]:
    """The case (by id or identifier, scoped) and its LOR in one query; 404 otherwise."""
    key = str(ref).strip().upper()
    stmt = scoped_cases(actor).join(Lor, Lor.id == Case.lor_id).add_columns(Lor)
    if key.isdigit():
        stmt = stmt.where(Case.id == int(key))
    elif IDENTIFIER.match(key):
        stmt = stmt.where(Case.identifier == key)
    else:
        raise NotFoundError("case not found")
    row = session.execute(stmt).first()
    if row is None:
        raise NotFoundError("case not found")
    return row[0], row[1]


def visible_lines(
    session: Session, *, actor: Principal | None, limit: int = 200, offset: int = 0
) -> list[tuple[CaseLine, str]]:
    """Case lines the actor may see, with their case identifier (industry: its own lines)."""
    base = select(CaseLine).join(Case, Case.id == CaseLine.case_id)
    if actor is not None:
        base = scope(
            base, actor, "case_line", country=Case.country_code, contractor=CaseLine.contractor_org_id
        )
    stmt = (
        base.add_columns(Case.identifier)
        .order_by(CaseLine.case_id, CaseLine.number)
        .limit(min(limit, MAX_PAGE))
        .offset(max(offset, 0))
    )
    return [(line, ident) for line, ident in session.execute(stmt)]
