"""Program reads: appropriations and ledger entries, scoped to what the actor may see.

Ledger entries are scoped by the purchaser's country through the access policy
(:func:`secassist.identity.policy.scope`); appropriations belong to no country, so
partners and SCOs see none. ``actor=None`` is the system (the administrator's console):
unscoped. The writes are in :mod:`secassist.programs.service`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.core.types import row_id_of
from secassist.identity.policy import Principal, Resource, scope
from secassist.programs.catalog import program as catalog_program
from secassist.programs.models import Appropriation, LedgerEntry, dollars

AnySelect = Select[*tuple[Any, ...]]
S = TypeVar("S", bound=AnySelect)


def scoped_entries(stmt: S, actor: Principal | None) -> S:
    """``stmt`` over ``program_entry`` restricted to what ``actor`` may see (None: everything)."""
    return stmt if actor is None else scope(stmt, actor, "program", country=LedgerEntry.country_code)


def appropriations_visible(actor: Principal | None) -> bool:
    # Appropriations belong to no country: partners and SCOs never see them.
    from secassist.identity.policy import visible

    return actor is None or visible(actor, Resource(kind="program", country=None))


def get_appropriation(session: Session, *, actor: Principal | None, appropriation_id: int) -> Appropriation:
    """One appropriation; NotFoundError (404) when missing or invisible to ``actor``."""
    found = session.get(Appropriation, appropriation_id)
    if found is None or not appropriations_visible(actor):
        raise NotFoundError(f"appropriation {appropriation_id} not found", field="appropriation_id")
    return found


def resolve_appropriation(session: Session, *, actor: Principal | None, ref: str) -> Appropriation:
    """An appropriation by its id (``9``) or by program and fiscal year (``FMF/2024``) when
    exactly one appropriation has them; several (a base act and a supplemental) are refused
    with their ids, so the caller gives the id."""
    text = ref.strip()
    if (appropriation_id := row_id_of(text)) is not None:
        return get_appropriation(session, actor=actor, appropriation_id=appropriation_id)
    program, sep, year = text.partition("/")
    if not sep or not re.fullmatch(r"[0-9]{4}", year.strip()):
        raise ValidationFailedError(
            f"appropriation: {ref!r} is neither an id nor PROGRAM/FY (FMF/2024)", field="appropriation"
        )
    found = list_appropriations(session, actor=actor, program=program.strip(), fiscal_year=int(year))
    if not found:
        raise NotFoundError(f"appropriation: no {text} appropriation", field="appropriation")
    if len(found) > 1:
        ids = ", ".join(f"{a.id} ({a.title})" for a in found)
        raise ValidationFailedError(
            f"appropriation: {text} names several appropriations, {ids}; give the id", field="appropriation"
        )
    return found[0]


def list_appropriations(
    session: Session, *, actor: Principal | None, program: str | None = None, fiscal_year: int | None = None
) -> list[Appropriation]:
    """Appropriations in (program, fiscal year, id) order; empty for partners and SCOs."""
    if not appropriations_visible(actor):
        return []
    stmt = select(Appropriation).order_by(Appropriation.program, Appropriation.fiscal_year, Appropriation.id)
    if program:
        stmt = stmt.where(Appropriation.program == catalog_program(program).code)
    if fiscal_year is not None:
        stmt = stmt.where(Appropriation.fiscal_year == fiscal_year)
    return list(session.scalars(stmt))


def get_entry(
    session: Session, *, actor: Principal | None, entry_id: int, field: str = "entry_id"
) -> LedgerEntry:
    """One ledger entry; NotFoundError (404) when missing or outside ``actor``'s scope."""
    stmt = scoped_entries(select(LedgerEntry).where(LedgerEntry.id == entry_id), actor)
    found: LedgerEntry | None = session.scalar(stmt)
    if found is None:
        raise NotFoundError(f"{field}: ledger entry {entry_id} not found", field=field)
    return found


