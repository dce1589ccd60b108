"""Notification tables: one notification per case (or per public-record notice), and the
published sources each was read from. Both audited."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from secassist.storage.base import Base, audited
from secassist.storage.types import Money, UTCDateTime

STATUSES = ("draft", "informal_review", "formally_notified", "disapproved", "withdrawn")
ORIGINS = ("case", "public_record")
SOURCE_TYPES = ("federal_register", "congressional_record", "press_release", "state_letter", "other")


class Notification(Base):
    """A congressional notification (AECA §36(b), §36(c), §3(d)) and its review."""

    __tablename__ = "notification_notification"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint(f"origin IN {ORIGINS!r}", name="origin"),
        CheckConstraint(
            "(NOT emergency_waiver) OR (emergency_justification IS NOT NULL)", name="waiver_justified"
        ),
        CheckConstraint(
            "(NOT formally_notified) OR (formal_notification_on IS NOT NULL)", name="notified_dated"
        ),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("fms_case.id"), index=True, unique=True)
    transmittal: Mapped[str | None] = mapped_column(String(16), index=True)
    section: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # sale | commercial | retransfer
    purchaser: Mapped[str | None] = mapped_column(String(300))
    purchaser_country: Mapped[str | None] = mapped_column(String(4), index=True)
    implementing_agency: Mapped[str | None] = mapped_column(String(100))
    mde_value: Mapped[Decimal | None] = mapped_column(Money())
    other_value: Mapped[Decimal | None] = mapped_column(Money())
    total_value: Mapped[Decimal | None] = mapped_column(Money())
    design_construction_value: Mapped[Decimal | None] = mapped_column(Money())
    description: Mapped[str | None] = mapped_column(Text)
    policy_justification: Mapped[str | None] = mapped_column(Text)
    sensitivity: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), index=True)
    informal_review_on: Mapped[date | None] = mapped_column(Date)
    informal_review_days: Mapped[int | None] = mapped_column(Integer)
    formally_notified: Mapped[bool] = mapped_column(Boolean, index=True)
    formal_notification_on: Mapped[date | None] = mapped_column(Date)
    review_days: Mapped[int | None] = mapped_column(Integer)
    review_ends_on: Mapped[date | None] = mapped_column(Date, index=True)
    emergency_waiver: Mapped[bool] = mapped_column(Boolean)
    emergency_justification: Mapped[str | None] = mapped_column(Text)
    disapproval_resolution: Mapped[str | None] = mapped_column(String(100))
    disapproved_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NoticeSource(Base):
    """One published text a notification was read from (Federal Register, Record, release)."""

    __tablename__ = "notification_source"
    __table_args__ = (
        UniqueConstraint("sha256"),
        CheckConstraint(f"source_type IN {SOURCE_TYPES!r}", name="source_type"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification_notification.id"), index=True)
    source_type: Mapped[str] = mapped_column(String(24))
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    parsed: Mapped[str] = mapped_column(Text)  # the parser's JSON for this text
    stated_date: Mapped[date | None] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
