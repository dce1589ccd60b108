"""Helpers shared by the program services: input checks, appending an audited ledger
entry, and the pools (the dated changes an entry draws on) with their balance checks.

The arithmetic on a pool is pure (:mod:`secassist.programs.ledger`); this module reads
the pools from the database and refuses what they cannot fund.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypedDict, Unpack

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.config import load_settings
from secassist.core.errors import ValidationFailedError
from secassist.core.types import to_money
from secassist.identity.policy import Principal, Resource, actor_of, check
from secassist.programs import ledger
from secassist.programs.errors import FundsExpiredError, InsufficientFundsError
from secassist.programs.models import Appropriation, LedgerEntry, cents, dollars
from secassist.programs.queries import AnySelect
from secassist.reference.models import CountryRow
from secassist.reference.service import get_reference
from secassist.reference.sync import sync_reference

MAX_TITLE = 200
MAX_MEMO = 500
MAX_REFERENCE = 200
MAX_CENTS = 10**15  # $10 trillion: far above any appropriation, well inside NUMERIC(18, 2)


# --- input checks -----------------------------------------------------------------------


def parse_amount(value: object, field: str = "amount") -> int:
    amount = to_money(value, field=field)
    if amount <= 0:
        raise ValidationFailedError(f"{field}: must be more than zero", field=field)
    c = cents(amount)
    if c >= MAX_CENTS:
        raise ValidationFailedError(f"{field}: {amount} is implausibly large", field=field)
    return c


def parse_date(value: object, field: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationFailedError(f"{field}: {value!r} is not a date (YYYY-MM-DD)", field=field)


def clean_text(value: str | None, field: str, limit: int, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailedError(f"{field}: must not be empty", field=field)
    if len(text) > limit:
        raise ValidationFailedError(f"{field}: at most {limit} characters", field=field)
    return text or None


def parse_id(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationFailedError(f"{field}: {value!r} is not a positive integer id", field=field)
    return value


def known_country(session: Session, code: str, clock: Clock | None) -> str:
    """An ISO alpha-2 code known to the reference data (its database mirror synced if needed)."""
    key = (code or "").strip().upper()
    ref = get_reference()
    known = {c.code for c in ref.countries()}
    if key not in known:
        raise ValidationFailedError(f"country: unknown country code {code!r}", field="country")
    if session.get(CountryRow, key) is None:
        sync_reference(session, data=ref, clock=clock)
    return key


def write_check(actor: Principal | None, country: str | None, what: str) -> None:
    if actor is not None:
        check(actor, "write", Resource(kind="program", country=country), what=what)


class CarriedKeys(TypedDict):
    """The columns a later entry (an expenditure, a reversal) repeats of the one it follows."""

    appropriation_id: int
    program: str
    fiscal_year: int
    country_code: str | None
    target: str | None
    case_id: int | None
    case_line_id: int | None
    recipient_unit_id: int | None


class EntryColumns(TypedDict, total=False):
    """The columns of a new ledger entry (``recorded_at`` is the clock's; the database
    refuses an entry missing a required column)."""

    kind: str
    appropriation_id: int
    program: str
    fiscal_year: int
    country_code: str | None
    target: str | None
    case_id: int | None
    case_line_id: int | None
    recipient_unit_id: int | None
    obligation_id: int | None
    reverses_id: int | None
    reference: str | None
    amount_cents: int
    entry_date: date
    memo: str | None


def append_entry(
    session: Session,
    *,
    actor: Principal | None,
    tag: str,
    clock: Clock | None,
    subject_id: int | None = None,
    **columns: Unpack[EntryColumns],
) -> LedgerEntry:
    """Append one ledger entry and its audit entry (subject: the entry, unless given)."""
    entry = LedgerEntry(**columns, recorded_at=now(clock))
    add_recorded(
        session,
        [entry],
        actor=actor_of(actor),
        tag=tag,
        subject_type="program_entry",
        subject_id=subject_id,
        clock=clock,
    )
    return entry


def carried_keys(entry: LedgerEntry) -> CarriedKeys:
    """What a later entry (an expenditure, a reversal) repeats of the entry it follows."""
    return {
        "appropriation_id": entry.appropriation_id,
        "program": entry.program,
        "fiscal_year": entry.fiscal_year,
        "country_code": entry.country_code,
        "target": entry.target,
        "case_id": entry.case_id,
        "case_line_id": entry.case_line_id,
        "recipient_unit_id": entry.recipient_unit_id,
    }


# --- pools --------------------------------------------------------------------------------


def lock_appropriation(session: Session, appropriation_id: int) -> Appropriation | None:
    """The appropriation, row-locked on PostgreSQL (FOR UPDATE) so that two writers drawing
    on its pools serialize; SQLite's writing units of work already hold the write lock."""
    return session.scalar(select(Appropriation).where(Appropriation.id == appropriation_id).with_for_update())


