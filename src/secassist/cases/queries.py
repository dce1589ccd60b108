"""Scoped read models of cases: the filtered case list, a case's detail, lines by contractor.

Every read is scoped by the access policy's row rules (:func:`secassist.identity.policy.row_rule`:
``case`` rows by the purchaser's country; ``case_line`` rows by country or, for
industry, by contractor). The list and the detail run statements compiled once
(:mod:`secassist.storage.prepared`) and return typed records (:mod:`secassist.cases.records`).
Money is summed in Python as ``Decimal`` (SQLite stores it as text; SUM would go
through a binary float).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from secassist.cases.common import IDENTIFIER, participant_cases, values
from secassist.cases.lifecycle import parse_status
from secassist.cases.models import FINANCING, Amendment, Case, CaseEvent, CaseLine, Lor
from secassist.cases.records import AmendmentRec, CaseRec, EventRec, LineRec, LorRec
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.core.types import row_id_of
from secassist.identity.policy import EVERYTHING, Principal, Resource, RowRule, row_rule, scope, visible
from secassist.storage.prepared import Prepared, connection_of

MAX_PAGE = 500
ZERO = Decimal("0.00")

_C, _L, _CL, _CE, _A = (m.__table__ for m in (Case, Lor, CaseLine, CaseEvent, Amendment))
_NC = len(_C.c)


@dataclass(frozen=True)
class CaseRow:
    case: CaseRec
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
    case: CaseRec
    lor: LorRec
    lines: list[LineRec]
    events: list[EventRec]
    amendments: list[AmendmentRec]
    mde_value: Decimal
    other_value: Decimal
    total_value: Decimal
    design_construction_value: Decimal


# The case reads run on every page view and API call, so their statements are built and
# compiled once (storage.prepared) and scoped by binding the access policy's row rule:
# a case is seen whole or not at all, by purchaser country (policy.row_rule).


def _case_rule(actor: Principal | None) -> RowRule | None:
    """The actor's rule for cases: EVERYTHING, a country rule, or None (sees no case)."""
    if actor is None:
        return EVERYTHING
    rule = row_rule(actor, "case")
    if rule.everything:
        return rule
    # Cases carry only a country column: any other condition matches nothing, so a rule
    # that needs one alongside the country (``all_of``) matches nothing as well.
    return rule if rule.by_country is not None and not rule.all_of else None


def _scoped(stmt: Select[Any], everything: bool) -> Select[Any]:
    if everything:
        return stmt
    scope_country: BindParameter[Any] = bindparam("scope_country")
    return stmt.where(or_(_C.c.country_code == scope_country, _C.c.id.in_(participant_cases(scope_country))))


def _scope_params(rule: RowRule) -> dict[str, Any]:
    return {} if rule.everything else {"scope_country": rule.by_country}


