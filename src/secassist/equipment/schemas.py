"""What the equipment domain hands its callers: plain inputs from other domains, and the
read shapes whose keys are the CLI/API contract of issue #12 (money as decimal strings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class LineRef:
    """A case line as a delivery needs it; the deliver workflow builds it from the cases
    domain's ``CaseFacts`` (domains do not import each other)."""

    case_id: int
    case_ref: str  # CC-I-XXX
    case_status: str
    accepted_on: date | None
    purchaser_code: str  # ISO alpha-2, or a NATO body code
    purchaser_country: str | None  # None for a NATO body
    line_id: int
    line_number: str
    description: str
    quantity: int
    unit_cost: Decimal
    eeum: bool  # the line's case-unique EEUM designation


@dataclass(frozen=True)
class LeahyLink:
    """The Leahy unit a recipient unit is (read through the vetting domain by a workflow)."""

    unit_id: int
    country: str


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class ItemRead(_Read):
    """One row of ``secassist equipment items``."""

    serial: str
    item_type: str
    case: str
    line: str
    holder_country: str | None
    site: str | None
    state: str
    eeum: bool
    unit_value_usd: Decimal


class LotRead(_Read):
    lot_id: int
    item_type: str
    case: str
    line: str
    quantity: int
    site: str
    unit_value_usd: Decimal


class Delivered(_Read):
    """What one delivery created, and the line's derived totals after it."""

    case: str
    line: str
    on: date
    items: list[ItemRead]
    lot: LotRead | None = None
    line_quantity: int
    delivered_quantity: int
    delivered_value_usd: Decimal


class TraceEvent(_Read):
    kind: str
    on: date
    site: str | None
    holder: str | None
    audit_seq: int | None
    found: bool | None = None
    unit: str | None = None


class TraceStep(_Read):
    """A step of the chain that is not a custody event (funding, case, notification)."""

    step: str
    detail: dict[str, Any]
    audit_seq: int | None


class Trace(_Read):
    serial: str
    item_type: str
    case: str
    line: str
    state: str
    holder_country: str | None
    events: list[TraceEvent]
    steps: list[TraceStep] = []
    incidents: list[dict[str, Any]] = []
    proofs: list[dict[str, Any]] = []
