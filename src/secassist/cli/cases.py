"""``secassist cases``: FMS cases from the console (acting as the system; every change audited).

A case is named by its id or its identifier (``PL-D-AAA``). Every list takes
``--format table|json|csv``.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from secassist.cli.common import FormatOpt, acting, parse_date, read_session, uow
from secassist.cli.output import Format, emit_rows
from secassist.core.errors import ValidationFailedError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(
    help="FMS cases: intake, lines, lifecycle, offer gates, amendments, metrics.", no_args_is_help=True
)

CASE_COLUMNS = [
    "id", "identifier", "status", "purchaser", "implementing_agency", "loa_type", "financing", "line_count",
    "mde_value", "other_value", "total_value", "version", "title",
]  # fmt: skip
LINE_COLUMNS = [
    "number", "item_type", "description", "usml_category", "mde", "sme", "eeum", "quantity", "unit_cost",
    "value", "status", "contractor_org_id",
]  # fmt: skip
RefArg = Annotated[str, typer.Argument(help="Case id or identifier (PL-D-AAA).")]
OnOpt = Annotated[str | None, typer.Option("--on", help="Date (YYYY-MM-DD); default today.")]


def _date(value: str | None, option: str) -> date | None:
    return None if value is None else parse_date(value, option=option)


def _case_id(session: Session, ref: str) -> int:
    from secassist.cases.service import resolve_case

    return resolve_case(session, actor=None, ref=ref).id


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key.strip():
            raise ValidationFailedError(f"{option}: {v!r} is not LINE=VALUE", field=option.lstrip("-"))
        out[key.strip()] = val.strip()
    return out


def _json(model: Any) -> None:
    sys.stdout.write(model.model_dump_json(indent=2) + "\n")


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    country: Annotated[str | None, typer.Option(help="Purchaser: ISO code or NATO body.")] = None,
    agency: Annotated[str | None, typer.Option(help="Implementing agency letter.")] = None,
    financing: Annotated[str | None, typer.Option(help="national, fmf or mixed.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Text in the identifier or title.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    fmt: FormatOpt = Format.table,
) -> None:
    """List cases, newest first, with values derived from their lines."""
    from secassist.cases import present, queries

    with read_session() as s:
        page = queries.list_cases(
            s,
            actor=None,
            status=status,
            country=country,
            agency=agency,
            financing=financing,
            q=q,
            limit=limit,
        )
        rows = [present.case_summary(r).model_dump() for r in page.items]
    emit_rows(rows, fmt, columns=CASE_COLUMNS, title=f"Cases ({page.total})")


@app.command("show")
def show(ref: RefArg, fmt: FormatOpt = Format.table) -> None:
    """One case: its values, lines and history (``--format json`` for everything)."""
    from secassist.cases import present, queries

    with read_session() as s:
        detail = present.case_read(queries.case_detail(s, actor=None, ref=ref))
    if fmt is Format.json:
        _json(detail)
        return
    head = detail.model_dump(include={"identifier", "title", "status", "version", "purchaser", "financing"})
    head |= {
        "mde_value": detail.mde_value,
        "other_value": detail.other_value,
        "total_value": detail.total_value,
    }
    head["next"] = " ".join(detail.next_statuses)
    emit_rows([head], fmt, title=f"Case {detail.identifier}")
    emit_rows([ln.model_dump() for ln in detail.lines], fmt, columns=LINE_COLUMNS, title="Lines")
    events = [
        e.model_dump(include={"on", "kind", "from_status", "to_status", "actor", "detail"})
        for e in detail.events
    ]
    emit_rows(
        events, fmt, columns=["on", "kind", "from_status", "to_status", "actor", "detail"], title="History"
    )


@app.command("lines")
def lines(ref: RefArg, fmt: FormatOpt = Format.table) -> None:
    """A case's lines."""
    from secassist.cases import present, queries

    with read_session() as s:
        rows = [
            ln.model_dump() for ln in present.case_read(queries.case_detail(s, actor=None, ref=ref)).lines
        ]
    emit_rows(rows, fmt, columns=LINE_COLUMNS, title="Lines")


