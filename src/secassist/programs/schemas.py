"""Pydantic shapes of the program API (``XCreate`` in, ``XRead`` out). Money travels as a
string (never a JSON float); the services parse it exactly and name the field when wrong."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from secassist.core.types import FiscalYear, IsoDate, Money, MoneyIn, RowId
from secassist.programs.models import Appropriation, LedgerEntry, dollars
from secassist.programs.oversight import TotalsRow


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProgramRead(BaseModel):
    code: str
    name: str
    owner: str
    legal_basis: str
    legal_basis_status: str
    funds: str
    targets: list[str]
    parent: str | None
    source: str
    status: str
    note: str | None


class AppropriationCreate(_In):
    program: str
    fiscal_year: FiscalYear
    amount: MoneyIn
    available_from: IsoDate
    available_until: IsoDate
    on: IsoDate | None = None
    title: str | None = None
    legal_citation: str | None = None
    source: str | None = None
    status: Literal["confirmed", "UNCONFIRMED"] = "confirmed"
    note: str | None = None


class AppropriationRead(BaseModel):
    id: int
    program: str
    fiscal_year: int
    title: str
    available_from: date
    available_until: date
    legal_citation: str | None
    source: str | None
    status: str
    note: str | None
    created_at: datetime

    @classmethod
    def of(cls, a: Appropriation) -> AppropriationRead:
        return cls.model_validate(a, from_attributes=True)


class AllocationCreate(_In):
    appropriation_id: RowId
    country: str
    amount: MoneyIn
    on: IsoDate
    memo: str | None = None


class ObligationCreate(_In):
    appropriation_id: RowId
    country: str
    amount: MoneyIn
    on: IsoDate
    target: str = Field(description="case (FMF), training (IMET…) or unit (PKO, Section 333…)")
    case_id: RowId | None = None
    case_line_id: RowId | None = None
    recipient_unit_id: RowId | None = None
    reference: str | None = None
    memo: str | None = None


class ExpenditureCreate(_In):
    obligation_id: RowId
    amount: MoneyIn
    on: IsoDate
    reference: str | None = None
    memo: str | None = None


class ReversalCreate(_In):
    on: IsoDate
    reason: str


class EntryRead(BaseModel):
    id: int
    kind: str
    appropriation_id: int
    program: str
    fiscal_year: int
    country: str | None
    amount: Money
    entry_date: date
    obligation_id: int | None
    reverses_id: int | None
    reversed_by: int | None
    target: str | None
    case_id: int | None
    case_line_id: int | None
    recipient_unit_id: int | None
    reference: str | None
    memo: str | None
    recorded_at: datetime

    @classmethod
    def of(cls, e: LedgerEntry, reversed_by: int | None = None) -> EntryRead:
        return cls(
            id=e.id,
            kind=e.kind,
            appropriation_id=e.appropriation_id,
            program=e.program,
            fiscal_year=e.fiscal_year,
            country=e.country_code,
            amount=dollars(e.amount_cents),
            entry_date=e.entry_date,
            obligation_id=e.obligation_id,
            reverses_id=e.reverses_id,
            reversed_by=reversed_by,
            target=e.target,
            case_id=e.case_id,
            case_line_id=e.case_line_id,
            recipient_unit_id=e.recipient_unit_id,
            reference=e.reference,
            memo=e.memo,
            recorded_at=e.recorded_at,
        )


class TotalsRowRead(BaseModel):
    level: str
    program: str
    fiscal_year: int
    region: str | None
    country: str | None
    appropriated: Money | None
    allocated: Money
    obligated: Money
    expended: Money
    unallocated: Money | None
    available: Money
    unexpended: Money

    @classmethod
    def of(cls, r: TotalsRow) -> TotalsRowRead:
        return cls(**r.as_dict())


class TotalsRead(BaseModel):
    as_of: date
    rows: list[TotalsRowRead]


class LineFundingRead(BaseModel):
    case_line_id: int
    obligated: Money
    expended: Money


class CaseFundingRead(BaseModel):
    case_id: int
    as_of: date
    by_program: dict[str, Money]
    lines: list[LineFundingRead]
    obligated: Money
    expended: Money
