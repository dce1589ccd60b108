"""Program services: appropriate, allocate, obligate, expend, reverse (the reads: :mod:`.queries`).

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
* expired funds still pay the obligations made in the period until the account closes,
  30 September of the fifth fiscal year after the period (31 U.S.C. 1552(a)); no entry is
  dated further ahead of today than the ledger horizon (settings);
* FMF obligations name the FMS case line they pay ("the country's LOA names FMF as its
  financing") [S98], so the cases' totals reconcile to the program's;
* a correction is a reversing entry, never an edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, String, column, select, table
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.identity.policy import Principal, actor_of
from secassist.programs import ledger
from secassist.programs.catalog import program as catalog_program
from secassist.programs.common import (
    MAX_MEMO,
    MAX_REFERENCE,
    MAX_TITLE,
    allocation_pool,
    append_entry,
    appropriation_pool,
    carried_keys,
    clean_text,
    known_country,
    lock_appropriation,
    obligation_pool,
    parse_amount,
    parse_date,
    parse_id,
    require_available,
    require_headroom,
    require_open_account,
    require_within_horizon,
    write_check,
)
from secassist.programs.errors import ReversalConflictError, ReversalRefusedError
from secassist.programs.models import Appropriation, LedgerEntry, dollars
from secassist.programs.queries import appropriations_visible, get_entry


def _what(entry: LedgerEntry) -> str:
    return "a reversal" if entry.reverses_id is not None else f"an {entry.kind}"


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
    amount_cents = parse_amount(amount)
    start = parse_date(available_from, "available_from")
    until = parse_date(available_until, "available_until")
    if until < start:
        raise ValidationFailedError(
            f"available_until: {until} is before available_from {start}", field="available_until"
        )
    require_within_horizon(start, "available_from", clock)
    day = start if on is None else parse_date(on, "on")
    if not start <= day <= until:
        raise ValidationFailedError(f"on: {day} is outside the period of availability", field="on")
    require_within_horizon(day, "on", clock)
    if status not in ("confirmed", "UNCONFIRMED"):
        raise ValidationFailedError(f"status: {status!r} is not confirmed or UNCONFIRMED", field="status")
    title = clean_text(title, "title", MAX_TITLE) or f"{prog.code} FY{fiscal_year}"
    write_check(actor, None, "appropriation")
    at = now(clock)
    appr = Appropriation(
        program=prog.code,
        fiscal_year=fiscal_year,
        title=title,
        available_from=start,
        available_until=until,
        legal_citation=clean_text(legal_citation, "legal_citation", 200),
        source=clean_text(source, "source", 300),
        status=status,
        note=clean_text(note, "note", MAX_MEMO),
        created_at=at,
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
        recorded_at=at,
    )
    add_recorded(
        session,
        [appr, entry],
        actor=actor_of(actor),
        tag="program:appropriation:created",
        subject_type="program_appropriation",
        subject_id=appr.id,
        clock=clock,
    )
    return appr, entry


def _appropriation_for_write(
    session: Session, actor: Principal | None, appropriation_id: object
) -> Appropriation:
    aid = parse_id(appropriation_id, "appropriation_id")
    appr = lock_appropriation(session, aid)
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
    amount_cents = parse_amount(amount)
    day = parse_date(on, "on")
    memo = clean_text(memo, "memo", MAX_MEMO)
    appr = _appropriation_for_write(session, actor, appropriation_id)
    code = known_country(session, country, clock)
    write_check(actor, None, "appropriation")  # allocating reads the appropriation's balance
    require_available(appr, day, stage="allocation")
    require_within_horizon(day, "on", clock)
    require_headroom(
        appropriation_pool(session, appr.id),
        day,
        amount_cents,
        what="unallocated appropriation",
        field="amount",
    )
    return append_entry(
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
    reference = clean_text(target.reference, "reference", MAX_REFERENCE)
    if target.kind == "case":
        # FMF-financed cases link each ledger line to a case line (domain.md §9 [S98]).
        case_id = parse_id(target.case_id, "case_id")
        line_id = parse_id(target.case_line_id, "case_line_id")
        return Target("case", case_id=case_id, case_line_id=line_id, reference=reference)
    if target.case_id is not None or target.case_line_id is not None:
        raise ValidationFailedError(f"case_id: a {target.kind} obligation names no case", field="case_id")
    if target.kind == "unit":
        unit = parse_id(target.recipient_unit_id, "recipient_unit_id")
        return Target("unit", recipient_unit_id=unit, reference=reference)
    if target.recipient_unit_id is not None:
        raise ValidationFailedError(
            "recipient_unit_id: a training obligation names no unit", field="recipient_unit_id"
        )
    return Target("training", reference=clean_text(reference, "reference", MAX_REFERENCE, required=True))


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
    amount_cents = parse_amount(amount)
    day = parse_date(on, "on")
    memo = clean_text(memo, "memo", MAX_MEMO)
    appr = _appropriation_for_write(session, actor, appropriation_id)
    code = known_country(session, country, clock)
    tgt = _check_target(appr.program, target)
    if tgt.case_id is not None and tgt.case_line_id is not None:
        _check_case_line(session, tgt.case_id, tgt.case_line_id, code)
    write_check(actor, code, "allocation")
    require_available(appr, day, stage="obligation")
    require_within_horizon(day, "on", clock)
    require_headroom(
        allocation_pool(session, appr.id, code),
        day,
        amount_cents,
        what=f"allocation to {code}",
        field="amount",
    )
    return append_entry(
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
    amount_cents = parse_amount(amount)
    day = parse_date(on, "on")
    memo = clean_text(memo, "memo", MAX_MEMO)
    reference = clean_text(reference, "reference", MAX_REFERENCE)
    oid = parse_id(obligation_id, "obligation_id")
    obligation = get_entry(session, actor=actor, entry_id=oid, field="obligation_id")
    if obligation.kind != "obligation" or obligation.reverses_id is not None:
        raise ValidationFailedError(
            f"obligation_id: entry {oid} is {_what(obligation)}, not an obligation",
            field="obligation_id",
        )
    appr = lock_appropriation(session, obligation.appropriation_id)
    write_check(actor, obligation.country_code, "obligation")
    assert appr is not None  # program_entry's foreign key
    require_open_account(appr, day, stage="expenditure")
    require_within_horizon(day, "on", clock)
    require_headroom(
        obligation_pool(session, oid), day, amount_cents, what=f"unexpended obligation {oid}", field="amount"
    )
    return append_entry(
        session,
        actor=actor,
        tag="program:expenditure:recorded",
        clock=clock,
        kind="expenditure",
        **carried_keys(obligation),
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
    day = parse_date(on, "on")
    reason_text = clean_text(reason, "reason", MAX_MEMO, required=True)
    eid = parse_id(entry_id, "entry_id")
    original = get_entry(session, actor=actor, entry_id=eid)
    appr = lock_appropriation(session, original.appropriation_id)
    write_check(actor, original.country_code, "ledger entry")
    assert appr is not None  # program_entry's foreign key
    if original.reverses_id is not None:
        raise ReversalRefusedError(
            f"entry_id: entry {eid} is itself a reversal (of {original.reverses_id}); "
            "record a new entry instead",
            field="entry_id",
        )
    already = session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == eid))
    if already is not None:
        raise ReversalConflictError(
            f"entry_id: entry {eid} was already reversed by {already}", field="entry_id"
        )
    if day < original.entry_date:
        raise ReversalRefusedError(
            f"on: a reversal dated {day} precedes the entry it reverses ({original.entry_date})", field="on"
        )
    require_open_account(appr, day, stage="reversal")
    require_within_horizon(day, "on", clock)
    amount = original.amount_cents
    if original.kind == "appropriation":
        pool = appropriation_pool(session, original.appropriation_id)
        what = "unallocated appropriation"
    elif original.kind == "allocation":
        assert original.country_code is not None
        pool = allocation_pool(session, original.appropriation_id, original.country_code)
        what = f"unobligated allocation to {original.country_code}"
    elif original.kind == "obligation":
        pool = obligation_pool(session, eid)
        what = f"unexpended obligation {eid}"
    else:
        pool = []  # an expenditure feeds no later stage
    if pool:
        room = ledger.headroom(pool, day)
        if amount > room:
            raise ReversalConflictError(
                f"entry_id: reversing entry {eid} (${dollars(amount):,}) would leave the {what} negative "
                f"(${dollars(max(room, 0)):,} free from {day}); reverse the later entries first",
                field="entry_id",
            )
    return append_entry(
        session,
        actor=actor,
        tag="program:entry:reversed",
        subject_id=eid,
        clock=clock,
        kind=original.kind,
        **carried_keys(original),
        obligation_id=original.obligation_id,
        reverses_id=eid,
        reference=original.reference,
        amount_cents=-amount,
        entry_date=day,
        memo=reason_text,
    )
