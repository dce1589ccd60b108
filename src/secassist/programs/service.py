"""Program services: appropriate, allocate, obligate, expend, reverse — and read the ledger.

Every write appends ledger rows only (never an UPDATE or DELETE; the tables' triggers
refuse both) and records exactly one audit entry. Services take the session explicitly
and never commit. ``actor=None`` is the system (the administrator's console): unscoped.

The rules, with their authority (domain.md §9):

* money flows appropriation → allocation to a country → obligation → expenditure, each
  stage drawing on the one before: "State allocates FMF to the country … the FMF
  commitment pays the case" [S98]; a stage may never exceed its source (:mod:`.ledger`);
* funds are obligated only within the appropriation's period of availability, as of the
  obligation's date: appropriations are annual acts (SFOPS, P.L. 118-47 Div F) [S106][S107]
  whose periods the ledger keeps as data on each appropriation;
* FMF obligations name the FMS case line they pay ("the country's LOA names FMF as its
  financing") [S98], so the cases' totals reconcile to the program's;
* a correction is a reversing entry, never an edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Integer, Select, String, column, or_, select, table
from sqlalchemy.orm import Session

from secassist.audit.service import record
from secassist.core.clock import Clock, SystemClock
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.core.types import to_money
from secassist.identity.policy import Principal, Resource, check, scope
from secassist.identity.service import actor_of
from secassist.programs import ledger
from secassist.programs.catalog import program as catalog_program
from secassist.programs.errors import FundsExpiredError, InsufficientFundsError, ReversalRefusedError
from secassist.programs.models import Appropriation, LedgerEntry, cents, dollars
from secassist.reference.models import CountryRow
from secassist.reference.service import get_reference
from secassist.reference.sync import sync_reference

AnySelect = Select[*tuple[Any, ...]]
S = TypeVar("S", bound=AnySelect)
MAX_TITLE = 200
MAX_MEMO = 500
MAX_REFERENCE = 200
MAX_CENTS = 10**15  # $10 trillion: far above any appropriation, well inside NUMERIC(18, 2)


# --- validation helpers ---------------------------------------------------------------


def _amount(value: object, field: str = "amount") -> int:
    amount = to_money(value, field=field)
    if amount <= 0:
        raise ValidationFailedError(f"{field}: must be more than zero", field=field)
    c = cents(amount)
    if c >= MAX_CENTS:
        raise ValidationFailedError(f"{field}: {amount} is implausibly large", field=field)
    return c


def _date(value: object, field: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationFailedError(f"{field}: {value!r} is not a date (YYYY-MM-DD)", field=field)


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailedError(f"{field}: must not be empty", field=field)
    if len(text) > limit:
        raise ValidationFailedError(f"{field}: at most {limit} characters", field=field)
    return text or None


def _id(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationFailedError(f"{field}: {value!r} is not a positive integer id", field=field)
    return value


def _country(session: Session, code: str, clock: Clock | None) -> str:
    """An ISO alpha-2 code known to the reference data (its database mirror synced if needed)."""
    key = (code or "").strip().upper()
    ref = get_reference()
    known = {c.code for c in ref.countries()}
    if key not in known:
        raise ValidationFailedError(f"country: unknown country code {code!r}", field="country")
    if session.get(CountryRow, key) is None:
        sync_reference(session, data=ref, clock=clock)
    return key


def _write_check(actor: Principal | None, country: str | None, what: str) -> None:
    if actor is not None:
        check(actor, "write", Resource(kind="program", country=country), what=what)


def _append(
    session: Session,
    *,
    actor: Principal | None,
    tag: str,
    clock: Clock | None,
    subject_id: int | None = None,
    **columns: Any,
) -> LedgerEntry:
    """Append one ledger entry and its audit entry (subject: the entry, unless given)."""
    entry = LedgerEntry(**columns, recorded_at=_now(clock))
    session.add(entry)
    session.flush()
    record(
        session,
        actor=actor_of(actor),
        tag=tag,
        subject_type="program_entry",
        subject_id=entry.id if subject_id is None else subject_id,
        rows=[entry],
        clock=clock,
    )
    return entry


def _keys(entry: LedgerEntry) -> dict[str, Any]:
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


def _what(entry: LedgerEntry) -> str:
    return "a reversal" if entry.reverses_id is not None else f"an {entry.kind}"


def _now(clock: Clock | None) -> Any:
    return (clock or SystemClock()).now()


# --- reads ------------------------------------------------------------------------------


def scoped_entries(stmt: S, actor: Principal | None) -> S:
    """``stmt`` over ``program_entry`` restricted to what ``actor`` may see (None: everything)."""
    return stmt if actor is None else scope(stmt, actor, "program", country=LedgerEntry.country_code)


def appropriations_visible(actor: Principal | None) -> bool:
    # Appropriations belong to no country: partners and SCOs never see them.
    from secassist.identity.policy import visible

    return actor is None or visible(actor, Resource(kind="program", country=None))


def get_appropriation(session: Session, *, actor: Principal | None, appropriation_id: int) -> Appropriation:
    """One appropriation; NotFoundError (404) when missing or invisible to ``actor``."""
    found = session.get(Appropriation, appropriation_id)
    if found is None or not appropriations_visible(actor):
        raise NotFoundError(f"appropriation {appropriation_id} not found", field="appropriation_id")
    return found


def list_appropriations(
    session: Session, *, actor: Principal | None, program: str | None = None, fiscal_year: int | None = None
) -> list[Appropriation]:
    """Appropriations in (program, fiscal year, id) order; empty for partners and SCOs."""
    if not appropriations_visible(actor):
        return []
    stmt = select(Appropriation).order_by(Appropriation.program, Appropriation.fiscal_year, Appropriation.id)
    if program:
        stmt = stmt.where(Appropriation.program == catalog_program(program).code)
    if fiscal_year is not None:
        stmt = stmt.where(Appropriation.fiscal_year == fiscal_year)
    return list(session.scalars(stmt))


def get_entry(
    session: Session, *, actor: Principal | None, entry_id: int, field: str = "entry_id"
) -> LedgerEntry:
    """One ledger entry; NotFoundError (404) when missing or outside ``actor``'s scope."""
    stmt = scoped_entries(select(LedgerEntry).where(LedgerEntry.id == entry_id), actor)
    found: LedgerEntry | None = session.scalar(stmt)
    if found is None:
        raise NotFoundError(f"{field}: ledger entry {entry_id} not found", field=field)
    return found


