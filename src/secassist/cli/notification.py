"""``secassist notification``: when Congress must be notified, and the notifications on record."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from secassist.cli.common import FormatOpt, acting, parse_date
from secassist.cli.output import Format, emit_rows
from secassist.core.types import to_money

app = typer.Typer(
    help="Congressional notification: thresholds, review periods, notifications.", no_args_is_help=True
)


@app.command("requirement")
def requirement_cmd(
    country: Annotated[str, typer.Option("--country", help="ISO alpha-2 code, or NATO / NSPA.")],
    on: Annotated[str, typer.Option("--date", help="Date of the transaction, YYYY-MM-DD.")],
    mde: Annotated[str, typer.Option("--mde", help="Major defense equipment value, USD.")],
    total: Annotated[str, typer.Option("--total", help="Total value (articles and services), USD.")],
    design_construction: Annotated[
        str, typer.Option("--design-construction", help="Design and construction services, USD.")
    ] = "0",
    kind: Annotated[str, typer.Option("--kind", help="sale | commercial | retransfer")] = "sale",
    firearms: Annotated[
        str, typer.Option("--firearms", help="USML Cat I(a)-(g) firearms value, USD (commercial).")
    ] = "0",
    new_sales_territory: Annotated[
        bool, typer.Option(help="The LOA/license authorizes a new sales territory (no higher thresholds).")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Whether a sale, license or retransfer needs congressional notification (AECA §36, §3(d))."""
    from secassist.notification.thresholds import requirement

    req = requirement(
        country.strip().upper(),
        parse_date(on, option="--date"),
        to_money(mde, field="mde"),
        to_money(total, field="total"),
        to_money(design_construction, field="design_construction"),
        kind,
        firearms=to_money(firearms, field="firearms"),
        new_sales_territory=new_sales_territory,
    )
    if fmt is Format.json:
        sys.stdout.write(json.dumps(req.contract()) + "\n")
        return
    rows: list[dict[str, object]] = [
        {"item": "required", "value": "yes" if req.required else "no"},
        {"item": "section", "value": req.section or "-"},
        {"item": "tripped", "value": ", ".join(req.tripped) or "-"},
        {"item": "review days", "value": req.review_days or "-"},
        {
            "item": "earliest offer (if notified that day)",
            "value": req.earliest_offer_date if req.required else "-",
        },
        {"item": "informal review days", "value": req.informal_review_days or "-"},
        {"item": "higher thresholds group", "value": "yes" if req.higher_thresholds else "no"},
        {"item": "15-day review group", "value": "yes" if req.short_review else "no"},
    ]
    rows += [{"item": f"threshold {k}", "value": f"${v:,}"} for k, v in req.thresholds.items()]
    rows += [{"item": "source", "value": s} for s in req.sources]
    rows += [{"item": "UNCONFIRMED", "value": n} for n in req.unconfirmed]
    emit_rows(rows, fmt, columns=["item", "value"], title=f"Notification requirement for {country} on {on}")


LIST_COLUMNS = [
    "id",
    "transmittal",
    "section",
    "purchaser",
    "purchaser_country",
    "total_value",
    "status",
    "formal_notification_on",
    "review_ends_on",
    "case_id",
    "origin",
]


@app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(help="draft, informal_review, formally_notified, ...")] = None,
    country: Annotated[str | None, typer.Option(help="Purchaser country code.")] = None,
    public: Annotated[bool, typer.Option(help="Only what a public export may show.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Notifications, soonest review deadline first."""
    from secassist.cli.common import read_session
    from secassist.notification import queries

    with read_session() as session:
        if public:
            rows = [queries.public_row(n) for n in queries.public_records(session)]
            emit_rows(rows, fmt, columns=list(queries.PUBLIC_FIELDS), title="Notified sales (public)")
            return
        found = queries.list_notifications(session, actor=None, status=status, country=country)
        rows = [{c: getattr(n, c) for c in LIST_COLUMNS} for n in found]
    emit_rows(rows, fmt, columns=LIST_COLUMNS, title="Notifications")


@app.command("show")
def show_cmd(
    notification_id: Annotated[int, typer.Argument()],
    fmt: FormatOpt = Format.table,
) -> None:
    """One notification, every field."""
    from secassist.cli.common import read_session
    from secassist.notification import queries
    from secassist.notification.schemas import NotificationRead

    with read_session() as session:
        n = queries.get_notification(session, actor=None, notification_id=notification_id)
        data = NotificationRead.model_validate(n).model_dump()
    emit_rows([{"field": k, "value": v} for k, v in data.items()], fmt, columns=["field", "value"])


@app.command("notice")
def notice_cmd(
    notification_id: Annotated[int, typer.Argument()],
    pdf: Annotated[
        Path | None, typer.Option(help="Write the PDF to this file instead of printing text.")
    ] = None,
) -> None:
    """The Federal Register transmittal of a notification (text, or PDF with --pdf)."""
    from secassist.cli.common import read_session
    from secassist.notification import queries
    from secassist.notification.render import render_pdf, render_text
    from secassist.workflows.notification_case import notice_content

    with read_session() as session:
        n = queries.get_notification(session, actor=None, notification_id=notification_id)
        content = notice_content(session, n)
    if pdf is None:
        sys.stdout.write(render_text(content))
    else:
        pdf.write_bytes(render_pdf(content))
        typer.echo(f"wrote {pdf}")


@app.command("formal")
def formal_cmd(
    notification_id: Annotated[int, typer.Argument()],
    on: Annotated[str, typer.Option("--on", help="Date delivered to Congress, YYYY-MM-DD.")],
    transmittal: Annotated[str | None, typer.Option(help="Transmittal number, e.g. 26-07.")] = None,
) -> None:
    """Record the formal notification (the review period starts)."""
    from secassist.cli.common import uow
    from secassist.notification import service

    with uow() as session:
        n = service.record_formal_notification(
            session,
            actor=acting(session),
            notification_id=notification_id,
            on=parse_date(on, option="--on"),
            transmittal=transmittal,
        )
        ends = n.review_ends_on
        typer.echo(f"notification {n.id}: formally notified {n.formal_notification_on}, review ends {ends}")


@app.command("prepare")
def prepare_cmd(
    case_id: Annotated[int, typer.Option("--case", help="The case to notify.")],
    justification: Annotated[str | None, typer.Option(help="Policy justification text.")] = None,
) -> None:
    """Open the notification of a case from the case's facts."""
    from secassist.cli.common import uow
    from secassist.workflows.notification_case import prepare_for_case

    with uow() as session:
        n = prepare_for_case(
            session, actor=acting(session), case_id=case_id, policy_justification=justification
        )
        typer.echo(
            f"notification {n.id} for case {case_id}: {n.section}, {n.purchaser}, total {n.total_value}"
        )
