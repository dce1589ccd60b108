"""``secassist leahy``: Leahy vetting of foreign security-force units from the console."""

from __future__ import annotations

from typing import Annotated

import typer

from secassist.cli.common import FormatOpt, acting, parse_date, read_session, uow
from secassist.cli.output import Format, emit_rows

app = typer.Typer(
    help="Leahy vetting: units, vetting requests and outcomes, the obligation check.", no_args_is_help=True
)


@app.command("unit-add")
def unit_add(
    country: Annotated[str, typer.Option("--country")],
    name: Annotated[str, typer.Option("--name")],
    unit_type: Annotated[str, typer.Option("--type", help="military, reserve, police, border_guard, ...")],
) -> None:
    """Register a unit; prints its id."""
    from secassist.vetting.leahy import create_unit

    with uow() as session:
        uid = create_unit(session, actor=acting(session), country=country, name=name, unit_type=unit_type).id
    typer.echo(uid)


@app.command("units")
def units(
    country: Annotated[str | None, typer.Option("--country")] = None, fmt: FormatOpt = Format.table
) -> None:
    """List the units registry."""
    from secassist.vetting import schemas
    from secassist.vetting.leahy import list_units

    with read_session() as session:
        rows = [schemas.unit_read(u).model_dump() for u in list_units(session, actor=None, country=country)]
    emit_rows(rows, fmt, columns=list(schemas.UnitRead.model_fields), title="Leahy units")


@app.command("request")
def request(
    unit_id: Annotated[int, typer.Argument(help="The unit.")],
    on: Annotated[str, typer.Option("--on", help="Request date, YYYY-MM-DD.")],
    purpose: Annotated[str, typer.Option("--purpose")],
    source: Annotated[list[str], typer.Option("--source", help="A source checked; repeat for several.")],
) -> None:
    """Open a vetting request; prints its id."""
    from secassist.vetting.leahy import request_vetting

    with uow() as session:
        vid = request_vetting(
            session,
            actor=acting(session),
            unit_id=unit_id,
            requested_on=parse_date(on, option="--on"),
            purpose=purpose,
            sources_checked=source,
        ).id
    typer.echo(vid)


@app.command("outcome")
def outcome(
    vetting_id: Annotated[int, typer.Argument(help="The vetting.")],
    result: Annotated[str, typer.Option("--outcome", help="approved, suspended, denied or cancelled")],
    on: Annotated[str, typer.Option("--on", help="Decision date, YYYY-MM-DD.")],
    basis: Annotated[str, typer.Option("--basis")],
    valid_until: Annotated[str | None, typer.Option("--valid-until")] = None,
) -> None:
    """Decide a vetting (a denial opens a duty-to-inform task)."""
    from secassist.vetting.leahy import record_outcome

    with uow() as session:
        v = record_outcome(
            session,
            actor=acting(session),
            vetting_id=vetting_id,
            outcome=result,
            decided_on=parse_date(on, option="--on"),
            basis=basis,
            valid_until=parse_date(valid_until, option="--valid-until") if valid_until else None,
        )
        msg = f"vetting {v.id}: {v.status}" + (
            f", valid {v.valid_from} to {v.valid_until}" if v.valid_until else ""
        )
    typer.echo(msg, err=True)


@app.command("vettings")
def vettings(
    unit_id: Annotated[int | None, typer.Option("--unit")] = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List vettings."""
    from secassist.vetting import schemas
    from secassist.vetting.leahy import list_vettings

    with read_session() as session:
        rows = [
            schemas.vetting_read(v).model_dump()
            for v in list_vettings(session, actor=None, unit_id=unit_id, status=status)
        ]
    for r in rows:
        r["sources_checked"] = r["sources_checked"] if fmt is Format.json else "; ".join(r["sources_checked"])
    emit_rows(rows, fmt, columns=list(schemas.LeahyVettingRead.model_fields), title="Leahy vettings")


@app.command("check")
def check(
    unit_id: Annotated[int, typer.Argument(help="The unit.")],
    on: Annotated[str, typer.Option("--on", help="Obligation date, YYYY-MM-DD.")],
) -> None:
    """Exit 0 when the unit has a current approved vetting on the date (the obligation gate)."""
    from secassist.vetting.leahy import require_current_approval

    with read_session() as session:
        v = require_current_approval(session, unit_id, parse_date(on, option="--on"))
        msg = f"unit {unit_id}: approved by vetting {v.id}, valid {v.valid_from} to {v.valid_until}"
    typer.echo(msg)


@app.command("duty-to-inform")
def duty_to_inform(
    status: Annotated[str | None, typer.Option("--status", help="open or done")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Duty-to-inform tasks (opened when assistance is withheld on a denial)."""
    from secassist.vetting import schemas
    from secassist.vetting.leahy import list_duty_to_inform

    with read_session() as session:
        rows = [
            schemas.inform_read(t).model_dump()
            for t in list_duty_to_inform(session, actor=None, status=status)
        ]
    emit_rows(rows, fmt, columns=list(schemas.DutyToInformRead.model_fields), title="Duty to inform")