MAX_PAGE = 1000


def list_entries(
    session: Session,
    *,
    actor: Principal | None,
    appropriation_id: int | None = None,
    country: str | None = None,
    kind: str | None = None,
    case_id: int | None = None,
    as_of: date | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[LedgerEntry]:
    """Ledger entries in id order, filtered and scoped; at most ``limit`` (1..1000)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailedError(f"limit: between 1 and {MAX_PAGE}", field="limit")
    stmt = select(LedgerEntry).order_by(LedgerEntry.id).limit(limit)
    if appropriation_id is not None:
        stmt = stmt.where(LedgerEntry.appropriation_id == appropriation_id)
    if country:
        stmt = stmt.where(LedgerEntry.country_code == country.strip().upper())
    if kind:
        if kind not in ("appropriation", "allocation", "obligation", "expenditure"):
            raise ValidationFailedError(f"kind: unknown entry kind {kind!r}", field="kind")
        stmt = stmt.where(LedgerEntry.kind == kind)
    if case_id is not None:
        stmt = stmt.where(LedgerEntry.case_id == case_id)
    if as_of is not None:
        stmt = stmt.where(LedgerEntry.entry_date <= as_of)
    if after_id is not None:
        stmt = stmt.where(LedgerEntry.id > after_id)
    return list(session.scalars(scoped_entries(stmt, actor)))


def reversed_ids(session: Session, ids: list[int]) -> dict[int, int]:
    """For the given entry ids, the id of the entry that reversed each (where one did)."""
    if not ids:
        return {}
    rows = session.execute(
        select(LedgerEntry.reverses_id, LedgerEntry.id).where(LedgerEntry.reverses_id.in_(ids))
    )
    return {int(orig): int(rev) for orig, rev in rows if orig is not None}


# --- pools --------------------------------------------------------------------------------


def _lock(session: Session, appropriation_id: int) -> Appropriation | None:
    """The appropriation, row-locked on PostgreSQL (FOR UPDATE) so that two writers drawing
    on its pools serialize; SQLite's writing units of work already hold the write lock."""
    return session.scalar(select(Appropriation).where(Appropriation.id == appropriation_id).with_for_update())


def _changes(session: Session, stmt: AnySelect, credit: str) -> list[tuple[date, int]]:
    out: list[tuple[date, int]] = []
    for kind, day, amount in session.execute(stmt):
        out.append((day, int(amount) if kind == credit else -int(amount)))
    return out


def _appropriation_pool(session: Session, appropriation_id: int) -> list[tuple[date, int]]:
    stmt = select(LedgerEntry.kind, LedgerEntry.entry_date, LedgerEntry.amount_cents).where(
        LedgerEntry.appropriation_id == appropriation_id,
        LedgerEntry.kind.in_(("appropriation", "allocation")),
    )
    return _changes(session, stmt, "appropriation")


def _allocation_pool(session: Session, appropriation_id: int, country: str) -> list[tuple[date, int]]:
    stmt = select(LedgerEntry.kind, LedgerEntry.entry_date, LedgerEntry.amount_cents).where(
        LedgerEntry.appropriation_id == appropriation_id,
        LedgerEntry.country_code == country,
        LedgerEntry.kind.in_(("allocation", "obligation")),
    )
    return _changes(session, stmt, "allocation")


def _obligation_pool(session: Session, obligation_id: int) -> list[tuple[date, int]]:
    stmt = select(LedgerEntry.kind, LedgerEntry.entry_date, LedgerEntry.amount_cents).where(
        or_(
            LedgerEntry.id == obligation_id,
            LedgerEntry.reverses_id == obligation_id,
            LedgerEntry.obligation_id == obligation_id,
        )
    )
    return _changes(session, stmt, "obligation")


def _require_headroom(pool: list[tuple[date, int]], on: date, amount: int, *, what: str, field: str) -> None:
    room = ledger.headroom(pool, on)
    if amount > room:
        short = f"{dollars(max(room, 0)):,}"
        raise InsufficientFundsError(
            f"{field}: ${dollars(amount):,} exceeds the {what} available on {on} and after (${short})",
            field=field,
            available=str(dollars(max(room, 0))),
        )


def _require_available(appr: Appropriation, on: date, *, stage: str) -> None:
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


# --- writes -------------------------------------------------------------------------------


def create_appropriation(
    session: Session,
    *,
    actor: Principal | None,
    program: str,
    fiscal_year: int,
    amount: object,
    available_from: object,
    available_until: object,
    title: str | None = None,
    legal_citation: str | None = None,
    source: str | None = None,
    status: str = "confirmed",
    note: str | None = None,
    on: object | None = None,
    clock: Clock | None = None,
) -> tuple[Appropriation, LedgerEntry]:
    """Record budget authority for ``program`` in ``fiscal_year``: the appropriation and its
    first ledger entry (dated ``on``, default the first day of availability)."""
    prog = catalog_program(program)
    if isinstance(fiscal_year, bool) or not isinstance(fiscal_year, int) or not 1950 <= fiscal_year <= 2200:
        raise ValidationFailedError(f"fiscal_year: {fiscal_year!r} is not a fiscal year", field="fiscal_year")
    amount_cents = _amount(amount)
    start = _date(available_from, "available_from")
    until = _date(available_until, "available_until")
    if until < start:
        raise ValidationFailedError(
            f"available_until: {until} is before available_from {start}", field="available_until"
        )
    day = start if on is None else _date(on, "on")
    if not start <= day <= until:
        raise ValidationFailedError(f"on: {day} is outside the period of availability", field="on")
    if status not in ("confirmed", "UNCONFIRMED"):
        raise ValidationFailedError(f"status: {status!r} is not confirmed or UNCONFIRMED", field="status")
    title = _text(title, "title", MAX_TITLE) or f"{prog.code} FY{fiscal_year}"
    _write_check(actor, None, "appropriation")
    now = _now(clock)
    appr = Appropriation(
        program=prog.code,
        fiscal_year=fiscal_year,
        title=title,
        available_from=start,
        available_until=until,
        legal_citation=_text(legal_citation, "legal_citation", 200),
        source=_text(source, "source", 300),
        status=status,
        note=_text(note, "note", MAX_MEMO),
        created_at=now,
    )
    session.add(appr)
    session.flush()
    entry = LedgerEntry(
        kind="appropriation",
        appropriation_id=appr.id,
        program=appr.program,
        fiscal_year=appr.fiscal_year,
        amount_cents=amount_cents,
        entry_date=day,
        memo=None,
        recorded_at=now,
    )
    session.add(entry)
    record(
        session,
        actor=actor_of(actor),
        tag="program:appropriation:created",
        subject_type="program_appropriation",
        subject_id=appr.id,
        rows=[appr, entry],
        clock=clock,
    )
    return appr, entry


def _appropriation_for_write(
    session: Session, actor: Principal | None, appropriation_id: object
) -> Appropriation:
    aid = _id(appropriation_id, "appropriation_id")
    appr = _lock(session, aid)
    if appr is None or not appropriations_visible(actor):
        raise NotFoundError(f"appropriation_id: appropriation {aid} not found", field="appropriation_id")
    return appr


def allocate(
    session: Session,
    *,
    actor: Principal | None,
    appropriation_id: object,
    country: str,
    amount: object,
    on: object,
    memo: str | None = None,
    clock: Clock | None = None,
) -> LedgerEntry:
    """Allocate part of an appropriation to a country. Not beyond the appropriation's
    unallocated balance on ``on`` and every later day, nor outside its period of
    availability ("State PM … allocates" FMF, domain.md §9 [S96][S98])."""
    amount_cents = _amount(amount)
    day = _date(on, "on")
    memo = _text(memo, "memo", MAX_MEMO)
    appr = _appropriation_for_write(session, actor, appropriation_id)
    code = _country(session, country, clock)
    _write_check(actor, None, "appropriation")  # allocating reads the appropriation's balance
    _require_available(appr, day, stage="allocation")
    _require_headroom(
        _appropriation_pool(session, appr.id),
        day,
        amount_cents,
        what="unallocated appropriation",
        field="amount",
    )
    return _append(
        session,
        actor=actor,
        tag="program:allocation:recorded",
        clock=clock,
        kind="allocation",
        appropriation_id=appr.id,
        program=appr.program,
        fiscal_year=appr.fiscal_year,
        country_code=code,
        amount_cents=amount_cents,
        entry_date=day,
        memo=memo,
    )


@dataclass(frozen=True)
class Target:
    """What an obligation pays for: exactly one of an FMS case line, training, or a unit."""

    kind: str  # "case" | "training" | "unit"
    case_id: int | None = None
    case_line_id: int | None = None
    recipient_unit_id: int | None = None
    reference: str | None = None


# The cases domain's tables, named (not imported: domains do not import each other) so
# that an obligation to a case it cannot pay is refused with a clear error; the foreign
# keys of program_entry guarantee that the rows exist.
_CASE = table("fms_case", column("id", Integer), column("country_code", String), column("financing", String))
_CASE_LINE = table("fms_case_line", column("id", Integer), column("case_id", Integer))


def _check_case_line(session: Session, case_id: int, line_id: int, country: str) -> None:
    """FMF pays the case of the country it is allocated to, when the case's LOA names FMF
    as its financing (fmf or mixed), line by line (domain.md §9 [S98])."""
    case = session.execute(
        select(_CASE.c.country_code, _CASE.c.financing).where(_CASE.c.id == case_id)
    ).first()
    if case is None:
        raise ValidationFailedError(f"case_id: case {case_id} not found", field="case_id")
    if case[1] not in ("fmf", "mixed"):
        raise ValidationFailedError(
            f"case_id: case {case_id} is financed by {case[1]} funds, not FMF", field="case_id"
        )
    if case[0] != country:
        raise ValidationFailedError(
            f"case_id: case {case_id} is not {country}'s (purchaser {case[0] or 'a NATO body'})",
            field="case_id",
        )
    found = session.execute(select(_CASE_LINE.c.case_id).where(_CASE_LINE.c.id == line_id)).first()
    if found is None or int(found[0]) != case_id:
        raise ValidationFailedError(
            f"case_line_id: line {line_id} is not a line of case {case_id}", field="case_line_id"
        )


def _check_target(program_code: str, target: Target) -> Target:
    prog = catalog_program(program_code)
    if target.kind not in ("case", "training", "unit"):
        raise ValidationFailedError(f"target: {target.kind!r} is not case, training or unit", field="target")
    if target.kind not in prog.targets:
        raise ValidationFailedError(
            f"target: {prog.code} funds may be obligated to {', '.join(prog.targets)}, not {target.kind}",
            field="target",
        )
    reference = _text(target.reference, "reference", MAX_REFERENCE)
    if target.kind == "case":
        # FMF-financed cases link each ledger line to a case line (domain.md §9 [S98]).
        case_id = _id(target.case_id, "case_id")
        line_id = _id(target.case_line_id, "case_line_id")
        return Target("case", case_id=case_id, case_line_id=line_id, reference=reference)
    if target.case_id is not None or target.case_line_id is not None:
        raise ValidationFailedError(f"case_id: a {target.kind} obligation names no case", field="case_id")
    if target.kind == "unit":
        unit = _id(target.recipient_unit_id, "recipient_unit_id")
        return Target("unit", recipient_unit_id=unit, reference=reference)
    if target.recipient_unit_id is not None:
        raise ValidationFailedError(
            "recipient_unit_id: a training obligation names no unit", field="recipient_unit_id"
        )
    return Target("training", reference=_text(reference, "reference", MAX_REFERENCE, required=True))


def obligate(
    session: Session,
    *,
    actor: Principal | None,
    appropriation_id: object,
    country: str,
    amount: object,
    on: object,
    target: Target,
    memo: str | None = None,
    clock: Clock | None = None,
) -> LedgerEntry:
    """Obligate part of a country's allocation to an FMS case line, training or a unit.

    Refused beyond the allocation's available balance (on ``on`` and every later day), and
    outside the funds' period of availability as of ``on`` (domain.md §9 [S98][S106]).
    A unit obligation (PKO, Section 333, …) is where Leahy vetting applies (domain.md §8,
    22 U.S.C. 2378d / 10 U.S.C. 362 [S91][S92]); that check is a workflow around this call.
    """
    amount_cents = _amount(amount)
    day = _date(on, "on")
    memo = _text(memo, "memo", MAX_MEMO)
    appr = _appropriation_for_write(session, actor, appropriation_id)
    code = _country(session, country, clock)
    tgt = _check_target(appr.program, target)
    if tgt.case_id is not None and tgt.case_line_id is not None:
        _check_case_line(session, tgt.case_id, tgt.case_line_id, code)
    _write_check(actor, code, "allocation")
    _require_available(appr, day, stage="obligation")
    _require_headroom(
        _allocation_pool(session, appr.id, code),
        day,
        amount_cents,
        what=f"allocation to {code}",
        field="amount",
    )
    return _append(
        session,
        actor=actor,
        tag="program:obligation:recorded",
        clock=clock,
        kind="obligation",
        appropriation_id=appr.id,
        program=appr.program,
        fiscal_year=appr.fiscal_year,
        country_code=code,
        target=tgt.kind,
        case_id=tgt.case_id,
        case_line_id=tgt.case_line_id,
        recipient_unit_id=tgt.recipient_unit_id,
        reference=tgt.reference,
        amount_cents=amount_cents,
        entry_date=day,
        memo=memo,
    )


def expend(
    session: Session,
    *,
    actor: Principal | None,
    obligation_id: object,
    amount: object,
    on: object,
    reference: str | None = None,
    memo: str | None = None,
    clock: Clock | None = None,
) -> LedgerEntry:
    """Record money paid out against an obligation: never beyond its unexpended balance,
    never dated before it. (Payments against an existing obligation may follow the end of
    the period of availability; only new obligations are barred then.)"""
    amount_cents = _amount(amount)
    day = _date(on, "on")
    memo = _text(memo, "memo", MAX_MEMO)
    reference = _text(reference, "reference", MAX_REFERENCE)
    oid = _id(obligation_id, "obligation_id")
    obligation = get_entry(session, actor=actor, entry_id=oid, field="obligation_id")
    if obligation.kind != "obligation" or obligation.reverses_id is not None:
        raise ValidationFailedError(
            f"obligation_id: entry {oid} is {_what(obligation)}, not an obligation",
            field="obligation_id",
        )
    _lock(session, obligation.appropriation_id)
    _write_check(actor, obligation.country_code, "obligation")
    _require_headroom(
        _obligation_pool(session, oid), day, amount_cents, what=f"unexpended obligation {oid}", field="amount"
    )
    return _append(
        session,
        actor=actor,
        tag="program:expenditure:recorded",
        clock=clock,
        kind="expenditure",
        **_keys(obligation),
        obligation_id=oid,
        reference=reference,
        amount_cents=amount_cents,
        entry_date=day,
        memo=memo,
    )


def reverse(
    session: Session,
    *,
    actor: Principal | None,
    entry_id: object,
    on: object,
    reason: str,
    clock: Clock | None = None,
) -> LedgerEntry:
    """Cancel an entry with a reversing entry (the negated amount, dated ``on``).

    Refused for a reversal, for an entry already reversed, for a date before the
    original's, and when later entries still draw on what it provided (reverse those
    first): the ledger must balance as of every date.
    """
    day = _date(on, "on")
    reason_text = _text(reason, "reason", MAX_MEMO, required=True)
    eid = _id(entry_id, "entry_id")
    original = get_entry(session, actor=actor, entry_id=eid)
    _lock(session, original.appropriation_id)
    _write_check(actor, original.country_code, "ledger entry")
    if original.reverses_id is not None:
        raise ReversalRefusedError(
            f"entry_id: entry {eid} is itself a reversal (of {original.reverses_id}); "
            "record a new entry instead",
            field="entry_id",
        )
    already = session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == eid))
    if already is not None:
        raise ReversalRefusedError(
            f"entry_id: entry {eid} was already reversed by {already}", field="entry_id"
        )
    if day < original.entry_date:
        raise ReversalRefusedError(
            f"on: a reversal dated {day} precedes the entry it reverses ({original.entry_date})", field="on"
        )
    amount = original.amount_cents
    if original.kind == "appropriation":
        pool = _appropriation_pool(session, original.appropriation_id)
        what = "unallocated appropriation"
    elif original.kind == "allocation":
        assert original.country_code is not None
        pool = _allocation_pool(session, original.appropriation_id, original.country_code)
        what = f"unobligated allocation to {original.country_code}"
    elif original.kind == "obligation":
        pool = _obligation_pool(session, eid)
        what = f"unexpended obligation {eid}"
    else:
        pool = []  # an expenditure feeds no later stage
    if pool:
        room = ledger.headroom(pool, day)
        if amount > room:
            raise ReversalRefusedError(
                f"entry_id: reversing entry {eid} (${dollars(amount):,}) would leave the {what} negative "
                f"(${dollars(max(room, 0)):,} free from {day}); reverse the later entries first",
                field="entry_id",
            )
    return _append(
        session,
        actor=actor,
        tag="program:entry:reversed",
        subject_id=eid,
        clock=clock,
        kind=original.kind,
        **_keys(original),
        obligation_id=original.obligation_id,
        reverses_id=eid,
        reference=original.reference,
        amount_cents=-amount,
        entry_date=day,
        memo=reason_text,
    )
