"""Vetting tables: proposals, reviewers' determinations, decisions with their findings and
sign-offs, pre-decisional notes, the end-use history, and the imported SIPRI register.

All are audited except the register's holdings, which are derived from the imported file;
the import row (audited) carries the file's SHA-256, so they can be rebuilt and checked.
"""

from __future__ import annotations

from datetime import date, datetime

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
from secassist.storage.types import UTCDateTime


class VettingProposal(Base):
    """A proposal as submitted: the canonical JSON of :class:`~secassist.vetting.proposal.Proposal`."""

    __tablename__ = "vetting_proposal"
    __table_args__ = audited()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str | None] = mapped_column(String(100), index=True)  # "case:12"
    country_code: Mapped[str | None] = mapped_column(String(4), index=True)  # purchaser
    proposed_on: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(300))


class VettingDetermination(Base):
    """A reviewer's determination on a factor of a proposal; the latest per factor counts."""

    __tablename__ = "vetting_determination"
    __table_args__ = (
        CheckConstraint("assessment IN ('satisfactory', 'doubts', 'adverse')", name="assessment"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("vetting_proposal.id"), index=True)
    factor: Mapped[str] = mapped_column(String(40))
    assessment: Mapped[str] = mapped_column(String(16))
    more_likely_than_not: Mapped[bool] = mapped_column(Boolean)
    actual_knowledge: Mapped[bool] = mapped_column(Boolean)
    basis: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VettingDecision(Base):
    """One evaluation of a proposal under a profile, then its sign-offs and final decision.
    A later evaluation of the same proposal supersedes an open one."""

    __tablename__ = "vetting_decision"
    __table_args__ = (
        CheckConstraint("recommendation IN ('approve', 'review', 'deny')", name="recommendation"),
        CheckConstraint("status IN ('open', 'final', 'superseded')", name="status"),
        CheckConstraint(
            "final_decision IS NULL OR final_decision IN ('approve', 'deny')", name="final_decision"
        ),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("vetting_proposal.id"), index=True)
    country_code: Mapped[str | None] = mapped_column(String(4), index=True)
    profile_id: Mapped[str] = mapped_column(String(40))
    profile_version: Mapped[str] = mapped_column(String(60))
    recommendation: Mapped[str] = mapped_column(String(8))
    required_offices: Mapped[str] = mapped_column(String(200))  # space-separated
    status: Mapped[str] = mapped_column(String(12))
    final_decision: Mapped[str | None] = mapped_column(String(8))
    provisos: Mapped[str | None] = mapped_column(Text)  # JSON list
    final_comment: Mapped[str | None] = mapped_column(Text)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    evaluated_by: Mapped[str] = mapped_column(String(300))
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalized_by: Mapped[str | None] = mapped_column(String(300))


class VettingFinding(Base):
    __tablename__ = "vetting_finding"
    __table_args__ = (
        CheckConstraint("outcome IN ('clear', 'concern', 'block')", name="outcome"),
        UniqueConstraint("decision_id", "position"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("vetting_decision.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    factor: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(8))
    signal: Mapped[str] = mapped_column(String(40))
    rationale: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # JSON list
    authority: Mapped[str] = mapped_column(Text)
    office: Mapped[str | None] = mapped_column(String(40))


class VettingSignoff(Base):
    __tablename__ = "vetting_signoff"
    __table_args__ = (
        CheckConstraint(
            "office IN ('political_military', 'human_rights', 'technology_security')", name="office"
        ),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("vetting_decision.id"), index=True)
    office: Mapped[str] = mapped_column(String(40))
    concur: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[int | None] = mapped_column(Integer)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VettingNote(Base):
    """A pre-decisional reviewer note (resource kind ``vetting_note``: DoD may not see it)."""

    __tablename__ = "vetting_note"
    __table_args__ = audited()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("vetting_proposal.id"), index=True)
    country_code: Mapped[str | None] = mapped_column(String(4))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EndUseRecordRow(Base):
    """The end-use history behind :class:`~secassist.vetting.context.DiversionHistory`."""

    __tablename__ = "vetting_enduse_record"
    __table_args__ = (
        CheckConstraint("kind IN ('unauthorized_transfer', 'delinquent_inventory', 'incident')", name="kind"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    occurred_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(300))


class SipriImport(Base):
    """One import of a SIPRI trade register file; the latest is the one the rules use."""

    __tablename__ = "vetting_sipri_import"
    __table_args__ = audited()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    generated: Mapped[str] = mapped_column(String(100))
    records: Mapped[int] = mapped_column(Integer)
    unmapped_recipients: Mapped[str] = mapped_column(Text)  # JSON list of names with no ISO code
    holdings: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(300))


class SipriHolding(Base):
    """Derived from the imported file (not audited; see the module docstring): a recipient
    country and a class of weapon, with the first year ordered and example designations."""

    __tablename__ = "vetting_sipri_holding"
    __table_args__ = (
        Index("ix_vetting_sipri_holding_lookup", "import_id", "weapon_description", "country_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("vetting_sipri_import.id"))
    country_code: Mapped[str] = mapped_column(String(2))
    weapon_description: Mapped[str] = mapped_column(String(200))
    first_order_year: Mapped[int] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)
    designations: Mapped[str] = mapped_column(Text)  # "; "-separated, a few
