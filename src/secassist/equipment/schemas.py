"""What the equipment domain hands its callers: plain inputs from other domains, and the
read shapes whose keys are the CLI/API contract of issue #12 (money as decimal strings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from secassist.core.types import IsoDate, Money


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


# --- the JSON API (``/api/v1/equipment``): pages, bodies and answers --------------------
#
# The answers reuse the CLI's JSON keys (issue #12's scripting contract); money and shares
# are decimal strings. Bodies forbid unknown keys and bound what they accept, so a typo is a
# 422 naming the field rather than a silently ignored option.

MAX_BATCH = 10_000  # serials in one delivery request


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Contract(BaseModel):
    """An answer whose keys are the CLI's: built from the domain's ``as_json`` and
    refusing any key the contract does not name."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ItemPage(_Read):
    items: list[ItemRead]
    total: int
    limit: int
    offset: int


class SiteRead(_Read):
    """One row of ``secassist equipment sites list``."""

    id: int
    name: str
    country: str
    organization: str


class DeliveryCreate(_In):
    """Deliver serialized items (``serials``) or one bulk lot (``quantity``) against a line."""

    case: str = Field(min_length=1, max_length=16, description="Case identifier (PL-D-AAA) or id.")
    line: str = Field(pattern=r"^\d{1,3}$", description="Line number as the case shows it (001).")
    on: IsoDate = Field(description="Delivery date.")
    site: str = Field(min_length=1, max_length=200, description="The receiving site's name or id.")
    serials: list[str] | None = Field(default=None, min_length=1, max_length=MAX_BATCH)
    quantity: int | None = Field(default=None, ge=1, le=100_000_000, description="Bulk quantity.")
    item_type: str | None = Field(default=None, max_length=32, description="Default: from the line.")
    manufacturer: str = Field(default="", max_length=100)
    lot_number: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one_of(self) -> DeliveryCreate:
        if (self.serials is None) == (self.quantity is None):
            raise ValueError("give exactly one of serials or quantity")
        return self


class EventCreate(_In):
    """A custody event for one serial (see ``equipment/custody.py`` for the rules)."""

    kind: str = Field(min_length=1, max_length=16, description="received, stored, issued, loaned, …")
    on: IsoDate
    site: str | None = Field(default=None, max_length=200, description="Site name or id.")
    unit: str | None = Field(default=None, max_length=300, description="Recipient unit name or id.")
    holder_country: str | None = Field(default=None, max_length=8, description="New holder (transfers).")
    found: bool | None = Field(default=None, description="Inventories only: found (default) or not.")
    item_type: str | None = Field(default=None, max_length=32, description="When the serial is ambiguous.")
    performed_by: str | None = Field(default=None, max_length=300)
    note: str | None = Field(default=None, max_length=2000)


class EventRead(_Read):
    """A recorded custody event, the audit entry that records it, and the item's state after."""

    serial: str
    item_type: str
    kind: str
    on: date
    seq: int
    site: str | None
    unit: str | None
    holder_country: str | None
    found: bool | None
    state: str
    audit_seq: int | None


class DelinquentItemRead(_Contract):
    serial: str
    item_type: str
    due_on: date
    value_usd: Money


class CountryDelinquencyRead(_Contract):
    country: str
    offices: list[str]
    eeum_value_usd: Money
    delinquent_value_usd: Money
    delinquent_share: Money
    items: list[DelinquentItemRead]


class DelinquencyRead(_Contract):
    """``secassist equipment delinquency --format json``."""

    as_of: date
    eeum_value_usd: Money
    delinquent_value_usd: Money
    delinquent_share: Money
    by_country: list[CountryDelinquencyRead]


class ScanSerial(_Contract):
    serial: str
    item_type: str | None


class ScanFound(ScanSerial):
    condition: str | None


class ScanUnexpected(ScanSerial):
    line: int


class ScanWrongSite(ScanSerial):
    registered_site: str | None


class ScanGone(ScanSerial):
    state: str


class ReconcileRead(_Contract):
    """``secassist equipment reconcile --format json``."""

    found: list[ScanFound]
    missing: list[ScanSerial]
    unexpected: list[ScanUnexpected]
    wrong_site: list[ScanWrongSite]
    gone: list[ScanGone]
    applied: bool
    recorded: int


class IncidentCreate(_In):
    """A possible EUM violation (SAMM C8.6): loss, theft, unauthorized access, use or transfer."""

    country: str = Field(min_length=2, max_length=2, description="ISO alpha-2 country code.")
    kind: str = Field(min_length=1, max_length=24)
    discovered_on: IsoDate
    description: str = Field(min_length=1, max_length=10_000)
    serial: str | None = Field(default=None, max_length=64)
    site: str | None = Field(default=None, max_length=200)
    occurred_on: IsoDate | None = None


class IncidentDate(_In):
    on: IsoDate


class IncidentRead(_Read):
    id: int
    country: str
    kind: str
    serial: str | None
    site: str | None
    description: str
    occurred_on: date | None
    discovered_on: date
    report_due_on: date
    offices: list[str]
    reported_on: date | None
    status: str
    closed_on: date | None
