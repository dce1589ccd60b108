"""Oversight: totals by program × fiscal year × region × country, as of any date, and the
funding of each FMS case — all derived from the ledger (entries dated after the as-of
date are left out), never from stored balances.

Two row levels come back from :func:`totals`:

* ``country`` — one per program, fiscal year and country: allocated, obligated,
  expended, ``available`` (allocated − obligated) and ``unexpended`` (obligated − expended);
* ``program`` — one per program and fiscal year: the appropriated amount, the sums of its
  countries, and ``unallocated`` (appropriated − allocated). Appropriations belong to no
  country, so partners and SCOs get only their own country's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal
from secassist.programs.catalog import program as catalog_program
from secassist.programs.models import LedgerEntry, dollars
from secassist.programs.queries import appropriations_visible, scoped_entries
from secassist.reference.models import CountryRow


@dataclass(frozen=True)
class TotalsRow:
    level: str  # "program" | "country"
    program: str
    fiscal_year: int
    region: str | None
    country: str | None
    appropriated: Decimal | None  # program rows only
    allocated: Decimal
    obligated: Decimal
    expended: Decimal
    unallocated: Decimal | None  # program rows only
    available: Decimal  # allocated − obligated: still free to obligate
    unexpended: Decimal  # obligated − expended

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# SUM over BIGINT is NUMERIC on PostgreSQL (a Decimal with no fraction), INTEGER on SQLite.
Cents = int | Decimal
TotalsColumns = tuple[str, int, str | None, str | None, Cents, Cents, Cents, Cents]


def _sum_kind(kind: str) -> Any:
    return func.coalesce(
        func.sum(case((LedgerEntry.kind == kind, LedgerEntry.amount_cents), else_=0)), 0
    ).label(kind)


def totals_statement(
    as_of: date,
    *,
    actor: Principal | None = None,
    program: str | None = None,
    fiscal_year: int | None = None,
    region: str | None = None,
    country: str | None = None,
) -> Select[*TotalsColumns]:
    """The one query behind :func:`totals`: the ledger summed per program, fiscal year and
    country (scoped to ``actor``; a scan of the covering index ``ix_program_entry_totals``
    in GROUP BY order), then the few groups joined to their region. Its rows: program,
    fiscal year, region, country (both null for the program's appropriations), and the
    appropriated, allocated, obligated and expended cents."""
    inner = (
        select(
            LedgerEntry.program,
            LedgerEntry.fiscal_year,
            LedgerEntry.country_code,
            _sum_kind("appropriation"),
            _sum_kind("allocation"),
            _sum_kind("obligation"),
            _sum_kind("expenditure"),
        )
        .where(LedgerEntry.entry_date <= as_of)
        .group_by(LedgerEntry.program, LedgerEntry.fiscal_year, LedgerEntry.country_code)
    )
    if program:
        inner = inner.where(LedgerEntry.program == catalog_program(program).code)
    if fiscal_year is not None:
        inner = inner.where(LedgerEntry.fiscal_year == fiscal_year)
    if country:
        inner = inner.where(LedgerEntry.country_code == country.strip().upper())
    t = scoped_entries(inner, actor).subquery("t")
    stmt = select(
        t.c.program,
        t.c.fiscal_year,
        CountryRow.region,
        t.c.country_code,
        t.c.appropriation,
        t.c.allocation,
        t.c.obligation,
        t.c.expenditure,
    ).outerjoin(CountryRow, CountryRow.code == t.c.country_code)
    if region:
        stmt = stmt.where(CountryRow.region == region.strip().upper())
    return stmt


def totals(
    session: Session,
    *,
    actor: Principal | None,
    as_of: date,
    program: str | None = None,
    fiscal_year: int | None = None,
    region: str | None = None,
    country: str | None = None,
) -> list[TotalsRow]:
    """Program totals as of ``as_of``: country rows and, for actors who may see
    appropriations, one program row per program and fiscal year (ordered program, fiscal
    year, then region and country, the program row first)."""
    if not isinstance(as_of, date):
        raise ValidationFailedError(f"on: {as_of!r} is not a date", field="on")
    stmt = totals_statement(
        as_of, actor=actor, program=program, fiscal_year=fiscal_year, region=region, country=country
    )
    with_programs = appropriations_visible(actor) and not region and not country
    # Sums stay integer cents until the rows are built; Core on the session's connection
    # (the ORM's row loading added nothing to a grouped read but time).
    groups: dict[tuple[str, int], list[tuple[str, str, int, int, int]]] = {}
    appropriated: dict[tuple[str, int], int] = {}
    for prog, fy, reg, code, appr, alloc, oblig, exp in session.connection().execute(stmt):
        key = (prog, int(fy))
        members = groups.setdefault(key, [])
        if code is None:
            appropriated[key] = appropriated.get(key, 0) + int(appr)
        else:
            members.append((reg or "", code, int(alloc), int(oblig), int(exp)))
    out: list[TotalsRow] = []
    for key in sorted(groups):
        members = sorted(groups[key])
        prog, fy = key
        if with_programs:
            appr_c = appropriated.get(key, 0)
            a = sum(m[2] for m in members)
            o = sum(m[3] for m in members)
            e = sum(m[4] for m in members)
            out.append(_row("program", prog, fy, None, None, appr_c, a, o, e))
        out.extend(
            _row("country", prog, fy, reg or None, code, None, a_, o_, e_)
            for reg, code, a_, o_, e_ in members
        )
    return out


def _row(
    level: str,
    prog: str,
    fy: int,
    region: str | None,
    country: str | None,
    appr: int | None,
    a: int,
    o: int,
    e: int,
) -> TotalsRow:
    return TotalsRow(
        level=level,
        program=prog,
        fiscal_year=fy,
        region=region,
        country=country,
        appropriated=None if appr is None else dollars(appr),
        allocated=dollars(a),
        obligated=dollars(o),
        expended=dollars(e),
        unallocated=None if appr is None else dollars(appr - a),
        available=dollars(a - o),
        unexpended=dollars(o - e),
    )


@dataclass(frozen=True)
class LineFunding:
    case_line_id: int
    obligated: Decimal
    expended: Decimal


@dataclass(frozen=True)
class CaseFunding:
    """What the ledger holds for one FMS case as of a date, by program and by line."""

    case_id: int
    as_of: date
    by_program: dict[str, Decimal]  # obligated, per program
    lines: tuple[LineFunding, ...]
    obligated: Decimal
    expended: Decimal


def case_funding(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    as_of: date,
    program: str | None = None,
    fiscal_year: int | None = None,
) -> CaseFunding:
    """Obligations and expenditures to ``case_id`` as of ``as_of`` (scoped to ``actor``)."""
    stmt = (
        select(
            LedgerEntry.program,
            LedgerEntry.case_line_id,
            _sum_kind("obligation"),
            _sum_kind("expenditure"),
        )
        .where(LedgerEntry.case_id == case_id, LedgerEntry.entry_date <= as_of)
        .group_by(LedgerEntry.program, LedgerEntry.case_line_id)
    )
    if program:
        stmt = stmt.where(LedgerEntry.program == catalog_program(program).code)
    if fiscal_year is not None:
        stmt = stmt.where(LedgerEntry.fiscal_year == fiscal_year)
    by_program: dict[str, int] = {}
    lines: dict[int, tuple[int, int]] = {}
    for prog, line_id, oblig, exp in session.execute(scoped_entries(stmt, actor)):
        by_program[prog] = by_program.get(prog, 0) + int(oblig)
        o, e = lines.get(int(line_id), (0, 0))
        lines[int(line_id)] = (o + int(oblig), e + int(exp))
    return CaseFunding(
        case_id=case_id,
        as_of=as_of,
        by_program={k: dollars(v) for k, v in sorted(by_program.items())},
        lines=tuple(LineFunding(k, dollars(o), dollars(e)) for k, (o, e) in sorted(lines.items())),
        obligated=dollars(sum(o for o, _ in lines.values())),
        expended=dollars(sum(e for _, e in lines.values())),
    )


def funding_by_case(
    session: Session,
    *,
    actor: Principal | None,
    as_of: date,
    program: str | None = None,
    fiscal_year: int | None = None,
) -> dict[int, tuple[Decimal, Decimal]]:
    """(obligated, expended) per case id as of ``as_of``: for reconciling the cases'
    totals with the program's."""
    stmt = (
        select(LedgerEntry.case_id, _sum_kind("obligation"), _sum_kind("expenditure"))
        .where(LedgerEntry.case_id.is_not(None), LedgerEntry.entry_date <= as_of)
        .group_by(LedgerEntry.case_id)
    )
    if program:
        stmt = stmt.where(LedgerEntry.program == catalog_program(program).code)
    if fiscal_year is not None:
        stmt = stmt.where(LedgerEntry.fiscal_year == fiscal_year)
    return {
        int(cid): (dollars(int(o)), dollars(int(e)))
        for cid, o, e in session.execute(scoped_entries(stmt, actor))
    }
