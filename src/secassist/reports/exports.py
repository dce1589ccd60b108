"""CSV, JSON and XLSX files of a list: one row per row of the filtered, sorted set
(:func:`secassist.reports.listing.select_rows`), one column per column of its spec.

Money stays exact: Decimal is written as its decimal text in CSV and JSON (never a float)
and as a number in XLSX. Text that a spreadsheet would run as a formula (``=``, ``+``,
``-``, ``@``, tab, CR at the start) is prefixed with an apostrophe in CSV and XLSX — OWASP
"CSV injection"; a partner-supplied title must not execute on an analyst's machine.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from openpyxl import Workbook

from secassist.core.errors import ValidationFailedError
from secassist.reports.listing import Column

FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Any) -> Any:
    """A JSON-safe value: Decimal and dates as text, enums by value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _defused(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    return _defused(value) if isinstance(value, str) else plain(value)  # a number stays a number


def to_rows(columns: Sequence[Column[Any]], rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows as ``{column key: plain value}`` dicts, in column order."""
    return [{c.key: plain(c.get(r)) for c in columns} for r in rows]


def to_csv(columns: Sequence[Column[Any]], rows: Sequence[Any]) -> bytes:
    """UTF-8 CSV with a header row of column keys (BOM-less; RFC 4180 quoting)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([c.key for c in columns])
    for r in rows:
        w.writerow([_csv_cell(c.get(r)) for c in columns])
    return out.getvalue().encode("utf-8")


def to_json(columns: Sequence[Column[Any]], rows: Sequence[Any], *, name: str) -> bytes:
    """``{"list": name, "columns": [{key, label}], "count": n, "rows": [{key: value}]}``."""
    doc = {
        "list": name,
        "columns": [{"key": c.key, "label": c.label} for c in columns],
        "count": len(rows),
        "rows": to_rows(columns, rows),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # XLSX has no zones; the times here are UTC
    return _defused(value)


def to_xlsx(columns: Sequence[Column[Any]], rows: Sequence[Any], *, title: str) -> bytes:
    """One sheet: a header row of labels, then the rows (numbers and dates typed)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]  # Excel's limit on a sheet name
    ws.append([c.label for c in columns])
    for r in rows:
        ws.append([_cell(c.get(r)) for c in columns])
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(fmt: str, columns: Sequence[Column[Any]], rows: Sequence[Any], *, name: str, title: str) -> bytes:
    """The export in ``fmt`` (csv, json, xlsx)."""
    if fmt == "csv":
        return to_csv(columns, rows)
    if fmt == "json":
        return to_json(columns, rows, name=name)
    if fmt == "xlsx":
        return to_xlsx(columns, rows, title=title)
    raise ValidationFailedError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}", field="format")