@functools.cache
def _list_statements(filters: frozenset[str], everything: bool) -> tuple[Prepared, Prepared]:
    """(count, page) for one combination of filters and scope."""
    conds: list[ColumnElement[bool]] = []
    if "status" in filters:
        conds.append(_C.c.status == bindparam("status"))
    if "country" in filters:
        conds.append(_C.c.purchaser_code == bindparam("country"))
    if "agency" in filters:
        conds.append(_C.c.implementing_agency == bindparam("agency"))
    if "financing" in filters:
        conds.append(_C.c.financing == bindparam("financing"))
    if "q" in filters:
        like = bindparam("q", type_=String)
        conds.append(or_(_C.c.identifier.ilike(like), _C.c.title.ilike(like)))
    count = _scoped(select(func.count()).select_from(_C), everything).where(*conds)
    page = (
        _scoped(select(_C), everything)
        .where(*conds)
        .order_by(_C.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return Prepared(count), Prepared(page)


@functools.cache
def _line_values(n: int) -> Prepared:
    """The values of the lines of ``n`` cases (one statement per page size: a compiled
    statement cannot grow its IN list)."""
    ids = [bindparam(f"id{i}", type_=Integer) for i in range(n)]
    return Prepared(select(_CL.c.case_id, _CL.c.mde, _CL.c.value).where(_CL.c.case_id.in_(ids)))


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
    params: dict[str, Any] = {}
    if status:
        params["status"] = parse_status(status, field="status").value
    if country:
        params["country"] = country.strip().upper()
    if agency:
        params["agency"] = agency.strip().upper()
    if financing:
        if financing not in FINANCING:
            raise ValidationFailedError(f"financing: one of {', '.join(FINANCING)}", field="financing")
        params["financing"] = financing
    if q and q.strip():
        params["q"] = f"%{q.strip()}%"
    rule = _case_rule(actor)
    if rule is None:
        return CasePage(items=[], total=0, limit=limit, offset=offset)
    count, page = _list_statements(frozenset(params), rule.everything)
    params.update(_scope_params(rule))
    conn = connection_of(session)
    found = count.first(conn, params)
    total = int(found[0]) if found else 0
    cases = [CaseRec._make(r) for r in page.all(conn, {**params, "limit": limit, "offset": offset})]
    return CasePage(items=_with_values(conn, cases), total=total, limit=limit, offset=offset)


def _with_values(conn: Connection, cases: list[CaseRec]) -> list[CaseRow]:
    if not cases:
        return []
    mde: dict[int, Decimal] = defaultdict(lambda: ZERO)
    other: dict[int, Decimal] = defaultdict(lambda: ZERO)
    count: dict[int, int] = defaultdict(int)
    ids = {f"id{i}": c.id for i, c in enumerate(cases)}
    for case_id, is_mde, value in _line_values(len(cases)).all(conn, ids):
        (mde if is_mde else other)[case_id] += value
        count[case_id] += 1
    return [
        CaseRow(c, mde[c.id], other[c.id], mde[c.id] + other[c.id], count[c.id])
        for c in cases  # values derived from the lines, never stored
    ]


@functools.cache
def _case_statement(by_identifier: bool, everything: bool) -> Prepared:
    key = _C.c.identifier if by_identifier else _C.c.id
    stmt = select(_C, _L).join(_L, _L.c.id == _C.c.lor_id).where(key == bindparam("ref"))
    return Prepared(_scoped(stmt, everything))


_LINES = Prepared(select(_CL).where(_CL.c.case_id == bindparam("case_id")).order_by(_CL.c.number))
_AMENDMENTS = Prepared(
    select(_A).where(_A.c.case_id == bindparam("case_id")).order_by(_A.c.kind, _A.c.number)
)
_EVENTS = Prepared(
    select(_CE).where(_CE.c.case_id == bindparam("case_id")).order_by(_CE.c.occurred_on, _CE.c.id)
)
_EVENTS_UNTIL = Prepared(
    select(_CE)
    .where(_CE.c.case_id == bindparam("case_id"), _CE.c.occurred_on <= bindparam("until"))
    .order_by(_CE.c.occurred_on, _CE.c.id)
)


def case_detail(
    session: Session, *, actor: Principal | None, ref: str | int, until: date | None = None
) -> CaseDetail:
    """One case with its LOR, the lines the actor may see, its events (up to ``until``)
    and its amendments/modifications; 404 when the actor may not see it."""
    conn = connection_of(session)
    case, lor = _case_with_lor(conn, actor, ref)
    every = [LineRec._make(r) for r in _LINES.all(conn, {"case_id": case.id})]
    # The case's values count every line, whichever of them the actor may see.
    mde, other, total, dc = values(every)
    if until is None:
        events = _EVENTS.all(conn, {"case_id": case.id})
    else:
        events = _EVENTS_UNTIL.all(conn, {"case_id": case.id, "until": until})
    return CaseDetail(
        case=case,
        lor=lor,
        lines=_visible_lines(actor, case, every),
        events=[EventRec._make(r) for r in events],
        amendments=[AmendmentRec._make(r) for r in _AMENDMENTS.all(conn, {"case_id": case.id})],
        mde_value=mde,
        other_value=other,
        total_value=total,
        design_construction_value=dc,
    )


def _visible_lines(actor: Principal | None, case: CaseRec, lines: list[LineRec]) -> list[LineRec]:
    """The lines of one case the actor may see (the policy's answer for each line)."""
    if actor is None:
        return lines
    # The case is visible: a partner that is not its purchaser is a participating nation
    # of it (cases.common.participant_cases), and sees its lines as the purchaser does.
    country = case.country_code
    own = row_rule(actor, "case").by_country
    if own is not None and own != country:
        country = own
    return [
        ln
        for ln in lines
        if visible(actor, Resource("case_line", country=country, contractor_org_id=ln.contractor_org_id))
    ]


def _case_with_lor(conn: Connection, actor: Principal | None, ref: str | int) -> tuple[CaseRec, LorRec]:
    """The case (by id or identifier, scoped) and its LOR in one query; 404 otherwise."""
    key = str(ref).strip().upper()
    value: int | str
    if (row_id := row_id_of(key)) is not None:
        by_identifier, value = False, row_id
    elif IDENTIFIER.match(key):
        by_identifier, value = True, key
    else:
        raise NotFoundError("case not found")
    rule = _case_rule(actor)
    if rule is None:
        raise NotFoundError("case not found")
    params = {"ref": value, **_scope_params(rule)}
    row = _case_statement(by_identifier, rule.everything).first(conn, params)
    if row is None:
        raise NotFoundError("case not found")
    return CaseRec._make(row[:_NC]), LorRec._make(row[_NC:])


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
