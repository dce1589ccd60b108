"""``secassist transfers``: third-party transfer requests with their findings, State's
decision, the §3(d) certification, execution, the return of temporary transfers, overdue
returns and the offices' inbox. Commands run as the administrator's console (unscoped,
audited as ``system``). The spellings and JSON keys are a scripting contract (issue #13):
keep them."""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import typer

from secassist.cli.common import FormatOpt, acting, parse_date, read_session, uow
from secassist.cli.output import Format, emit_rows
from secassist.core.clock import SystemClock

app = typer.Typer(
    help="Transfers after delivery: request, decide, certify, execute, return, list, overdue, inbox.",
    no_args_is_help=True,
)

COLUMNS = [
    "id",
    "status",
    "kind",
    "from",
    "to",
    "requested_on",
    "return_by",
    "serials",
    "value_usd",
    "notification_required",
    "certified_on",
    "decided_on",
    "executed_on",
    "returned_on",
]


def _json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


def _day(value: str | None, option: str) -> date:
    return parse_date(value, option=option) if value else SystemClock().today()


def _row(s: Any, req: Any) -> dict[str, Any]:
    from secassist.transfers.queries import items_of

    return {
        "id": req.id,
        "status": req.status,
        "kind": req.kind,
        "from": req.from_country,
        "to": req.to_party,
        "requested_on": req.requested_on.isoformat(),
        "return_by": req.return_by.isoformat() if req.return_by else None,
        "serials": " ".join(i.serial for i in items_of(s, req.id)),
        "value_usd": _usd(req.total_value_cents),
        "notification_required": req.notification_required,
        "certified_on": req.certified_on.isoformat() if req.certified_on else None,
        "decided_on": req.decided_on.isoformat() if req.decided_on else None,
        "executed_on": req.executed_on.isoformat() if req.executed_on else None,
        "returned_on": req.returned_on.isoformat() if req.returned_on else None,
    }


def _usd(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2))


