"""Pydantic schemas of the cases domain (API bodies and answers).

Money goes in as a string or an integer (never a float: it cannot carry cents exactly)
and comes out as a string. Writes to a case carry ``version``: the version the client
read; a stale one is answered 409.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Required, TypedDict, cast

from pydantic import BaseModel, ConfigDict, Field

from secassist.core.types import IsoDate, Money, MoneyIn, Quantity, RowId, Version


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LorCreate(_In):
    purchaser: str = Field(description="ISO 3166-1 alpha-2 country code, or a NATO body (NATO, NSPA).")
    request_type: str = Field(description="pa | loa | amendment | modification")
    financing: str = Field(description="national | fmf | mixed")
    received_on: IsoDate
    reference_number: str = ""
    articles_services: str = ""
    end_users: list[str] = []
    loa_type: str | None = None
    desired_value: MoneyIn | None = None
    third_party: str | None = None


class LorUpdate(_In):
    reference_number: str | None = None
    articles_services: str | None = None
    end_users: list[str] | None = None
    loa_type: str | None = None
    desired_value: MoneyIn | None = None
    third_party: str | None = None


class LorRead(BaseModel):
    id: int
    purchaser: str
    country: str | None
    request_type: str
    reference_number: str
    financing: str
    loa_type: str | None
    articles_services: str
    end_users: list[str]
    third_party: str | None
    desired_value: Money | None
    received_on: date
    complete_on: date | None
    missing: list[str]


class CaseCreate(_In):
    lor_id: RowId
    implementing_agency: str = Field(description="Letter (B, D, P) or abbreviation (USA, USAF, USN).")
    loa_type: str = Field(description="defined_order | blanket_order | clssa")
    title: str
    designator: str | None = Field(default=None, description="3 letters/digits; next free one when omitted.")
    aod_group: str | None = None
    transmittal: str | None = None


class CaseSummary(BaseModel):
    id: int
    identifier: str
    title: str
    purchaser: str
    country: str | None
    implementing_agency: str
    loa_type: str
    financing: str
    status: str
    version: int
    line_count: int
    mde_value: Money
    other_value: Money
    total_value: Money
    offered_on: date | None
    offer_expires_on: date | None
    is_demo: bool


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class LineCreate(_In):
    version: Version
    item_type: str
    description: str
    quantity: Quantity | str
    unit_cost: MoneyIn
    usml_category: str | None = None
    mde: bool = False
    sme: bool = False
    eeum: bool = False
    design_construction: bool | None = None
    contractor_org_id: RowId | None = None


class LineUpdate(_In):
    version: Version
    quantity: Quantity | str | None = None
    unit_cost: MoneyIn | None = None
    description: str | None = None
    contractor_org_id: RowId | None = None


class LineComplete(_In):
    version: Version
    on: IsoDate | None = None


class LineRead(BaseModel):
    id: int
    case_id: int
    case_identifier: str | None = None
    number: str
    item_type: str
    description: str
    usml_category: str | None
    mde: bool
    sme: bool
    eeum: bool
    design_construction: bool
    quantity: int
    unit_cost: Money
    value: Money
    contractor_org_id: int | None
    status: str
    ssc_on: date | None


class EventRead(BaseModel):
    id: int
    kind: str
    from_status: str | None
    to_status: str | None
    on: date
    at: datetime
    actor: str
    detail: str | None


class AmendmentRead(BaseModel):
    id: int
    kind: str
    number: int
    description: str
    status: str
    value_before: Money
    value_after: Money
    changes: dict[str, Any]
    warning: str | None
    created_on: date
    accepted_on: date | None


class GateRead(BaseModel):
    gate: str
    satisfied: bool | None  # None: withheld from this caller (workflows.offer.gates_as_seen)
    reason: str
    evidence: list[str]


class CaseRead(CaseSummary):
    lor: LorRead
    end_users: list[str]
    aod_group: str | None
    accepted_on: date | None
    initial_deposit: Money | None
    acceptance_document: str | None
    implemented_on: date | None
    closed_on: date | None
    restatements: int
    transmittal: str | None
    design_construction_value: Money
    next_statuses: list[str]
    lines: list[LineRead]
    events: list[EventRead]
    amendments: list[AmendmentRead]


class AdvanceIn(_In):
    to: str
    version: Version = Field(description="The case version you read; a stale one is answered 409.")
    on: IsoDate | None = None
    offer_expires_on: IsoDate | None = None
    initial_deposit: MoneyIn | None = None
    acceptance_document: str | None = Field(
        None,
        max_length=200,
        description="Accepting on the purchaser's behalf (an implementing agency): the signed LOA's "
        "reference.",
    )
    note: str | None = None


class OfferIn(_In):
    version: Version
    offer_expires_on: IsoDate
    on: IsoDate | None = None
    note: str | None = None


class NewLine(TypedDict, total=False):
    """A line an amendment adds, as :func:`secassist.cases.amendments.propose_amendment`
    takes it: the fields of :class:`LineCreate` but the case's version."""

    item_type: Required[str]
    description: Required[str]
    quantity: Required[int | str]
    unit_cost: Required[MoneyIn]
    usml_category: str | None
    mde: bool
    sme: bool
    eeum: bool
    design_construction: bool | None
    contractor_org_id: int | None


class AmendmentLine(_In):
    """A line an amendment adds (the API body's form of :class:`NewLine`)."""

    item_type: str
    description: str
    quantity: Quantity | str
    unit_cost: MoneyIn
    usml_category: str | None = None
    mde: bool = False
    sme: bool = False
    eeum: bool = False
    design_construction: bool | None = None
    contractor_org_id: RowId | None = None

    def new_line(self) -> NewLine:
        """The fields the client gave, as the service takes them (the amendment records
        what was asked; defaults are the service's)."""
        # The fields are NewLine's, checked by a test; the dump holds the given ones only.
        return cast(NewLine, self.model_dump(exclude_unset=True))


class AmendmentCreate(_In):
    version: Version
    description: str
    new_lines: list[AmendmentLine] = []
    quantity_changes: dict[str, Quantity | str] = {}


class AmendmentAccept(_In):
    version: Version
    on: IsoDate | None = None


class ModificationCreate(_In):
    version: Version
    description: str
    unit_costs: dict[str, MoneyIn] = {}
    # cost | delivery_schedule | payment_schedule | administrative (amendments.MODIFICATION_REASONS)
    reason: str = "cost"


class PhaseRead(BaseModel):
    status: str
    label: str
    start: date
    end: date | None
    days: int


class MilestonesRead(BaseModel):
    lor_received: date | None
    lor_complete: date | None
    offered: date | None
    aod_group: str | None
    aod: date | None
    days_to_offer: int | None
    days_from_receipt: int | None
    on_time: bool | None


class TimelineRead(BaseModel):
    identifier: str
    as_of: date
    milestones: MilestonesRead
    phases: list[PhaseRead]
    events: list[EventRead]


class ShareRead(BaseModel):
    due: int
    met: int
    share: str | None
    target: str


class DwellRead(BaseModel):
    status: str
    label: str
    cases: int
    mean_days: str
    median_days: str
    max_days: int


class MetricsRead(BaseModel):
    as_of: date
    cases: int
    offered: int
    mean_days_to_offer: str | None
    median_days_to_offer: str | None
    aod: ShareRead
    no_aod: int
    within_120_days: ShareRead
    dwell: list[DwellRead]
