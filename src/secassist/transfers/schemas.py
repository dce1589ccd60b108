"""Input and read shapes of transfer requests (API and web), and the presenters that build
the read shapes from rows they are given (they do no query: see :mod:`.queries`).

The keys follow the CLI's scripting contract of issue #13 (``secassist transfers request
--format json``: ``id``, ``status``, ``findings[{factor, outcome, rationale}]``,
``notification{required, section, review_days}``; ``transfers list``: the list columns);
money is a decimal string of dollars, as in the equipment registry.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from secassist.core.types import IsoDate, Quantity, RowId
from secassist.transfers.models import InboxEntry, TransferItem, TransferRequest

# --- input shapes ----------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScreeningIn(_In):
    """A party's screening outcome as the caller states it (the vetting engine's
    ``ScreeningOutcome``; a workflow converts it: domains do not import each other)."""

    status: Literal["clear", "false_positive", "potential_match", "true_match"]
    screening_id: str | None = Field(default=None, max_length=64)


class DeterminationIn(_In):
    """A reviewer's judgment the vetting engine weighs (as in ``/vetting/cases``)."""

    factor: str = Field(max_length=48)
    assessment: Literal["satisfactory", "doubts", "adverse"]
    basis: str = Field(min_length=1, max_length=4000)


class TransferCreate(_In):
    """A request for consent from the holder country (``transfers request``)."""

    from_country: str = Field(min_length=2, max_length=8, description="The holder country (ISO alpha-2).")
    to: str = Field(min_length=2, max_length=8, description="The recipient: a country or a NATO body.")
    kind: str = Field(max_length=24, description="retransfer, temporary_repair, … (see the CLI).")
    on: IsoDate = Field(description="The requested date.")
    end_use: str = Field(min_length=1, max_length=4000)
    end_user: str | None = Field(default=None, max_length=300)
    return_by: IsoDate | None = Field(default=None, description="Temporary transfers: the return date.")
    serials: list[str] = Field(default_factory=list, max_length=10_000)
    lot: RowId | None = Field(default=None, description="A bulk lot's id (with quantity).")
    quantity: Quantity | None = Field(default=None, ge=1)
    screenings: dict[str, ScreeningIn] | None = Field(
        default=None,
        description="Outcome per party name; omitted: the parties are screened against the loaded lists.",
    )
    determinations: list[DeterminationIn] = Field(default_factory=list, max_length=20)


class DecisionIn(_In):
    """State's decision (``transfers decide``)."""

    decision: str = Field(pattern="^(approve|deny)$")
    on: IsoDate | None = Field(default=None, description="Decision date (default today).")
    provisos: list[str] = Field(default_factory=list, max_length=50)
    valid_until: IsoDate | None = Field(default=None, description="Last day the approval may be executed.")


class DateIn(_In):
    """A dated step: the certification sent to Congress, the return."""

    on: IsoDate


class ExecuteIn(_In):
    """The execution: its date and, optionally, the serials moved."""

    on: IsoDate
    serials: list[str] | None = Field(
        default=None, max_length=10_000, description="Execution: the serials moved (must be those approved)."
    )
    site: str | None = Field(
        default=None,
        max_length=200,
        description="A lot request: the receiving site (id or name).",
    )


# --- read shapes -----------------------------------------------------------------------


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class FindingRead(_Read):
    factor: str
    outcome: str
    rationale: str
    evidence: list[str] = []


class NotificationRead(_Read):
    """The §3(d) congressional requirement computed at filing."""

    required: bool
    section: str | None
    review_days: int | None
    exclusion: str | None = None


class CertificationRead(_Read):
    certified: bool
    certified_on: date | None
    review_ends_on: date | None


class DecisionRead(_Read):
    decision: str | None
    provisos: list[str]
    decided_on: date | None
    decided_by: str | None
    approval_expires_on: date | None


class ExecutionRead(_Read):
    executed_on: date | None
    return_by: date | None
    returned_on: date | None


class TransferItemRead(_Read):
    serial: str
    value_usd: Decimal
    mde: bool


class TransferRow(_Read):
    """One row of ``secassist transfers list``."""

    id: int
    status: str
    kind: str
    from_: str = Field(serialization_alias="from")
    to: str
    requested_on: date
    return_by: date | None
    serials: str
    value_usd: Decimal
    notification_required: bool
    certified_on: date | None
    decided_on: date | None
    executed_on: date | None
    returned_on: date | None


class TransferPage(_Read):
    items: list[TransferRow]
    total: int
    limit: int
    offset: int