@app.command()
def request(
    from_: Annotated[str, typer.Option("--from", help="The holder country (ISO alpha-2).")],
    to: Annotated[str, typer.Option("--to", help="The recipient: a country or a NATO body (NSPA).")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="retransfer, end_use_change, temporary_repair, "
            "temporary_exercise, temporary_display, disposal, demilitarization.",
        ),
    ],
    on: Annotated[str, typer.Option("--on", help="Requested date (YYYY-MM-DD).")],
    end_use: Annotated[str, typer.Option("--end-use", help="The new end use.")],
    end_user: Annotated[str | None, typer.Option("--end-user", help="The new end user.")] = None,
    return_by: Annotated[str | None, typer.Option("--return-by", help="Return date (temporary).")] = None,
    serial: Annotated[list[str] | None, typer.Option("--serial", help="A serial (repeat).")] = None,
    lot: Annotated[int | None, typer.Option("--lot", help="A bulk lot's id.")] = None,
    quantity: Annotated[int | None, typer.Option("--quantity", help="How many of the lot.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """File a transfer request from the holder country and run its checks."""
    from secassist.workflows.transfer_request import request_transfer

    with uow() as s:
        filed = request_transfer(
            s,
            actor=acting(s),
            from_country=from_,
            to_party=to,
            kind=kind,
            on=parse_date(on, option="--on"),
            end_use=end_use,
            end_user=end_user,
            return_by=parse_date(return_by, option="--return-by") if return_by else None,
            serials=serial or [],
            lot_id=lot,
            quantity=quantity,
        )
        req = filed.request
        findings = [
            {"factor": f.factor, "outcome": f.outcome, "rationale": f.rationale} for f in filed.findings
        ]
        doc: dict[str, Any] = {
            "id": req.id,
            "status": req.status,
            "findings": [
                {"factor": f.factor, "outcome": f.outcome, "rationale": f.rationale} for f in filed.findings
            ],
            "notification": {
                "required": req.notification_required,
                "section": req.notification_section,
                "review_days": req.review_days,
            },
        }
    if fmt is Format.json:
        _json(doc)
        return
    emit_rows(findings, fmt, columns=["factor", "outcome", "rationale"])
    if fmt is Format.table:
        typer.echo(f"transfer request {doc['id']}: {doc['status']}")


@app.command()
def decide(
    request_id: Annotated[int, typer.Argument(metavar="ID")],
    decision: Annotated[str, typer.Option("--decision", help="approve or deny.")],
    proviso: Annotated[list[str] | None, typer.Option("--proviso", help="A proviso (repeat).")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Decision date (default today).")] = None,
    valid_until: Annotated[str | None, typer.Option("--valid-until", help="Last day to execute.")] = None,
) -> None:
    """State approves or denies a request, with provisos."""
    from secassist.workflows.transfer_execute import decide_transfer

    with uow() as s:
        req = decide_transfer(
            s,
            actor=acting(s),
            request_id=request_id,
            decision=decision,
            on=_day(on, "--on"),
            provisos=proviso or [],
            valid_until=parse_date(valid_until, option="--valid-until") if valid_until else None,
        )
        typer.echo(f"transfer request {req.id}: {req.status}")


@app.command()
def certify(
    request_id: Annotated[int, typer.Argument(metavar="ID")],
    on: Annotated[str, typer.Option("--on", help="Date the certification was sent to Congress.")],
) -> None:
    """Record the §3(d) certification formally sent to Congress: the review period starts."""
    from secassist.transfers import service

    with uow() as s:
        req = service.certify(s, actor=acting(s), request_id=request_id, on=parse_date(on, option="--on"))
        typer.echo(
            f"transfer request {req.id}: certified on {req.certified_on}, review ends {req.review_ends_on}"
        )


@app.command()
def execute(
    request_id: Annotated[int, typer.Argument(metavar="ID")],
    on: Annotated[str, typer.Option("--on", help="Execution date (YYYY-MM-DD).")],
    serial: Annotated[
        list[str] | None, typer.Option("--serial", help="Serials moved (must be those approved).")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="A lot request: the recipient's receiving site.")
    ] = None,
) -> None:
    """Execute an approved request: custody, holder and EEUM responsibility in one commit (a
    lot request splits the lot: its quantity goes to the recipient, the remainder stays)."""
    from secassist.workflows.transfer_execute import execute_transfer

    with uow() as s:
        done = execute_transfer(
            s, actor=acting(s), request_id=request_id, on=parse_date(on, option="--on"),
            serials=serial or None, site=site,
        )  # fmt: skip
        typer.echo(f"transfer request {done.request.id}: executed ({len(done.inbox)} office(s) notified)")


@app.command("return")
def return_(
    request_id: Annotated[int, typer.Argument(metavar="ID")],
    on: Annotated[str, typer.Option("--on", help="Return date (YYYY-MM-DD).")],
) -> None:
    """Record the return of a temporary transfer."""
    from secassist.workflows.transfer_execute import return_transfer

    with uow() as s:
        done = return_transfer(s, actor=acting(s), request_id=request_id, on=parse_date(on, option="--on"))
        typer.echo(f"transfer request {done.request.id}: returned")


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option("--status")] = None,
    country: Annotated[str | None, typer.Option("--country", help="Sending or receiving party.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Transfer requests, newest first."""
    from secassist.transfers import queries

    with read_session() as s:
        rows = [_row(s, r) for r in queries.list_requests(s, actor=None, status=status, country=country)]
    emit_rows(rows, fmt, columns=COLUMNS)


@app.command()
def overdue(
    on: Annotated[str | None, typer.Option("--on", help="As of (default today).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Temporary transfers not returned by their return date."""
    from secassist.transfers import queries

    with read_session() as s:
        rows = [_row(s, r) for r in queries.overdue_returns(s, actor=None, on=_day(on, "--on"))]
    emit_rows(rows, fmt, columns=COLUMNS)


@app.command()
def inbox(
    country: Annotated[str, typer.Argument(metavar="CC", help="The office's country.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """A country office's inbox: transfers that moved items in or out of its monitoring."""
    from secassist.transfers import queries

    with read_session() as s:
        rows = [
            {
                "id": e.id,
                "on": e.created_on.isoformat(),
                "office": e.office,
                "request": e.request_id,
                "case": e.case_id,
                "subject": e.subject,
                "body": e.body,
            }
            for e in queries.inbox(s, actor=None, country=country)
        ]
    emit_rows(rows, fmt, columns=["id", "on", "office", "request", "case", "subject", "body"])


@app.command("lead-nation")
def lead_nation(
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF", help="The case (id or identifier).")],
    to: Annotated[str, typer.Option("--to", help="The receiving participant (or the lead nation).")],
    on: Annotated[str, typer.Option("--on", help="Transfer date (YYYY-MM-DD).")],
    serial: Annotated[list[str] | None, typer.Option("--serial", help="A serial (repeat).")] = None,
    lot: Annotated[int | None, typer.Option("--lot", help="A lot of the case (with --quantity).")] = None,
    quantity: Annotated[int | None, typer.Option("--quantity", help="Units of the lot.")] = None,
    site: Annotated[str | None, typer.Option("--site", help="A lot's receiving site.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Move items (or units of a lot) of a lead-nation case from their current holder to a
    participating nation: the first transfer to each records the written notice to State
    (PM/RSAT); later ones go under the case's blanket authorization (SAMM C5.6, Fig. C5.F20)."""
    from secassist.workflows.lead_nation import transfer_lead_nation

    with uow() as s:
        done = transfer_lead_nation(
            s, actor=acting(s), case_ref=case_ref, to=to, on=parse_date(on, option="--on"),
            serials=serial or [], lot_id=lot, quantity=quantity, site=site,
        )  # fmt: skip
        doc = {
            "case": done.case_ref,
            "to": done.to,
            "on": done.on.isoformat(),
            "serials": list(done.serials),
            "authority": done.authority,
            "certification_exclusion": done.certification_exclusion,
            "notice": None if done.notice is None else {"id": done.notice.id, "body": done.notice.body},
        }
    if fmt is Format.json:
        _json(doc)
        return
    typer.echo(f"case {done.case_ref}: {len(done.serials)} item(s) to {done.to} under {done.authority}")
