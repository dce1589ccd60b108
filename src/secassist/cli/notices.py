"""``secassist notices``: read published arms-sale notices (parse, import)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from secassist.cli.output import Format, emit_rows, progress
from secassist.core.errors import ValidationFailedError

app = typer.Typer(help="Published arms-sale notices: parse and import.", no_args_is_help=True)


class ParseFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    table = "table"
    csv = "csv"


PathsArg = Annotated[list[Path], typer.Argument(help="Notice text files (or directories of *.txt).")]


def read_texts(paths: list[Path]) -> list[tuple[Path, str]]:
    """Every file named (directories expanded to their ``*.txt``), all checked before any is used."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.iterdir() if q.suffix == ".txt" and q.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            raise ValidationFailedError(f"{p}: no such file", field="path", file=str(p))
    out: list[tuple[Path, str]] = []
    for f in files:
        try:
            text = f.read_bytes().decode("utf-8", errors="replace")
            out.append((f, text))
        except OSError as exc:
            raise ValidationFailedError(
                f"{f}: cannot read: {exc.strerror}", field="path", file=str(f)
            ) from None
        if "\x00" in text:
            # A NUL byte is never in a notice text; PostgreSQL refuses it in a text column.
            line = text.count("\n", 0, text.index("\x00")) + 1
            raise ValidationFailedError(f"{f}: line {line}: a NUL byte", field="path", file=str(f))
    return out


@app.command("parse")
def parse_cmd(
    paths: PathsArg,
    fmt: Annotated[ParseFormat, typer.Option("--format", "-f", help="Output format.")] = ParseFormat.jsonl,
) -> None:
    """Parse notice texts: one JSON object per file (transmittal, section, purchaser, values, …)."""
    from secassist.notification.parse import FIELDS, parse_notice

    rows: list[dict[str, Any]] = []
    for path, text in read_texts(paths):
        rows.append({"file": path.name, **parse_notice(text).as_dict()})
    if fmt is ParseFormat.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        emit_rows(rows, Format(fmt.value), columns=["file", *FIELDS], title="Parsed notices")


@app.command("import")
def import_cmd(
    paths: PathsArg,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Store notifications read from notice texts (idempotent; one transaction for all files).

    A notice links to a case's notification by transmittal number; the same notice from
    another source (Record, release) becomes another source of the same notification.
    Notices of sales with no case here are kept as public-record notifications.
    """
    from secassist.cli.common import acting, uow
    from secassist.workflows.notification_case import import_notices

    texts = [(str(path), text) for path, text in read_texts(paths)]
    bar = progress("importing notices", total=len(texts), show=fmt is Format.table)
    with uow() as session, bar as tick:
        report = import_notices(session, actor=acting(session), texts=texts, progress=tick.update)
    outcome = {**dict.fromkeys(report.created, "created"), **dict.fromkeys(report.merged, "merged")}
    outcome |= dict.fromkeys(report.unchanged, "unchanged")
    rows = [
        {"file": name, "outcome": outcome[name], "notification": report.notification_ids[name]}
        for name, _ in texts
    ]
    emit_rows(rows, fmt, columns=["file", "outcome", "notification"], title="Imported notices")
