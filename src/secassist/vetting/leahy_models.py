"""Leahy tables: the units registry, vetting requests and outcomes, duty-to-inform tasks
and remediation. All audited."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from secassist.storage.base import Base, audited
from secassist.storage.types import UTCDateTime


class LeahyUnit(Base):
    __tablename__ = "leahy_unit"
    __table_args__ = (UniqueConstraint("country_code", "name"), audited())

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), index=True)
    name: Mapped[str] = mapped_column(String(300))
    unit_type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeahyVetting(Base):
    """A vetting request for a unit and, once decided, its outcome and validity window."""

    __tablename__ = "leahy_vetting"
    __table_args__ = (
        CheckConstraint(
            "status IN ('requested', 'approved', 'suspended', 'denied', 'cancelled')", name="status"
        ),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("leahy_unit.id"), index=True)
    country_code: Mapped[str] = mapped_column(String(2), index=True)
    requested_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(Text)
    sources_checked: Mapped[str] = mapped_column(Text)  # JSON list
    status: Mapped[str] = mapped_column(String(12))
    decided_on: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # exclusive
    basis: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(300))
    decided_by: Mapped[str | None] = mapped_column(String(300))


class LeahyDutyToInform(Base):
    """When assistance is withheld on credible information, the foreign government is to be
    informed (FAA §620M [S91][S92])."""

    __tablename__ = "leahy_duty_to_inform"
    __table_args__ = (CheckConstraint("status IN ('open', 'done')", name="status"), audited())

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vetting_id: Mapped[int] = mapped_column(ForeignKey("leahy_vetting.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("leahy_unit.id"))
    country_code: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(8))
    opened_on: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class LeahyRemediation(Base):
    """A path back to eligibility: §620M(b) effective steps, or DoD corrective steps [S95]."""

    __tablename__ = "leahy_remediation"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'accepted', 'rejected')", name="status"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vetting_id: Mapped[int] = mapped_column(ForeignKey("leahy_vetting.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("leahy_unit.id"))
    country_code: Mapped[str] = mapped_column(String(2))
    authority: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    proposed_on: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(300))