def _changes(session: Session, stmt: AnySelect, credit: str) -> list[tuple[date, int]]:
    out: list[tuple[date, int]] = []
    for kind, day, amount in session.execute(stmt):
        out.append((day, int(amount) if kind == credit else -int(amount)))
    return out


def appropriation_pool(session: Session, appropriation_id: int) -> list[tuple[date, int]]:
    stmt = select(LedgerEntry.kind, LedgerEntry.entry_date, LedgerEntry.amount_cents).where(
        LedgerEntry.appropriation_id == appropriation_id,
        LedgerEntry.kind.in_(("appropriation", "allocation")),
    )
    return _changes(session, stmt, "appropriation")


def allocation_pool(session: Session, appropriation_id: int, country: str) -> list[tuple[date, int]]:
    stmt = select(LedgerEntry.kind, LedgerEntry.entry_date, LedgerEntry.amount_cents).where(
        LedgerEntry.appropriation_id == appropriation_id,
        LedgerEntry.country_code == country,
        LedgerEntry.kind.in_(("allocation", "obligation")),
    )
    return _changes(session, stmt, "allocation")


def obligation_pool(session: Session, obligation_id: int) -> list[tuple[date, int]]:
    stmt = select(LedgerEntry.kind, LedgerEntry.entry_date, LedgerEntry.amount_cents).where(
        or_(
            LedgerEntry.id == obligation_id,
            LedgerEntry.reverses_id == obligation_id,
            LedgerEntry.obligation_id == obligation_id,
        )
    )
    return _changes(session, stmt, "obligation")


def require_headroom(pool: list[tuple[date, int]], on: date, amount: int, *, what: str, field: str) -> None:
    room = ledger.headroom(pool, on)
    if amount > room:
        short = f"{dollars(max(room, 0)):,}"
        raise InsufficientFundsError(
            f"{field}: ${dollars(amount):,} exceeds the {what} available on {on} and after (${short})",
            field=field,
            available=str(dollars(max(room, 0))),
        )


def require_available(appr: Appropriation, on: date, *, stage: str) -> None:
    """Funds may be newly allocated or obligated only within the appropriation's period of
    availability, judged on the entry's own date (domain.md §9: annual SFOPS appropriations
    [S106][S107]; the period is each appropriation's data)."""
    if on < appr.available_from:
        raise FundsExpiredError(
            f"on: {stage} dated {on} is before the funds of appropriation {appr.id} "
            f"become available ({appr.available_from})",
            field="on",
        )
    if on > appr.available_until:
        raise FundsExpiredError(
            f"on: the funds of appropriation {appr.id} ({appr.program} FY{appr.fiscal_year}) expired "
            f"after {appr.available_until}; no {stage} dated {on}",
            field="on",
        )


def fiscal_year_of(day: date) -> int:
    """The federal fiscal year of ``day`` (1 October to 30 September; 31 U.S.C. 1102)."""
    return day.year + 1 if day.month >= 10 else day.year


def account_closes(appr: Appropriation) -> date:
    """The day the appropriation's account closes: 30 September of the fifth fiscal year
    after its period of availability ends (31 U.S.C. 1552(a)). Until then the expired funds
    still pay (and adjust) the obligations made in the period; afterwards the balance is
    cancelled and "not available for obligation or expenditure for any purpose"."""
    return date(fiscal_year_of(appr.available_until) + 5, 9, 30)


def require_open_account(appr: Appropriation, on: date, *, stage: str) -> None:
    """An expenditure or reversal dated after the account closes is refused."""
    closes = account_closes(appr)
    if on > closes:
        raise FundsExpiredError(
            f"on: the account of appropriation {appr.id} ({appr.program} FY{appr.fiscal_year}) closed "
            f"after {closes} (31 U.S.C. 1552); no {stage} dated {on}",
            field="on",
        )


def require_within_horizon(day: date, field: str, clock: Clock | None) -> None:
    """Refuse a date further ahead of today than the ledger horizon (settings:
    SECASSIST_LEDGER_HORIZON_DAYS): a typo, not a plan."""
    today = now(clock).date()
    days = load_settings().ledger_horizon_days
    if day > today + timedelta(days=days):
        raise ValidationFailedError(
            f"{field}: {day} is more than {days} days ahead of today ({today}); "
            "ledger dates stop at the horizon (SECASSIST_LEDGER_HORIZON_DAYS)",
            field=field,
        )
