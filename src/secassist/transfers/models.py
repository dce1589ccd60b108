"""Transfer tables: third-party transfer requests, the items each names, the transfer's own
findings (the vetting engine's are on its ``vetting_decision``), and the offices' inbox.
All audited: ``secassist audit verify`` compares every row with its last after-image.

Values are integer cents, summed in SQL on both databases as the equipment registry does.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from secassist.storage.base import Base, audited
from secassist.storage.types import UTCDateTime
from secassist.transfers.rules import KINDS, STATUSES


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TransferRequest(Base):
    """A request for U.S. consent to a third-party transfer, change of end use, temporary
    transfer or disposal (AECA §3(a)/(b), SAMM C8.7 [S37][S73]), its §3(d) certification and
    the decision and execution."""

    __tablename__ = "transfer_request"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("(NOT certified) OR (certified_on IS NOT NULL)", name="certified_dated"),
        CheckConstraint("lot_id IS NULL OR lot_quantity > 0", name="lot_quantity"),
        Index("ix_transfer_request_from_status", "from_country", "status"),
        Index("ix_transfer_request_to_status", "to_party", "status"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_country: Mapped[str] = mapped_column(String(8))
    to_party: Mapped[str] = mapped_column(String(8))  # a country or a NATO body (reference code)
    kind: Mapped[str] = mapped_column(String(24))
    end_use: Mapped[str] = mapped_column(Text)
    end_user: Mapped[str] = mapped_column(String(300))
    requested_on: Mapped[date] = mapped_column(Date)
    return_by: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_lot.id"), index=True)
    lot_quantity: Mapped[int | None] = mapped_column(Integer)
    # Original acquisition cost (AECA §3(d) values, domain.md §2): the delivered unit values.
    total_value_cents: Mapped[int] = mapped_column(BigInteger)
    mde_value_cents: Mapped[int] = mapped_column(BigInteger)
    notification_required: Mapped[bool] = mapped_column(Boolean)
    notification_section: Mapped[str | None] = mapped_column(String(16))
    review_days: Mapped[int | None] = mapped_column(Integer)
    exclusion: Mapped[str | None] = mapped_column(Text)
    certified: Mapped[bool] = mapped_column(Boolean, index=True)
    certified_on: Mapped[date | None] = mapped_column(Date)
    review_ends_on: Mapped[date | None] = mapped_column(Date)
    vetting_decision_id: Mapped[int | None] = mapped_column(ForeignKey("vetting_decision.id"), index=True)
    decision: Mapped[str | None] = mapped_column(String(8))
    provisos: Mapped[str | None] = mapped_column(Text)  # JSON list
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(300))
    approval_expires_on: Mapped[date | None] = mapped_column(Date)
    executed_on: Mapped[date | None] = mapped_column(Date)
    # A lot request's executed units: the lot split off for the recipient (returned from it).
    received_lot_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_lot.id"))
    returned_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(300))


class TransferItem(Base):
    """A serialized item a request names (the serials State approves are exactly these)."""

    __tablename__ = "transfer_item"
    __table_args__ = (UniqueConstraint("request_id", "item_id"), audited())

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("transfer_request.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_item.id"), index=True)
    serial: Mapped[str] = mapped_column(String(64))
    value_cents: Mapped[int] = mapped_column(BigInteger)
    mde: Mapped[bool] = mapped_column(Boolean)


class TransferFinding(Base):
    """One of the transfer's own checks (the §3(d) requirement, incidents, inventories), in
    the vetting engine's shape: factor, outcome, rationale, evidence."""

    __tablename__ = "transfer_finding"
    __table_args__ = (
        UniqueConstraint("request_id", "position"),
        CheckConstraint("outcome IN ('clear', 'concern', 'block')", name="outcome"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("transfer_request.id"))
    position: Mapped[int] = mapped_column(Integer)
    factor: Mapped[str] = mapped_column(String(48))
    outcome: Mapped[str] = mapped_column(String(8))
    rationale: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # JSON list of references
    authority: Mapped[str] = mapped_column(Text)


class InboxEntry(Base):
    """A message to a country's security cooperation office: the notice inspectors found
    missing — the receiving SCO was not told when EEUM items arrived from an ally [S69].
    A third-party transfer's entry names its request; a lead-nation transfer has no request
    and names its multinational case instead."""

    __tablename__ = "transfer_inbox"
    __table_args__ = (
        Index("ix_transfer_inbox_country", "country_code", "id"),
        CheckConstraint("request_id IS NOT NULL OR case_id IS NOT NULL", name="subject"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(String(8))
    office: Mapped[str | None] = mapped_column(String(200))  # the SCO's name, when one is registered
    request_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_request.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("fms_case.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeadNationNotice(Base):
    """The lead nation's written notice to State (PM/RSAT) of the initial transfer of a
    multinational case's articles to one participating nation: date, items and serials
    (standard LNP case note [S70]; domain.md §6). One per case and participant; later
    retransfers among the named participants go under the case's blanket authorization
    (SAMM C5.6, Fig. C5.F20 [S21])."""

    __tablename__ = "transfer_lead_notice"
    __table_args__ = (UniqueConstraint("case_id", "to_country"), audited())

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("fms_case.id"))
    case_ref: Mapped[str] = mapped_column(String(8))
    from_country: Mapped[str] = mapped_column(String(8))
    to_country: Mapped[str] = mapped_column(String(8))
    notified_on: Mapped[date] = mapped_column(Date)
    serials: Mapped[str] = mapped_column(Text)  # JSON list
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(300))
