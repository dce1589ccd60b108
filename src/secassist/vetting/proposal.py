"""The engine's input: a transfer proposal and the context facts the rules need.

Plain, frozen values: the screening outcome of each named party, the Leahy status of each
recipient unit and the reviewers' determinations are given *as values*, so every rule stays
a pure function. A workflow (``workflows/vetting_case.py``) builds a proposal from a case;
the engine knows nothing of cases.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from secassist.core.errors import ValidationFailedError
from secassist.core.types import to_money
from secassist.reference.schemas import to_roman

ScreeningStatus = Literal["clear", "potential_match", "true_match", "false_positive"]
LeahyState = Literal["approved", "suspended", "denied", "cancelled", "expired", "requested", "none"]
Financing = Literal["national", "fmf", "imet", "pko", "section_333"]
Role = Literal["purchaser", "end_user", "consignee", "intermediary"]
Assessment = Literal["satisfactory", "doubts", "adverse"]

# Assistance funds: Leahy applies (22 U.S.C. 2378d; 10 U.S.C. 362); not to FMS/DCS sales
# paid with national funds (domain.md §8 [S92]).
ASSISTANCE: frozenset[str] = frozenset({"fmf", "imet", "pko", "section_333"})
USML_ROMAN = tuple(to_roman(n) for n in range(1, 22))


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScreeningOutcome(_Frozen):
    """The outcome of screening one party against the lists, as a plain value:
    ``potential_match`` means a hit the analyst has not yet dispositioned."""

    status: ScreeningStatus
    screening_id: str | None = None  # the screening record ("screening:17")


class Party(_Frozen):
    name: str = Field(min_length=1, max_length=300)
    role: Role
    country: str | None = Field(default=None, min_length=2, max_length=4)
    screening: ScreeningOutcome | None = None

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.strip().upper() if v else None


class LeahyStatus(_Frozen):
    status: LeahyState = "none"
    vetting_id: int | None = None
    valid_until: date | None = None


class RecipientUnit(_Frozen):
    name: str = Field(min_length=1, max_length=300)
    country: str = Field(min_length=2, max_length=2)
    unit_id: int | None = None
    leahy: LeahyStatus = LeahyStatus()


class Item(_Frozen):
    description: str = Field(min_length=1, max_length=500)
    item_type: str = Field(min_length=1, max_length=100)  # e.g. "fighter aircraft" (SIPRI's words)
    usml_category: str | None = None
    mde: bool = False
    sme: bool = False
    eeum: bool = False
    quantity: int = Field(default=1, ge=0)
    value: Decimal = Decimal("0.00")

    @field_validator("value", mode="before")
    @classmethod
    def _money(cls, v: object) -> Decimal:
        return to_money(v, field="value")

    @field_validator("usml_category")
    @classmethod
    def _usml(cls, v: str | None) -> str | None:
        if v is None:
            return None
        roman = v.strip().upper()
        if roman not in USML_ROMAN:
            raise ValueError(f"{v!r} is not a USML category (I to XXI)")
        return roman


class Determination(_Frozen):
    """A reviewer's determination on a factor that needs human judgement, with its basis.

    For ``human_rights``: ``more_likely_than_not`` is the NSM-18 bright-line finding,
    ``actual_knowledge`` the NSPM-10 test (domain.md §4 [S55][S56])."""

    factor: str
    assessment: Assessment
    basis: str = Field(min_length=1, max_length=4000)
    reviewer: str = Field(min_length=1, max_length=300)
    more_likely_than_not: bool = False
    actual_knowledge: bool = False


class Proposal(_Frozen):
    """A transfer proposal on a date: who gets what, paid how, and what is known of them."""

    title: str = Field(min_length=1, max_length=300)
    reference: str | None = Field(default=None, max_length=100)  # "case:12", set by the workflow
    # A fingerprint of the source record the workflow built this from (the case's facts),
    # so a gate can tell whether the proposal still describes the record.
    source_version: str | None = Field(default=None, max_length=100)
    date: date
    purchaser: Party
    end_users: tuple[Party, ...] = ()
    consignees: tuple[Party, ...] = ()
    intermediaries: tuple[Party, ...] = ()
    recipient_units: tuple[RecipientUnit, ...] = ()
    items: tuple[Item, ...] = Field(min_length=1)
    financing: tuple[Financing, ...] = Field(min_length=1)
    determinations: tuple[Determination, ...] = ()

    @property
    def country(self) -> str | None:
        return self.purchaser.country

    @property
    def parties(self) -> tuple[Party, ...]:
        return (self.purchaser, *self.end_users, *self.consignees, *self.intermediaries)

    @property
    def total_value(self) -> Decimal:
        return sum((i.value for i in self.items), Decimal("0.00"))

    def determination(self, factor: str) -> Determination | None:
        """The last determination recorded for ``factor`` (later ones supersede)."""
        found = [d for d in self.determinations if d.factor == factor]
        return found[-1] if found else None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON, determinations excluded (they come later)."""
        body = self.model_dump(mode="json", exclude={"determinations"})
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def parse_proposal(raw: object, *, where: str = "proposal") -> Proposal:
    """Validate a proposal from JSON/YAML data; errors name the field."""
    try:
        return Proposal.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or where
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ValidationFailedError(f"{where}: {loc}: {first['msg']}{more}", field=loc) from None
    except ValidationFailedError as exc:
        raise ValidationFailedError(f"{where}: {exc.message}", field=exc.field) from None