class TransferRead(_Read):
    """One request in full: the request, its findings, the §3(d) requirement and
    certification, State's decision and the execution."""

    id: int
    status: str
    kind: str
    from_: str = Field(serialization_alias="from")
    to: str
    end_use: str
    end_user: str
    requested_on: date
    serials: list[str]
    items: list[TransferItemRead]
    lot: int | None
    quantity: int | None
    value_usd: Decimal
    mde_value_usd: Decimal
    findings: list[FindingRead]
    notification: NotificationRead
    certification: CertificationRead
    decision: DecisionRead
    execution: ExecutionRead
    vetting_decision_id: int | None
    created_by: str


class InboxRead(_Read):
    """An entry of a country office's inbox (``transfers inbox``)."""

    id: int
    on: date
    country: str
    office: str | None
    request: int | None = Field(description="The request, for a third-party transfer.")
    case: int | None = Field(description="The multinational case (id), for a lead-nation transfer.")
    subject: str
    body: str


# --- presenters ------------------------------------------------------------------------


def usd(cents: int) -> Decimal:
    """Integer cents as dollars, exactly."""
    return Decimal(cents).scaleb(-2)


def provisos_of(req: TransferRequest) -> list[str]:
    value = json.loads(req.provisos or "[]")
    return [str(v) for v in value] if isinstance(value, list) else []


def row_read(req: TransferRequest, items: Sequence[TransferItem]) -> TransferRow:
    return TransferRow(
        id=req.id,
        status=req.status,
        kind=req.kind,
        from_=req.from_country,
        to=req.to_party,
        requested_on=req.requested_on,
        return_by=req.return_by,
        serials=" ".join(i.serial for i in items),
        value_usd=usd(req.total_value_cents),
        notification_required=req.notification_required,
        certified_on=req.certified_on,
        decided_on=req.decided_on,
        executed_on=req.executed_on,
        returned_on=req.returned_on,
    )


def transfer_read(
    req: TransferRequest, items: Sequence[TransferItem], findings: Sequence[FindingRead]
) -> TransferRead:
    return TransferRead(
        id=req.id,
        status=req.status,
        kind=req.kind,
        from_=req.from_country,
        to=req.to_party,
        end_use=req.end_use,
        end_user=req.end_user,
        requested_on=req.requested_on,
        serials=[i.serial for i in items],
        items=[TransferItemRead(serial=i.serial, value_usd=usd(i.value_cents), mde=i.mde) for i in items],
        lot=req.lot_id,
        quantity=req.lot_quantity,
        value_usd=usd(req.total_value_cents),
        mde_value_usd=usd(req.mde_value_cents),
        findings=list(findings),
        notification=NotificationRead(
            required=req.notification_required,
            section=req.notification_section,
            review_days=req.review_days,
            exclusion=req.exclusion,
        ),
        certification=CertificationRead(
            certified=req.certified, certified_on=req.certified_on, review_ends_on=req.review_ends_on
        ),
        decision=DecisionRead(
            decision=req.decision,
            provisos=provisos_of(req),
            decided_on=req.decided_on,
            decided_by=req.decided_by,
            approval_expires_on=req.approval_expires_on,
        ),
        execution=ExecutionRead(
            executed_on=req.executed_on, return_by=req.return_by, returned_on=req.returned_on
        ),
        vetting_decision_id=req.vetting_decision_id,
        created_by=req.created_by,
    )


def inbox_read(e: InboxEntry) -> InboxRead:
    return InboxRead(
        id=e.id,
        on=e.created_on,
        country=e.country_code,
        office=e.office,
        request=e.request_id,
        case=e.case_id,
        subject=e.subject,
        body=e.body,
    )


# --- lead-nation (multinational) cases --------------------------------------------------


class ParticipantRead(_Read):
    """A participating nation: its signed assurances, whether the §36(b) notification named
    it, and the date of the notice to State of the initial transfer to it."""

    country: str
    assurances_signed_on: date | None
    assurances_signatory: str | None
    named_in_notification: bool
    notice_on: date | None


class NationHoldingRead(_Read):
    """What one country holds of the case, at original acquisition value."""

    country: str
    role: Literal["lead", "participant", "other"]
    items: int
    item_value_usd: Decimal
    lot_units: int
    lot_value_usd: Decimal


class HeldItemRead(_Read):
    serial: str
    item_type: str
    holder_country: str | None
    holder_org: str | None
    site: str | None
    state: str
    value_usd: Decimal


class HeldLotRead(_Read):
    lot_id: int
    lot_number: str | None
    item_type: str
    country: str
    site: str
    held: int
    parent_lot_id: int | None


class CaseHoldingsRead(_Read):
    """A multinational case's participants and who holds what: the totals by nation, and
    the items and lots the caller may see (its own holdings, for a participant)."""

    case: str
    title: str
    lead: str
    participants: list[ParticipantRead]
    holdings: list[NationHoldingRead]
    items: list[HeldItemRead]
    lots: list[HeldLotRead]


class MultinationalCaseRow(_Read):
    case: str
    title: str
    lead: str
