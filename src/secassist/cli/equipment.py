"""``secassist equipment``: deliveries, custody events, the registry, a serial's trace, EEUM
delinquency and inventory reconciliation. Commands run as the administrator's console
(unscoped, audited as ``system``). The spellings and JSON keys are a scripting contract
(issue #12): keep them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from secassist.cli.common import FormatOpt, acting, parse_date, read_session, uow
from secassist.cli.output import Format, emit_rows, progress
from secassist.core.errors import ValidationFailedError

app = typer.Typer(
    help="Equipment accountability: deliver, custody events, items, trace, delinquency, reconcile.",
    no_args_is_help=True,
)
sites_app = typer.Typer(help="Storage sites: list, add.", no_args_is_help=True)
app.add_typer(sites_app, name="sites")

ITEM_COLUMNS = [
    "serial",
    "item_type",
    "case",
    "line",
    "holder_country",
    "site",
    "state",
    "eeum",
    "unit_value_usd",
]


def _json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


@sites_app.command("add")
def add_site(
    name: Annotated[str, typer.Argument(help="The site's name (unique).")],
    country: Annotated[str, typer.Option("--country", help="ISO alpha-2 country code.")],
    organization: Annotated[str, typer.Option("--organization", help="Who holds what is stored there.")],
) -> None:
    """Register a storage site."""
    from secassist.equipment import sites

    with uow() as s:
        site = sites.create_site(s, actor=acting(s), country=country, name=name, organization=organization)
        typer.echo(f"site {site.id}: {site.name} ({site.country_code})")


@sites_app.command("list")
def list_sites(
    country: Annotated[str | None, typer.Option("--country")] = None, fmt: FormatOpt = Format.table
) -> None:
    """Storage sites."""
    from secassist.equipment import queries

    with read_session() as s:
        rows = [
            {"id": x.id, "name": x.name, "country": x.country_code, "organization": x.organization}
            for x in queries.list_sites(s, actor=None, country=country)
        ]
    emit_rows(rows, fmt, columns=["id", "name", "country", "organization"])


@app.command()
def deliver(
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF", help="Case identifier (PL-D-AAA) or id.")],
    line_no: Annotated[
        str, typer.Argument(metavar="LINE_NO", help="Line number as the case shows it (001).")
    ],
    on: Annotated[str, typer.Option("--on", help="Delivery date (YYYY-MM-DD).")],
    site: Annotated[str, typer.Option("--site", help="The receiving site's name.")],
    serial: Annotated[list[str] | None, typer.Option("--serial", help="A serial (repeat).")] = None,
    serials_file: Annotated[
        Path | None,
        typer.Option("--serials-file", help="A file of serials, one a line.", exists=True, dir_okay=False),
    ] = None,
    quantity: Annotated[int | None, typer.Option("--quantity", help="Bulk quantity (ammunition).")] = None,
    item_type: Annotated[
        str | None, typer.Option("--item-type", help="Catalog item type (default: from the line).")
    ] = None,
    manufacturer: Annotated[str, typer.Option("--manufacturer")] = "",
    fmt: FormatOpt = Format.table,
) -> None:
    """Deliver serialized items (--serial/--serials-file) or a bulk lot (--quantity) against a line."""
    from secassist.equipment import queries
    from secassist.workflows.deliver import deliver as run

    given = [x for x in (serial, serials_file, quantity) if x]
    if len(given) != 1:
        raise ValidationFailedError(
            "serials: give exactly one of --serial, --serials-file or --quantity", field="serials"
        )
    serials = list(serial or [])
    if serials_file is not None:
        serials = [ln.strip() for ln in serials_file.read_text(encoding="utf-8").splitlines() if ln.strip()]
    when = parse_date(on, option="on")
    with uow() as s:
        d = run(
            s,
            actor=acting(s),
            case_ref=case_ref,
            line_no=line_no,
            on=when,
            site=site,
            serials=serials,
            quantity=quantity,
            item_type=item_type,
            manufacturer=manufacturer,
        )
        items = [queries.item_read(i, d.site.name).model_dump(mode="json") for i in d.items]
        lot = None
        if d.lot is not None:
            lot = {
                "lot_id": d.lot.id,
                "item_type": d.lot.item_type,
                "quantity": d.lot.quantity,
                "site": d.site.name,
            }
    if fmt is Format.json:
        _json({"items": items, "lot": lot})
        return
    if lot is not None:
        typer.echo(f"delivered lot {lot['lot_id']}: {lot['quantity']} {lot['item_type']} at {lot['site']}")
        return
    emit_rows(items, fmt, columns=ITEM_COLUMNS)


@app.command()
def event(
    serial: Annotated[str, typer.Argument(metavar="SERIAL")],
    kind: Annotated[
        str, typer.Option("--kind", help="received, stored, issued, loaned, returned, inventoried, ….")
    ],
    on: Annotated[str, typer.Option("--on", help="The event's date (YYYY-MM-DD).")],
    site: Annotated[str | None, typer.Option("--site", help="Site name.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Recipient unit name.")] = None,
    holder_country: Annotated[
        str | None, typer.Option("--holder-country", help="New holder (transfers).")
    ] = None,
    not_found: Annotated[
        bool, typer.Option("--not-found", help="An inventory that did not find the item.")
    ] = False,
    item_type: Annotated[
        str | None, typer.Option("--item-type", help="When the serial alone is ambiguous.")
    ] = None,
) -> None:
    """Record a custody event; refused with a one-line reason when the chronology forbids it."""
    from secassist.equipment import service

    with uow() as s:
        ev = service.record_event(
            s,
            actor=acting(s),
            serial=serial,
            kind=kind.strip().lower(),
            on=parse_date(on, option="on"),
            site=site,
            unit=unit,
            holder_country=holder_country,
            item_type=item_type,
            found=(not not_found) if kind.strip().lower() == "inventoried" else None,
        )
        typer.echo(f"{serial}: {ev.kind} on {ev.occurred_on} (event {ev.seq})")


@app.command()
def items(
    case: Annotated[str | None, typer.Option("--case", help="Case identifier or id.")] = None,
    country: Annotated[str | None, typer.Option("--country", help="Holder country (ISO alpha-2).")] = None,
    eeum: Annotated[bool, typer.Option("--eeum", help="Only EEUM items.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The registry of serialized items."""
    from secassist.cases import service as cases
    from secassist.equipment import queries

    with read_session() as s:
        case_id = cases.resolve_case(s, actor=None, ref=case).id if case else None
        rows = [
            r.model_dump(mode="json")
            for r in queries.list_items(
                s, actor=None, case_id=case_id, country=country, eeum=True if eeum else None
            )
        ]
    emit_rows(rows, fmt, columns=ITEM_COLUMNS)


