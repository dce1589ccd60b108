"""``secassist reports``: the SIPRI TIV check, the public transparency exports, and PDFs.

Runs as the system (as the other read commands do): whoever holds the database file holds
the data. The transparency exports still carry only what has been formally notified.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from secassist.cli.common import read_session
from secassist.cli.output import Format, emit_rows
from secassist.core.errors import ValidationFailedError

app = typer.Typer(help="Reports: SIPRI TIV check, transparency exports, PDFs.", no_args_is_help=True)


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


def _read(path: Path, field: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationFailedError(f"{path}: cannot read: {exc.strerror}", field=field) from None


def _write(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)
        typer.echo(f"wrote {out} ({len(data):,} bytes)", err=True)


@app.command("sipri-tiv")
def sipri_tiv(
    register: Annotated[Path, typer.Argument(help="SIPRI trade-register export (CSV).")],
    table: Annotated[Path, typer.Argument(help="SIPRI TIV-by-recipient table of one supplier (CSV).")],
    first: Annotated[int, typer.Option(help="First delivery year.")] = 1950,
    last: Annotated[int, typer.Option(help="Last delivery year.")] = 2023,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Recompute the TIV the table's supplier delivered to each recipient from the trade
    register and set it beside SIPRI's own table; exit 1 when any recipient disagrees
    beyond SIPRI's rounding (0.5 per year reported)."""
    from secassist.reports import sipri

    rows = sipri.reconcile(
        sipri.read_register(_read(register, "register"), name=register.name),
        sipri.read_tiv_table(_read(table, "table"), name=table.name),
        first=first,
        last=last,
    )
    emit_rows(
        [{"recipient": r.recipient, "recomputed": r.recomputed, "sipri": r.sipri,
          "difference": r.difference, "tolerance": r.tolerance, "agrees": r.agrees} for r in rows],
        fmt, title=f"TIV delivered {first}–{last} (millions)",
    )  # fmt: skip
    bad = [r.recipient for r in rows if not r.agrees]
    if bad:
        typer.echo(f"{len(bad)} recipient(s) disagree: {', '.join(bad)}", err=True)
        raise typer.Exit(1)


@app.command("trade-register")
def trade_register(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.csv,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """The SIPRI-style register of formally notified sales."""
    from secassist.reports import exports, transparency

    with read_session() as s:
        rows = transparency.trade_register(s, actor=None)
    _write(exports.render(fmt.value, transparency.TRADE_COLUMNS, rows, name="trade-register",
                          title="Trade register"), out)  # fmt: skip


@app.command("un-register")
def un_register(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.csv,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """The UN Register of Conventional Arms rows (categories I–VII) of formally notified
    sales; the category totals go to stderr, and they add up to the rows."""
    from secassist.reports import exports, transparency

    with read_session() as s:
        reg = transparency.un_register(transparency.trade_register(s, actor=None))
    _write(exports.render(fmt.value, transparency.UNROCA_COLUMNS, reg.rows, name="un-register",
                          title="UN Register"), out)  # fmt: skip
    for t in reg.totals:
        typer.echo(
            f"{t.category:>4} {t.name}: {t.rows} rows, {t.ordered} ordered, {t.delivered} delivered", err=True
        )


@app.command("case-pdf")
def case_pdf(
    ref: Annotated[str, typer.Argument(help="Case identifier or id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PDF file to write.")],
) -> None:
    """A case summary as PDF."""
    from secassist.core.clock import SystemClock
    from secassist.reports import pdf

    with read_session() as s:
        _write(pdf.case_summary_pdf(s, actor=None, ref=ref, today=SystemClock().today()), out)


@app.command("notice-pdf")
def notice_pdf(
    notification_id: Annotated[int, typer.Argument(help="Notification id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PDF file to write.")],
) -> None:
    """A notification's notice as PDF (the Federal Register layout)."""
    from secassist.notification import queries
    from secassist.notification.render import render_pdf
    from secassist.workflows.notification_case import notice_content

    with read_session() as s:
        n = queries.get_notification(s, actor=None, notification_id=notification_id)
        _write(render_pdf(notice_content(s, n)), out)
