"""``secassist notification``: when Congress must be notified, and the notifications on record."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from secassist.cli.common import FormatOpt, parse_date
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
