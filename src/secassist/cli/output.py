"""One way to print lists: ``--format table|json|csv`` for every list-printing command."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# A spreadsheet opening a CSV file runs a cell that starts with one of these as a formula
# (``=cmd|' /C calc'!A0``, ``@SUM(…)``, ``+HYPERLINK(…)``); OWASP's "CSV Injection" advice
# is to make such a cell text with a leading apostrophe. Numbers stay numbers.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet evaluates: a string starting with
    ``= + - @``, a tab or a carriage return gets a leading apostrophe, unless it is a
    plain number (``-5000.00``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
            return "'" + value
        return value
    return _plain(value)


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print a list of records; JSON is an array of objects, CSV has a header line."""
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt is Format.json:
        sys.stdout.write(json.dumps([{c: _plain(r.get(c)) for c in cols} for r in rows], indent=2))
        sys.stdout.write("\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow([csv_cell(r.get(c)) for c in cols])
    else:
        table = Table(title=title)
        for c in cols:
            table.add_column(c)
        for r in rows:
            table.add_row(*("" if r.get(c) is None else str(_plain(r.get(c))) for c in cols))
        Console().print(table)


def emit_values(values: Sequence[str], fmt: Format, *, column: str, title: str | None = None) -> None:
    """Print a list of scalars; JSON is a plain array (``["BE", "CA", …]``)."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(list(values)) + "\n")
    else:
        emit_rows([{column: v} for v in values], fmt, columns=[column], title=title)