@app.command("timeline")
def timeline(
    ref: RefArg,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date; default today.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """A case's status phases with the days spent in each, as of a date."""
    from secassist.cases import present, queries
    from secassist.core.clock import SystemClock

    day = _date(as_of, "--as-of") or SystemClock().today()
    with read_session() as s:
        d = queries.case_detail(s, actor=None, ref=ref, until=day)
        t = present.timeline_read(d.case, d.lor, d.events, day)
    if fmt is Format.json:
        _json(t)
        return
    emit_rows([p.model_dump() for p in t.phases], fmt, columns=["status", "label", "start", "end", "days"])


@app.command("gates")
def gates(ref: RefArg, on: OnOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Each offer gate's answer for the case, with its reason."""
    from secassist.workflows.offer import gates_for

    with read_session() as s:
        results = gates_for(s, actor=None, case_id=_case_id(s, ref), on=_date(on, "--on"))
    rows = [{"gate": r.gate, "satisfied": r.satisfied, "reason": r.reason} for r in results]
    emit_rows(rows, fmt, columns=["gate", "satisfied", "reason"], title="Offer gates")


@app.command("metrics")
def metrics_(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date; default today.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Processing metrics as of a date: days to offer, AOD share, 120-day metric, dwell per status."""
    from secassist.cases import metrics, present
    from secassist.core.clock import SystemClock

    day = _date(as_of, "--as-of") or SystemClock().today()
    with read_session() as s:
        m = present.metrics_read(metrics.case_metrics(s, actor=None, as_of=day))
    if fmt is Format.json:
        _json(m)
        return
    summary = {
        "as_of": m.as_of, "cases": m.cases, "offered": m.offered, "mean_days_to_offer": m.mean_days_to_offer,
        "aod_share": m.aod.share, "aod_target": m.aod.target, "within_120_share": m.within_120_days.share,
        "no_aod": m.no_aod,
    }  # fmt: skip
    emit_rows([summary], fmt, title="Case processing")
    emit_rows([d.model_dump() for d in m.dwell], fmt, title="Dwell time per status (days)")


@app.command("intake")
def intake(
    purchaser: Annotated[str, typer.Option(help="ISO country code or NATO body.")],
    financing: Annotated[str, typer.Option(help="national, fmf or mixed.")],
    request_type: Annotated[
        str, typer.Option("--request-type", help="pa, loa, amendment, modification.")
    ] = "loa",
    received_on: Annotated[str | None, typer.Option("--received-on", help="Default today.")] = None,
    reference: Annotated[str, typer.Option(help="The purchaser's reference number.")] = "",
    articles: Annotated[str, typer.Option(help="Articles and services requested.")] = "",
    end_user: Annotated[list[str] | None, typer.Option("--end-user", help="Repeat for several.")] = None,
    loa_type: Annotated[str | None, typer.Option("--loa-type")] = None,
    desired_value: Annotated[str | None, typer.Option("--desired-value")] = None,
) -> None:
    """Record a Letter of Request as received; prints its id and what it still lacks."""
    from secassist.cases.lors import lor_missing, receive_lor
    from secassist.core.clock import SystemClock

    with uow() as s:
        lor = receive_lor(
            s, actor=acting(s), purchaser=purchaser, request_type=request_type, financing=financing,
            received_on=_date(received_on, "--received-on") or SystemClock().today(),
            reference_number=reference, articles_services=articles, end_users=end_user or [],
            loa_type=loa_type, desired_value=desired_value,
        )  # fmt: skip
        lid, missing = lor.id, lor_missing(lor)
    typer.echo(f"LOR {lid} received" + (f"; missing: {', '.join(missing)}" if missing else "; complete"))


@app.command("open")
def open_(
    agency: Annotated[str, typer.Option(help="Implementing agency letter or abbreviation.")],
    loa_type: Annotated[str, typer.Option("--loa-type", help="defined_order, blanket_order, clssa.")],
    title: Annotated[str, typer.Option()],
    lor_id: Annotated[
        int | None, typer.Argument(help="The LOR's id (``cases intake`` prints it); or --lor-ref.")
    ] = None,
    lor_ref: Annotated[
        str | None, typer.Option("--lor-ref", help="The purchaser's reference given at intake.")
    ] = None,
    designator: Annotated[str | None, typer.Option(help="3 characters; next free when omitted.")] = None,
    aod_group: Annotated[str | None, typer.Option("--aod-group")] = None,
) -> None:
    """Open a case for an LOR, named by its id or by its reference; prints the case identifier."""
    from secassist.cases.lors import find_lor
    from secassist.cases.service import create_case

    if (lor_id is None) == (lor_ref is None):
        raise ValidationFailedError("lor_id: give the LOR's id or --lor-ref, not both", field="lor_id")
    with uow() as s:
        if lor_ref is not None:
            lor_id = find_lor(s, actor=acting(s), reference=lor_ref).id
        assert lor_id is not None
        case = create_case(
            s, actor=acting(s), lor_id=lor_id, implementing_agency=agency, loa_type=loa_type, title=title,
            designator=designator, aod_group=aod_group,
        )  # fmt: skip
        ident = case.identifier
    typer.echo(ident)


@app.command("add-line")
def add_line(
    ref: RefArg,
    item_type: Annotated[str, typer.Option("--item-type")],
    description: Annotated[str, typer.Option()],
    quantity: Annotated[str, typer.Option()],
    unit_cost: Annotated[str, typer.Option("--unit-cost")],
    usml: Annotated[str | None, typer.Option("--usml", help="USML category, I to XXI.")] = None,
    mde: Annotated[bool, typer.Option("--mde")] = False,
    sme: Annotated[bool, typer.Option("--sme")] = False,
    eeum: Annotated[bool, typer.Option("--eeum")] = False,
    contractor: Annotated[str | None, typer.Option(help="The contractor organization's name.")] = None,
    version: Annotated[int | None, typer.Option(help="The case version you read (409 if stale).")] = None,
) -> None:
    """Add a line to a case in development."""
    from secassist.cases.service import add_line as add
    from secassist.cli.users import organization_id

    with uow() as s:
        line = add(
            s, actor=acting(s), case_id=_case_id(s, ref), item_type=item_type, description=description,
            quantity=quantity, unit_cost=unit_cost, usml_category=usml, mde=mde, sme=sme, eeum=eeum,
            contractor_org_id=organization_id(s, contractor) if contractor else None,
            expected_version=version,
        )  # fmt: skip
        number, value = line.number, line.value
    typer.echo(f"line {number} added: {value}")


@app.command("complete-line")
def complete_line(
    ref: RefArg, number: Annotated[str, typer.Argument(help="Line number (001).")], on: OnOpt = None
) -> None:
    """Mark a line supply/services complete (the last one makes the case SSC)."""
    from secassist.cases.common import resolve_line
    from secassist.cases.service import complete_line as complete

    with uow() as s:
        line = resolve_line(s, actor=acting(s), ref=ref, number=number)
        complete(s, actor=acting(s), case_id=line.case_id, line_id=line.id, on=_date(on, "--on"))
    typer.echo(f"line {number.zfill(3)} supply/services complete")


@app.command("advance")
def advance(
    ref: RefArg,
    to: Annotated[str, typer.Option("--to", help="The status to move to.")],
    on: OnOpt = None,
    version: Annotated[int | None, typer.Option(help="The case version you read (409 if stale).")] = None,
    oed: Annotated[str | None, typer.Option("--oed", help="Offer expiration date (offering).")] = None,
    deposit: Annotated[str | None, typer.Option(help="Initial deposit (accepting).")] = None,
    document: Annotated[
        str | None,
        typer.Option("--document", help="Accepting on the purchaser's behalf: the signed LOA's reference."),
    ] = None,
    note: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Move a case to another status; ``--to offered`` runs the offer workflow and its gates."""
    from secassist.cases.service import advance as move
    from secassist.workflows.offer import offer_case

    with uow() as s:
        cid = _case_id(s, ref)
        if to.strip().lower() == "offered":
            case, _ = offer_case(
                s, actor=acting(s), case_id=cid, offer_expires_on=_date(oed, "--oed"), on=_date(on, "--on"),
                expected_version=version, note=note,
            )  # fmt: skip
        else:
            case = move(
                s, actor=acting(s), case_id=cid, to=to, on=_date(on, "--on"), expected_version=version,
                initial_deposit=deposit, note=note, acceptance_document=document,
            )  # fmt: skip
        ident, status, v = case.identifier, case.status, case.version
    typer.echo(f"{ident} is {status} (version {v})")


@app.command("amendments")
def amendments_(ref: RefArg, fmt: FormatOpt = Format.table) -> None:
    """A case's amendments and modifications."""
    from secassist.cases import present, queries

    with read_session() as s:
        items = present.case_read(queries.case_detail(s, actor=None, ref=ref)).amendments
    rows = [a.model_dump() | {"changes": json.dumps(a.changes, sort_keys=True)} for a in items]
    cols = ["kind", "number", "status", "description", "value_before", "value_after", "warning", "created_on"]
    emit_rows(rows, fmt, columns=cols, title="Amendments and modifications")


@app.command("amend")
def amend(
    ref: RefArg,
    description: Annotated[str, typer.Option()],
    quantity: Annotated[list[str], typer.Option("--quantity", help="LINE=QUANTITY; repeat.")],
) -> None:
    """Propose an amendment changing line quantities (scope); it applies when accepted."""
    from secassist.cases.amendments import propose_amendment

    with uow() as s:
        a = propose_amendment(
            s, actor=acting(s), case_id=_case_id(s, ref), description=description,
            quantity_changes=dict(_pairs(quantity, "--quantity")),
        )  # fmt: skip
        n, after = a.number, a.value_after
    typer.echo(f"amendment {n} proposed (total after: {after})")


@app.command("accept-amendment")
def accept_amendment(ref: RefArg, number: Annotated[int, typer.Argument()], on: OnOpt = None) -> None:
    """Record the purchaser's acceptance of an amendment and apply it."""
    from secassist.cases.amendments import accept_amendment as accept

    with uow() as s:
        accept(s, actor=acting(s), case_id=_case_id(s, ref), number=number, on=_date(on, "--on"))
    typer.echo(f"amendment {number} accepted")


@app.command("modify")
def modify(
    ref: RefArg,
    description: Annotated[str, typer.Option()],
    unit_cost: Annotated[list[str] | None, typer.Option("--unit-cost", help="LINE=COST; repeat.")] = None,
    reason: Annotated[
        str, typer.Option(help="cost | delivery_schedule | payment_schedule | administrative")
    ] = "cost",
) -> None:
    """Issue a modification (no scope change): new estimated unit costs, or a schedule,
    payment or administrative change stated in its description; warns above 10% growth."""
    from secassist.cases.amendments import issue_modification

    with uow() as s:
        m = issue_modification(
            s, actor=acting(s), case_id=_case_id(s, ref), description=description,
            unit_costs=dict(_pairs(unit_cost or [], "--unit-cost")), reason=reason,
        )  # fmt: skip
        n, warning = m.number, m.warning
    typer.echo(f"modification {n} issued")
    if warning:
        typer.echo(f"warning: {warning}", err=True)


@app.command("participants")
def participants(
    ref: RefArg,
    add: Annotated[str | None, typer.Option("--add", help="Name a participating nation (ISO code).")] = None,
    assurances: Annotated[
        str | None, typer.Option("--assurances", help="The participant whose signed assurances to record.")
    ] = None,
    signed: Annotated[str | None, typer.Option("--signed", help="Date the assurances were signed.")] = None,
    signatory: Annotated[
        str | None, typer.Option("--signatory", help="Who signed (default: Government of CC).")
    ] = None,
    named: Annotated[
        str | None,
        typer.Option("--named-in-notification", help="A participant the §36(b) notification named."),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """A lead-nation case's participating nations: name one, record its signed assurances,
    record that the §36(b) notification named it; then list them (in that order, one commit)."""
    from secassist.cases import participants as parts

    if (assurances is None) != (signed is None):
        raise ValidationFailedError("--assurances and --signed go together", field="signed")
    with uow() as s:
        if add is not None:
            parts.add_participant(s, actor=acting(s), case_ref=ref, country=add)
        if assurances is not None and signed is not None:
            parts.record_assurances(
                s,
                actor=acting(s),
                case_ref=ref,
                country=assurances,
                signed_on=parse_date(signed, option="--signed"),
                signatory=signatory or f"Government of {assurances.strip().upper()}",
            )
        if named is not None:
            parts.mark_named_in_notification(s, actor=acting(s), case_ref=ref, country=named)
        rows = parts.participant_rows(parts.participants_of(s, _case_id(s, ref)))
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    emit_rows(rows, fmt, columns=["country", "assurances_signed_on", "named_in_notification"])
