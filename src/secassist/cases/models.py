"""FMS case tables: Letters of Request, cases, lines, the case's event history, and its
amendments and modifications. All audited; a case's derived values (MDE, other, total)
are computed from its lines, never stored on the case."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
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
from secassist.storage.types import Money, UTCDateTime

FINANCING = ("national", "fmf", "mixed")
LOA_TYPES = ("defined_order", "blanket_order", "clssa")
REQUEST_TYPES = ("pa", "loa", "amendment", "modification")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Lor(Base):
    """A Letter of Request (SAMM C5.1 [S2]): what the purchaser asked for, and when."""

    __tablename__ = "fms_lor"
    __table_args__ = (
        CheckConstraint(_in("request_type", REQUEST_TYPES), name="request_type"),
        CheckConstraint(_in("financing", FINANCING), name="financing"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchaser_code: Mapped[str] = mapped_column(String(8))  # ISO alpha-2, or NATO / NSPA
    country_code: Mapped[str | None] = mapped_column(String(2), index=True)  # None for a NATO body
    request_type: Mapped[str] = mapped_column(String(16))
    reference_number: Mapped[str] = mapped_column(String(64))
    financing: Mapped[str] = mapped_column(String(16))
    loa_type: Mapped[str | None] = mapped_column(String(16))
    articles_services: Mapped[str] = mapped_column(Text)
    end_users: Mapped[str] = mapped_column(Text)  # one per line
    third_party: Mapped[str | None] = mapped_column(Text)
    desired_value: Mapped[Decimal | None] = mapped_column(Money())
    received_on: Mapped[date] = mapped_column(Date)
    complete_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Case(Base):
    """An FMS case (one LOA and its history). ``version`` is the optimistic lock."""

    __tablename__ = "fms_case"
    __table_args__ = (
        CheckConstraint(_in("loa_type", LOA_TYPES), name="loa_type"),
        CheckConstraint(_in("financing", FINANCING), name="financing"),
        # The case list: newest first, filtered by purchaser and/or status; partners are
        # scoped by country.
        Index("ix_fms_case_purchaser_status", "purchaser_code", "status", "id"),
        Index("ix_fms_case_country_id", "country_code", "id"),
        Index("ix_fms_case_status_id", "status", "id"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(8), unique=True)  # CC-I-XXX
    purchaser_code: Mapped[str] = mapped_column(String(8))
    purchaser_is_body: Mapped[bool] = mapped_column(Boolean)
    country_code: Mapped[str | None] = mapped_column(String(2))  # ISO; None for a NATO body
    fms_country_code: Mapped[str] = mapped_column(String(2))
    implementing_agency: Mapped[str] = mapped_column(String(1), index=True)
    designator: Mapped[str] = mapped_column(String(3))
    loa_type: Mapped[str] = mapped_column(String(16))
    financing: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    end_users: Mapped[str] = mapped_column(Text)
    lor_id: Mapped[int] = mapped_column(ForeignKey("fms_lor.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    aod_group: Mapped[str | None] = mapped_column(String(1))
    offered_on: Mapped[date | None] = mapped_column(Date)
    offer_expires_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    initial_deposit: Mapped[Decimal | None] = mapped_column(Money())
    # The signed LOA an implementing agency names when it records the purchaser's acceptance
    # on its behalf (``service.check_acceptance``).
    acceptance_document: Mapped[str | None] = mapped_column(String(200))
    implemented_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    restatements: Mapped[int] = mapped_column(Integer, default=0)
    transmittal: Mapped[str | None] = mapped_column(String(16))  # 36(b) transmittal number, if notified
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    # The services bump ``version`` themselves (every change to the case or its lines);
    # the ORM adds ``WHERE version = <read>`` to each UPDATE, so a lost race updates no row.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class CaseLine(Base):
    """One line of a case; ``value`` = quantity × unit cost (kept by the service)."""

    __tablename__ = "fms_case_line"
    __table_args__ = (
        UniqueConstraint("case_id", "number"),
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint("status IN ('open', 'ssc')", name="status"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("fms_case.id"))
    number: Mapped[str] = mapped_column(String(3))
    item_type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(300))
    usml_category: Mapped[str | None] = mapped_column(String(5))
    mde: Mapped[bool] = mapped_column(Boolean)
    sme: Mapped[bool] = mapped_column(Boolean)
    eeum: Mapped[bool] = mapped_column(Boolean)
    design_construction: Mapped[bool] = mapped_column(Boolean)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[Decimal] = mapped_column(Money())
    value: Mapped[Decimal] = mapped_column(Money())
    contractor_org_id: Mapped[int | None] = mapped_column(ForeignKey("identity_organization.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    ssc_on: Mapped[date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseEvent(Base):
    """One step in a case's history (status change, line change, amendment...).

    The timeline, dwell times and metrics are computed from these rows."""

    __tablename__ = "fms_case_event"
    __table_args__ = (Index("ix_fms_case_event_case_on", "case_id", "occurred_on", "id"), audited())

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("fms_case.id"))
    kind: Mapped[str] = mapped_column(String(16))  # status | line | amendment | modification
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)


class Amendment(Base):
    """An amendment (scope change, needs the purchaser's acceptance) or a modification
    (unilateral, no scope change), numbered separately per case (SAMM C6.7 [S24])."""

    __tablename__ = "fms_amendment"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "number"),
        CheckConstraint("kind IN ('amendment', 'modification')", name="kind"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("fms_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # proposed | accepted | cancelled | issued
    value_before: Mapped[Decimal] = mapped_column(Money())
    value_after: Mapped[Decimal] = mapped_column(Money())
    changes: Mapped[str] = mapped_column(Text)  # canonical JSON of the line changes
    warning: Mapped[str | None] = mapped_column(Text)
    created_on: Mapped[date] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseParticipant(Base):
    """A participating nation of a multinational (lead-nation) case: a NATO member that the
    LOA names beside the lead nation or NATO body that buys (SAMM C5.6 [S21]; LNP [S20]).

    ``assurances_signed_on`` records its signed "Basic Retransfer Assurances and LOA Standard
    Terms and Conditions for Participating Nations", without which the lead nation may not
    transfer it an article (standard case note [S70]); ``named_in_notification`` whether the
    case's §36(b) notification named it as a transferee (AECA §3(d)(4)(C)(ii) [S124])."""

    __tablename__ = "fms_case_participant"
    __table_args__ = (
        UniqueConstraint("case_id", "country_code"),
        CheckConstraint(
            "(assurances_signed_on IS NULL) = (assurances_signatory IS NULL)", name="assurances_signed"
        ),
        # Partners see the cases they are named on (cases.common.scoped_cases).
        Index("ix_fms_case_participant_country", "country_code", "case_id"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("fms_case.id"))
    country_code: Mapped[str] = mapped_column(String(2))
    added_on: Mapped[date] = mapped_column(Date)
    assurances_signed_on: Mapped[date | None] = mapped_column(Date)
    assurances_signatory: Mapped[str | None] = mapped_column(String(300))
    named_in_notification: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
