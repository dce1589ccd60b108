"""``secassist programs``: appropriations, allocations, obligations, expenditures, reversals,
the ledger and the totals. Commands run as the administrator's console (unscoped, audited
as ``system``); every list takes ``--format table|json|csv``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from secassist.cli.common import FormatOpt, acting, parse_date, read_session, uow
from secassist.cli.output import Format, emit_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from secassist.programs.models import LedgerEntry

app = typer.Typer(
    help="Program funds: appropriate, allocate, obligate, expend, reverse; ledger and totals.",
    no_args_is_help=True,
)
appropriations_app = typer.Typer(help="Appropriations: list, add.", no_args_is_help=True)
app.add_typer(appropriations_app, name="appropriations")

OnOpt = Annotated[str, typer.Option("--on", help="The entry's date (YYYY-MM-DD).")]
AppropriationOpt = Annotated[
    str, typer.Option("--appropriation", help="Appropriation id, or PROGRAM/FY (FMF/2024) when only one.")
]
AmountOpt = Annotated[str, typer.Option("--amount", help="US dollars, e.g. 1250000.00.")]
ENTRY_COLUMNS = [
    "id",
    "kind",
    "program",
    "fiscal_year",
    "appropriation_id",
    "country",
    "amount",
    "entry_date",
    "target",
    "case_id",
    "case_line_id",
    "recipient_unit_id",
    "obligation_id",
    "reverses_id",
    "reference",
    "memo",
]


def _entry_row(e: LedgerEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "program": e.program,
        "fiscal_year": e.fiscal_year,
        "appropriation_id": e.appropriation_id,
        "country": e.country_code,
        "amount": e.amount,
        "entry_date": e.entry_date,
        "target": e.target,
        "case_id": e.case_id,
        "case_line_id": e.case_line_id,
        "recipient_unit_id": e.recipient_unit_id,
        "obligation_id": e.obligation_id,
        "reverses_id": e.reverses_id,
        "reference": e.reference,
        "memo": e.memo,
    }


def _appropriation_id(session: Session, ref: str) -> int:
    from secassist.programs.queries import resolve_appropriation

    return resolve_appropriation(session, actor=None, ref=ref).id


def _case_line(
    session: Session, case_id: int | None, line_id: int | None, case: str | None, line: str | None
) -> tuple[int | None, int | None]:
    """The case and line ids of an obligation, from the ids or from the case's identifier
    and the line number it shows (``--case PL-B-AAB --line 001``)."""
    from secassist.cases.common import resolve_line
    from secassist.core.errors import ValidationFailedError

    if case is None and line is None:
        return case_id, line_id
    if case_id is not None or line_id is not None:
        raise ValidationFailedError(
            "case: give --case/--line or --case-id/--case-line-id, not both", field="case"
        )
    if case is None or line is None:
        raise ValidationFailedError("case: --case and --line go together", field="case")
    found = resolve_line(session, actor=None, ref=case, number=line)
    return found.case_id, found.id


def _done(e: LedgerEntry) -> None:
    typer.echo(f"recorded {e.kind} entry {e.id}: {e.amount} ({e.program} FY{e.fiscal_year})", err=True)


@app.command("list")
def list_programs(fmt: FormatOpt = Format.table) -> None:
    """The program list (reference data) with legal basis and sources."""
    from secassist.programs.catalog import catalog

    rows = [
        {
            "code": p.code,
            "name": p.name,
            "legal_basis": p.legal_basis,
            "targets": " ".join(p.targets),
            "status": p.status,
            "source": p.source,
        }
        for p in catalog().programs
    ]
    emit_rows(
        rows, fmt, columns=["code", "name", "legal_basis", "targets", "status", "source"], title="Programs"
    )


@appropriations_app.command("list")
def list_appropriations(
    program: Annotated[str | None, typer.Option("--program")] = None,
    fiscal_year: Annotated[int | None, typer.Option("--fy", help="Fiscal year.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Appropriations with their periods of availability."""
    from secassist.programs import queries

    with read_session() as s:
        rows = [
            {
                "id": a.id,
                "program": a.program,
                "fiscal_year": a.fiscal_year,
                "title": a.title,
                "available_from": a.available_from,
                "available_until": a.available_until,
                "status": a.status,
                "source": a.source,
            }
            for a in queries.list_appropriations(s, actor=None, program=program, fiscal_year=fiscal_year)
        ]
    emit_rows(
        rows,
        fmt,
        columns=[
            "id",
            "program",
            "fiscal_year",
            "title",
            "available_from",
            "available_until",
            "status",
            "source",
        ],
        title="Appropriations",
    )