def entry_by_reference(
    session: Session,
    *,
    actor: Principal | None,
    reference: str,
    kind: str | None = None,
    field: str = "reference",
) -> LedgerEntry:
    """The one entry (of ``kind``, when given; never a reversal) whose reference is
    ``reference``: the document number recorded on it, a stable name where its id is not
    known. A reference on several such entries is refused with their ids."""
    wanted = reference.strip()
    what = f"{kind} entry" if kind else "ledger entry"
    if not wanted:
        raise ValidationFailedError(f"{field}: the {what}'s reference is empty", field=field)
    stmt = select(LedgerEntry).where(LedgerEntry.reference == wanted, LedgerEntry.reverses_id.is_(None))
    if kind is not None:
        stmt = stmt.where(LedgerEntry.kind == kind)
    found = list(session.scalars(scoped_entries(stmt.order_by(LedgerEntry.id), actor)))
    if not found:
        raise NotFoundError(f"{field}: no {what} with reference {wanted!r}", field=field)
    if len(found) > 1:
        ids = ", ".join(str(e.id) for e in found)
        raise ValidationFailedError(
            f"{field}: reference {wanted!r} is on {what.replace('entry', 'entries')} {ids}; give the id",
            field=field,
        )
    return found[0]


MAX_PAGE = 1000


def list_entries(
    session: Session,
    *,
    actor: Principal | None,
    appropriation_id: int | None = None,
    country: str | None = None,
    kind: str | None = None,
    case_id: int | None = None,
    as_of: date | None = None,
    after_id: int | None = None,
    limit: int = 100,
    program: str | None = None,
    obligation_id: int | None = None,
) -> list[LedgerEntry]:
    """Ledger entries in id order, filtered and scoped; at most ``limit`` (1..1000)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailedError(f"limit: between 1 and {MAX_PAGE}", field="limit")
    stmt = select(LedgerEntry).order_by(LedgerEntry.id).limit(limit)
    if appropriation_id is not None:
        stmt = stmt.where(LedgerEntry.appropriation_id == appropriation_id)
    if program:
        stmt = stmt.where(LedgerEntry.program == catalog_program(program).code)
    if obligation_id is not None:
        stmt = stmt.where(LedgerEntry.obligation_id == obligation_id)
    if country:
        stmt = stmt.where(LedgerEntry.country_code == country.strip().upper())
    if kind:
        if kind not in ("appropriation", "allocation", "obligation", "expenditure"):
            raise ValidationFailedError(f"kind: unknown entry kind {kind!r}", field="kind")
        stmt = stmt.where(LedgerEntry.kind == kind)
    if case_id is not None:
        stmt = stmt.where(LedgerEntry.case_id == case_id)
    if as_of is not None:
        stmt = stmt.where(LedgerEntry.entry_date <= as_of)
    if after_id is not None:
        stmt = stmt.where(LedgerEntry.id > after_id)
    return list(session.scalars(scoped_entries(stmt, actor)))


def reversed_ids(session: Session, ids: list[int]) -> dict[int, int]:
    """For the given entry ids, the id of the entry that reversed each (where one did)."""
    if not ids:
        return {}
    rows = session.execute(
        select(LedgerEntry.reverses_id, LedgerEntry.id).where(LedgerEntry.reverses_id.in_(ids))
    )
    return {int(orig): int(rev) for orig, rev in rows if orig is not None}


@dataclass(frozen=True)
class CountryBalance:
    """What one country holds of one appropriation (dollars, reversals netted)."""

    country: str
    allocated: Decimal
    obligated: Decimal
    expended: Decimal

    @property
    def available(self) -> Decimal:
        """Allocated and not yet obligated: what may still be obligated."""
        return self.allocated - self.obligated


def country_balances(
    session: Session, *, actor: Principal | None, appropriation_id: int, as_of: date | None = None
) -> tuple[Decimal, list[CountryBalance]]:
    """An appropriation's amount and, per country ``actor`` may see, its allocated,
    obligated and expended sums (one grouped query over the scoped ledger)."""
    stmt = (
        select(LedgerEntry.country_code, LedgerEntry.kind, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.appropriation_id == appropriation_id)
        .group_by(LedgerEntry.country_code, LedgerEntry.kind)
    )
    if as_of is not None:
        stmt = stmt.where(LedgerEntry.entry_date <= as_of)
    sums: dict[str | None, dict[str, int]] = {}
    for country, kind, total in session.execute(scoped_entries(stmt, actor)):
        sums.setdefault(country, {})[kind] = int(total or 0)
    appropriated = dollars(sums.pop(None, {}).get("appropriation", 0))
    rows = [
        CountryBalance(
            country=code,
            allocated=dollars(k.get("allocation", 0)),
            obligated=dollars(k.get("obligation", 0)),
            expended=dollars(k.get("expenditure", 0)),
        )
        for code, k in sorted(sums.items(), key=lambda x: x[0] or "")
        if code is not None
    ]
    return appropriated, rows
