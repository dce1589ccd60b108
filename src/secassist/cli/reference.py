"""``secassist reference``: the reference lists as of a date."""

from __future__ import annotations

from typing import Annotated

import typer

from secassist.cli.common import FormatOpt, parse_date
from secassist.cli.output import Format, emit_rows, emit_values
from secassist.reference.service import get_reference

app = typer.Typer(
    help="Reference data: countries, alliances, ITAR §126.1, USML, agencies.", no_args_is_help=True
)

OnOpt = Annotated[str, typer.Option("--on", help="As-of date, YYYY-MM-DD.")]


@app.command("nato-members")
def nato_members(on: OnOpt, fmt: FormatOpt = Format.table) -> None:
    """NATO member countries on a date (ISO alpha-2 codes)."""
    ref = get_reference()
    codes = ref.nato_members(parse_date(on, option="--on"))
    if fmt is Format.json:
        emit_values(codes, fmt, column="code")
    else:
        emit_rows(
            [{"code": c, "name": ref.country(c).name} for c in codes],
            fmt,
            title=f"NATO members on {on}",
        )


@app.command("nato-bodies")
def nato_bodies(fmt: FormatOpt = Format.table) -> None:
    """NATO bodies that can be FMS purchasers."""
    rows = [b.model_dump() for b in get_reference().bodies()]
    emit_rows(rows, fmt, columns=["code", "name", "customer_code", "part_of", "source"])


@app.command("group")
def group(
    name: Annotated[str, typer.Argument(help="higher_thresholds or short_review")],
    on: OnOpt,
    fmt: FormatOpt = Format.table,
) -> None:
    """Members of a congressional-notification group on a date."""
    codes = get_reference().group_members(name, parse_date(on, option="--on"))
    emit_values(codes, fmt, column="code", title=f"{name} on {on}")


@app.command("mnna")
def mnna(
    on: OnOpt,
    include_treated_as: Annotated[bool, typer.Option(help="Include Taiwan (treated as an MNNA).")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Major Non-NATO Allies on a date."""
    codes = get_reference().mnna(parse_date(on, option="--on"), include_treated_as=include_treated_as)
    emit_values(codes, fmt, column="code", title=f"MNNA on {on}")


@app.command("itar-126-1")
def itar_126_1(
    on: OnOpt,
    table: Annotated[int | None, typer.Option(help="1 or 2; both when left out.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """ITAR §126.1 countries in force on a date."""
    entries = get_reference().itar_126_1(parse_date(on, option="--on"), table)
    rows = [{"code": e.code, "table": e.table, "status": e.status, "note": e.note} for e in entries]
    emit_rows(rows, fmt, columns=["code", "table", "status", "note"], title=f"ITAR §126.1 on {on}")


@app.command("countries")
def countries(
    region: Annotated[str | None, typer.Option(help="State Department bureau code, e.g. EUR.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Countries and territories with their region and FMS country code."""
    rows = [c.__dict__ for c in get_reference().countries(region)]
    emit_rows(
        rows,
        fmt,
        columns=["code", "alpha3", "name", "region", "fms_code", "fms_code_status", "territory"],
    )


@app.command("usml")
def usml(fmt: FormatOpt = Format.table) -> None:
    """USML categories I–XXI."""
    rows = [
        {"number": c.number, "roman": c.roman, "title": c.title} for c in get_reference().usml_categories()
    ]
    emit_rows(rows, fmt, columns=["number", "roman", "title"])


@app.command("agencies")
def agencies(fmt: FormatOpt = Format.table) -> None:
    """FMS implementing agencies and their one-letter codes."""
    rows = [a.model_dump() for a in get_reference().implementing_agencies()]
    emit_rows(rows, fmt, columns=["code", "abbreviation", "name", "status", "note"])