@app.command()
def trace(
    serial: Annotated[str, typer.Argument(metavar="SERIAL")],
    item_type: Annotated[str | None, typer.Option("--item-type")] = None,
    size: Annotated[
        int | None, typer.Option("--tree-size", help="Prove against this tree size (a checkpoint's).")
    ] = None,
    fmt: FormatOpt = Format.json,
) -> None:
    """One serial's whole chain, each step with its audit entry and an inclusion proof."""
    from secassist.workflows.trace_item import trace as run

    with read_session() as s:
        t = run(s, actor=None, serial=serial, item_type=item_type, size=size)
    body = t.model_dump(mode="json")
    if fmt is Format.json:
        _json(body)
        return
    rows = [{**e, "audit_seq": e["audit_seq"]} for e in body["events"]]
    emit_rows(
        rows, fmt, columns=["on", "kind", "site", "holder", "audit_seq"], title=f"{t.serial} ({t.state})"
    )


@app.command()
def delinquency(
    as_of: Annotated[
        str, typer.Option("--as-of", help="The date (YYYY-MM-DD); a future date is a projection.")
    ],
    country: Annotated[str | None, typer.Option("--country")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """EEUM inventory delinquency as of a date, by country, with the delinquent items."""
    from secassist.equipment import monitoring

    with read_session() as s:
        report = monitoring.delinquency(
            s, actor=None, as_of=parse_date(as_of, option="as-of"), country=country
        )
    if fmt is Format.json:
        _json(report.as_json())
        return
    rows = [
        {
            "country": c.country,
            "eeum_value_usd": c.eeum_value_usd,
            "delinquent_value_usd": c.delinquent_value_usd,
            "delinquent_share": f"{c.delinquent_share * 100:.1f}%",
            "items": len(c.items),
        }
        for c in report.by_country
    ]
    emit_rows(
        rows, fmt, columns=["country", "eeum_value_usd", "delinquent_value_usd", "delinquent_share", "items"]
    )
    typer.echo(
        f"delinquent ${report.delinquent_value_usd:,} of ${report.eeum_value_usd:,} "
        f"({report.delinquent_share * 100:.1f}%) as of {report.as_of}",
        err=True,
    )


@app.command()
def reconcile(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, help="CSV or XLSX scan.")
    ],
    site: Annotated[str, typer.Option("--site", help="The scanned site's name.")],
    on: Annotated[str, typer.Option("--on", help="The scan's date (YYYY-MM-DD).")],
    apply: Annotated[bool, typer.Option("--apply", help="Record an inventory event per item found.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Reconcile a site's scanned serial list: found / missing / unexpected / wrong_site / gone."""
    from secassist.equipment.reconcile import reconcile as run

    bar = progress(f"reconciling {file.name}", show=fmt is Format.table)
    with uow() as s, bar as tick:
        result = run(
            s,
            actor=acting(s),
            data=file.read_bytes(),
            name=file.name,
            site=site,
            on=parse_date(on, option="on"),
            apply=apply,
            progress=tick.update,
        )
    body = result.as_json()
    if fmt is Format.json:
        _json(body)
        return
    for key in ("found", "missing", "unexpected", "wrong_site", "gone"):
        typer.echo(
            f"{key}: {len(body[key])}"
            + (f" ({', '.join(x['serial'] for x in body[key][:10])})" if body[key] else "")
        )
    typer.echo(f"applied: {result.applied} ({result.recorded} inventory events recorded)")


@app.command()
def check(
    country: Annotated[str, typer.Option("--country", help="ISO alpha-2 country code.")],
    on: Annotated[str, typer.Option("--on", help="The check's date (YYYY-MM-DD).")],
    office: Annotated[str, typer.Option("--office", help="Who did the check (the SCO).")],
    finding: Annotated[list[str] | None, typer.Option("--finding", help="A finding (repeat).")] = None,
) -> None:
    """Record a routine end-use check in a country (Routine EUM, SAMM C8.3)."""
    from secassist.equipment import checks

    with uow() as s:
        row = checks.record_check(
            s,
            actor=acting(s),
            country=country,
            on=parse_date(on, option="on"),
            office=office,
            findings=finding or [],
        )
        typer.echo(f"check {row.id}: {row.country_code} on {row.checked_on} by {row.office}")


DUE_COLUMNS = ["kind", "country", "subject", "due_on", "status", "last_done_on", "detail"]


@app.command()
def due(
    as_of: Annotated[str, typer.Option("--as-of", help="The date (YYYY-MM-DD).")],
    country: Annotated[str | None, typer.Option("--country")] = None,
    within: Annotated[
        int, typer.Option("--within", help="Also list what falls due within this many days.")
    ] = 30,
    fmt: FormatOpt = Format.table,
) -> None:
    """EEUM inventories, routine checks per country and site inspections due or overdue."""
    from secassist.equipment import checks

    with read_session() as s:
        report = checks.due(
            s, actor=None, as_of=parse_date(as_of, option="as-of"), within_days=within, country=country
        )
    if fmt is Format.json:
        _json(report.as_json())
        return
    emit_rows([r.as_json() for r in report.rows], fmt, columns=DUE_COLUMNS)


@app.command("lot-event")
def lot_event(
    lot_id: Annotated[int, typer.Argument(metavar="LOT_ID")],
    kind: Annotated[
        str, typer.Option("--kind", help="stored, issued, expended, lost, destroyed or transferred.")
    ],
    quantity: Annotated[int, typer.Option("--quantity", help="How many units of the lot.")],
    on: Annotated[str, typer.Option("--on", help="The event's date (YYYY-MM-DD).")],
    site: Annotated[
        str | None, typer.Option("--site", help="Site the units go to (stored) or come from.")
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit the units go to (issued) or come from.")
    ] = None,
    from_site: Annotated[
        str | None, typer.Option("--from-site", help="Site the units leave (a move between sites).")
    ] = None,
    holder_country: Annotated[
        str | None, typer.Option("--holder-country", help="New holder (transfers).")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a custody event of N units of a bulk lot; prints the lot's holdings after it."""
    from secassist.equipment import lots

    with uow() as s:
        ev, _ = lots.record_lot_event(
            s,
            actor=acting(s),
            lot_id=lot_id,
            kind=kind.strip().lower(),
            quantity=quantity,
            on=parse_date(on, option="on"),
            site=site,
            unit=unit,
            from_site=from_site,
            holder_country=holder_country,
        )
        after = lots.holdings(s, actor=acting(s), lot_id=lot_id)
        line = f"lot {lot_id}: {ev.kind} {ev.quantity} on {ev.occurred_on} (event {ev.seq})"
    if fmt is Format.json:
        _json(after.as_json())
        return
    typer.echo(line)
    emit_rows(
        [{"holder": h.holder, "name": h.name, "quantity": h.quantity} for h in after.holdings],
        fmt,
        columns=["holder", "name", "quantity"],
    )