@appropriations_app.command("add")
def add_appropriation(
    program: Annotated[str, typer.Option("--program", help="FMF, IMET, PKO, GPOI, NADR, INCLE, S333.")],
    fiscal_year: Annotated[int, typer.Option("--fy", help="Fiscal year.")],
    amount: AmountOpt,
    available_from: Annotated[str, typer.Option("--from", help="First day of availability.")],
    available_until: Annotated[
        str, typer.Option("--until", help="Last day on which the funds may be obligated.")
    ],
    title: Annotated[str | None, typer.Option("--title")] = None,
    citation: Annotated[str | None, typer.Option("--citation", help="e.g. P.L. 118-47 Div F.")] = None,
    source: Annotated[str | None, typer.Option("--source")] = None,
    unconfirmed: Annotated[bool, typer.Option("--unconfirmed", help="Mark the amount UNCONFIRMED.")] = False,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Record an appropriation (and its first ledger entry)."""
    from secassist.programs import service

    start = parse_date(available_from, option="--from")
    until = parse_date(available_until, option="--until")
    with uow() as s:
        appr, entry = service.create_appropriation(
            s,
            actor=acting(s),
            program=program,
            fiscal_year=fiscal_year,
            amount=amount,
            available_from=start,
            available_until=until,
            title=title,
            legal_citation=citation,
            source=source,
            status="UNCONFIRMED" if unconfirmed else "confirmed",
            note=note,
        )
        typer.echo(
            f"created appropriation {appr.id} ({appr.program} FY{appr.fiscal_year}); entry {entry.id}",
            err=True,
        )


@app.command("allocate")
def allocate(
    appropriation: AppropriationOpt,
    country: Annotated[str, typer.Option("--country", help="ISO alpha-2 code.")],
    amount: AmountOpt,
    on: OnOpt,
    memo: Annotated[str | None, typer.Option("--memo")] = None,
) -> None:
    """Allocate part of an appropriation to a country."""
    from secassist.programs import service

    day = parse_date(on, option="--on")
    with uow() as s:
        _done(
            service.allocate(
                s,
                actor=acting(s),
                appropriation_id=_appropriation_id(s, appropriation),
                country=country,
                amount=amount,
                on=day,
                memo=memo,
            )
        )


@app.command("obligate")
def obligate(
    appropriation: AppropriationOpt,
    country: Annotated[str, typer.Option("--country", help="ISO alpha-2 code.")],
    amount: AmountOpt,
    on: OnOpt,
    target: Annotated[str, typer.Option("--target", help="case, training or unit.")],
    case: Annotated[str | None, typer.Option("--case", help="Case identifier (PL-D-AAA) or id.")] = None,
    line: Annotated[str | None, typer.Option("--line", help="The case's line number (001).")] = None,
    case_id: Annotated[int | None, typer.Option("--case-id")] = None,
    case_line_id: Annotated[int | None, typer.Option("--case-line-id")] = None,
    unit_id: Annotated[int | None, typer.Option("--unit-id", help="Recipient unit (vetting domain).")] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="Training event, document number.")
    ] = None,
    memo: Annotated[str | None, typer.Option("--memo")] = None,
) -> None:
    """Obligate part of a country's allocation to a case line, training or a unit (a unit
    needs a current approved Leahy vetting on the date)."""
    from secassist.programs import service
    from secassist.workflows.obligate_assistance import obligate_assistance

    day = parse_date(on, option="--on")
    with uow() as s:
        case_id, case_line_id = _case_line(s, case_id, case_line_id, case, line)
        t = service.Target(
            target, case_id=case_id, case_line_id=case_line_id, recipient_unit_id=unit_id, reference=reference
        )
        _done(
            obligate_assistance(
                s,
                actor=acting(s),
                appropriation_id=_appropriation_id(s, appropriation),
                country=country,
                amount=amount,
                on=day,
                target=t,
                memo=memo,
            )
        )


@app.command("expend")
def expend(
    amount: AmountOpt,
    on: OnOpt,
    obligation: Annotated[int | None, typer.Option("--obligation", help="Obligation entry id.")] = None,
    obligation_ref: Annotated[
        str | None, typer.Option("--obligation-ref", help="The reference recorded on the obligation.")
    ] = None,
    reference: Annotated[str | None, typer.Option("--reference", help="Invoice, document number.")] = None,
    memo: Annotated[str | None, typer.Option("--memo")] = None,
) -> None:
    """Record money paid out against an obligation, named by its id or its reference."""
    from secassist.core.errors import ValidationFailedError
    from secassist.programs import queries, service

    if (obligation is None) == (obligation_ref is None):
        raise ValidationFailedError(
            "obligation: give --obligation or --obligation-ref, not both", field="obligation"
        )
    day = parse_date(on, option="--on")
    with uow() as s:
        if obligation_ref is not None:
            found = queries.entry_by_reference(
                s, actor=acting(s), reference=obligation_ref, kind="obligation", field="obligation_ref"
            )
            obligation = found.id
        _done(
            service.expend(
                s,
                actor=acting(s),
                obligation_id=obligation,
                amount=amount,
                on=day,
                reference=reference,
                memo=memo,
            )
        )


@app.command("reverse")
def reverse(
    on: OnOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept on the reversing entry).")],
    entry_id: Annotated[int | None, typer.Argument(help="The entry to reverse; or --entry-ref.")] = None,
    entry_ref: Annotated[
        str | None, typer.Option("--entry-ref", help="The reference recorded on the entry to reverse.")
    ] = None,
) -> None:
    """Reverse a ledger entry (the only correction the append-only ledger allows), named by
    its id or by the reference recorded on it."""
    from secassist.core.errors import ValidationFailedError
    from secassist.programs import queries, service

    if (entry_id is None) == (entry_ref is None):
        raise ValidationFailedError(
            "entry_id: give the entry's id or --entry-ref, not both", field="entry_id"
        )
    day = parse_date(on, option="--on")
    with uow() as s:
        if entry_ref is not None:
            entry_id = queries.entry_by_reference(
                s, actor=acting(s), reference=entry_ref, field="entry_ref"
            ).id
        _done(service.reverse(s, actor=acting(s), entry_id=entry_id, on=day, reason=reason))


@app.command("ledger")
def ledger(
    appropriation: Annotated[
        str | None, typer.Option("--appropriation", help="Appropriation id or PROGRAM/FY.")
    ] = None,
    country: Annotated[str | None, typer.Option("--country")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="appropriation, allocation, obligation, expenditure.")
    ] = None,
    case_id: Annotated[int | None, typer.Option("--case-id")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Only entries dated on or before.")] = None,
    after: Annotated[int | None, typer.Option("--after", help="Only entries with a larger id.")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    fmt: FormatOpt = Format.table,
) -> None:
    """Ledger entries in id order."""
    from secassist.programs import queries

    as_of = parse_date(on, option="--on") if on else None
    with read_session() as s:
        appropriation_id = None if appropriation is None else _appropriation_id(s, appropriation)
        rows = [
            _entry_row(e)
            for e in queries.list_entries(
                s,
                actor=None,
                appropriation_id=appropriation_id,
                country=country,
                kind=kind,
                case_id=case_id,
                as_of=as_of,
                after_id=after,
                limit=limit,
            )
        ]
    emit_rows(rows, fmt, columns=ENTRY_COLUMNS, title="Ledger")


@app.command("totals")
def totals(
    on: Annotated[str | None, typer.Option("--on", help="As of (default today).")] = None,
    program: Annotated[str | None, typer.Option("--program")] = None,
    fiscal_year: Annotated[int | None, typer.Option("--fy")] = None,
    region: Annotated[str | None, typer.Option("--region", help="AF, EAP, EUR, NEA, SCA, WHA.")] = None,
    country: Annotated[str | None, typer.Option("--country")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Totals by program × fiscal year × region × country as of a date."""
    from secassist.core.clock import SystemClock
    from secassist.programs import oversight

    as_of = parse_date(on, option="--on") if on else SystemClock().today()
    with read_session() as s:
        rows = [
            r.as_dict()
            for r in oversight.totals(
                s,
                actor=None,
                as_of=as_of,
                program=program,
                fiscal_year=fiscal_year,
                region=region,
                country=country,
            )
        ]
    emit_rows(
        rows,
        fmt,
        columns=[
            "level",
            "program",
            "fiscal_year",
            "region",
            "country",
            "appropriated",
            "allocated",
            "obligated",
            "expended",
            "unallocated",
            "available",
            "unexpended",
        ],
        title=f"Program totals as of {as_of.isoformat()}",
    )
