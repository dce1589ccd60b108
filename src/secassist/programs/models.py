"""Program tables: appropriations and the one append-only ledger of money movements.

Balances are never stored: every figure (allocated, obligated, expended, available) is a
sum over ``program_entry`` rows as of a date. A correction is a reversing entry that
points at the entry it cancels; database triggers (migration 0007) refuse UPDATE and
DELETE on both tables, as on the audit log.

Amounts are integer cents (``amount_cents``): the ledger is summed in SQL, and SQLite
would add the text that :class:`secassist.storage.types.Money` stores as binary floats.
Integer cents add exactly on both databases (DESIGN.md: "Decimal or integer cents").
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from secassist.storage.base import Base, audited
from secassist.storage.types import UTCDateTime

KINDS = ("appropriation", "allocation", "obligation", "expenditure")
TARGET_KINDS = ("case", "training", "unit")
CENTS = Decimal(100)


def cents(amount: Decimal) -> int:
    """Dollars (to the cent) as integer cents."""
    return int(amount * CENTS)


def dollars(amount_cents: int) -> Decimal:
    """Integer cents as dollars, exactly (two decimal places, no rounding)."""
    return Decimal(amount_cents).scaleb(-2)


class Appropriation(Base):
    """Budget authority for one program and fiscal year, with its period of availability
    (the first and the last day on which the funds may be newly obligated). Its amount is
    the first ``appropriation`` entry of the ledger (a correction reverses that entry)."""

    __tablename__ = "program_appropriation"
    __table_args__ = (
        CheckConstraint("available_until >= available_from", name="availability_ordered"),
        CheckConstraint("fiscal_year BETWEEN 1950 AND 2200", name="fiscal_year_range"),
        CheckConstraint("status IN ('confirmed', 'UNCONFIRMED')", name="status"),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program: Mapped[str] = mapped_column(String(8), index=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    available_from: Mapped[date] = mapped_column(Date)
    available_until: Mapped[date] = mapped_column(Date)
    legal_citation: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerEntry(Base):
    """One money movement. ``kind`` says which stage it feeds:

    * ``appropriation`` — budget authority of ``appropriation_id`` (no country);
    * ``allocation`` — part of it set aside for ``country_code``;
    * ``obligation`` — part of that allocation committed to a ``target``: an FMS case line
      (``case_id``/``case_line_id``), training (``reference``) or a recipient unit
      (``recipient_unit_id``, a vetting-domain unit);
    * ``expenditure`` — money paid out against the obligation ``obligation_id``.

    Originals are positive. A reversal (``reverses_id``) repeats the original's keys with
    the negated amount, so every total is a plain sum.
    """

    __tablename__ = "program_entry"
    __table_args__ = (
        CheckConstraint("kind IN ('appropriation', 'allocation', 'obligation', 'expenditure')", name="kind"),
        CheckConstraint("(kind = 'appropriation') = (country_code IS NULL)", name="country_for_kind"),
        CheckConstraint("(kind = 'expenditure') = (obligation_id IS NOT NULL)", name="obligation_for_kind"),
        CheckConstraint(
            "(kind IN ('obligation', 'expenditure')) = (target IS NOT NULL)", name="target_for_kind"
        ),
        CheckConstraint("target IS NULL OR target IN ('case', 'training', 'unit')", name="target"),
        CheckConstraint("(reverses_id IS NULL) = (amount_cents > 0)", name="sign"),
        CheckConstraint("amount_cents <> 0", name="nonzero"),
        CheckConstraint("case_line_id IS NULL OR case_id IS NOT NULL", name="line_needs_case"),
        Index("ix_program_entry_pool", "appropriation_id", "country_code", "kind"),
        # Covering index of the totals query: scanned in GROUP BY order, no table access.
        Index(
            "ix_program_entry_totals",
            "program",
            "fiscal_year",
            "country_code",
            "entry_date",
            "kind",
            "amount_cents",
        ),
        audited(),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    appropriation_id: Mapped[int] = mapped_column(ForeignKey("program_appropriation.id"))
    program: Mapped[str] = mapped_column(String(8))  # the appropriation's, for the totals
    fiscal_year: Mapped[int] = mapped_column(Integer)  # the appropriation's, for the totals
    country_code: Mapped[str | None] = mapped_column(ForeignKey("reference_country.code"))
    obligation_id: Mapped[int | None] = mapped_column(ForeignKey("program_entry.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("program_entry.id"), unique=True)
    target: Mapped[str | None] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("fms_case.id"), index=True)
    case_line_id: Mapped[int | None] = mapped_column(ForeignKey("fms_case_line.id"), index=True)
    recipient_unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    entry_date: Mapped[date] = mapped_column(Date, index=True)
    memo: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def amount(self) -> Decimal:
        """The signed amount in dollars."""
        return dollars(self.amount_cents)
