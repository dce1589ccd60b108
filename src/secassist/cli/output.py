"""One way to print: lists with ``--format table|json|csv`` for every list-printing command,
informational lines, and progress bars.

Data goes to standard output; everything else (informational lines, progress) goes to
standard error, so a script reading ``--format json|csv`` output never sees it, and the
root option ``--quiet`` silences it without touching the data or the errors.

Tables fit the width of the terminal, or 80 columns (or ``COLUMNS``) when output is not a
terminal: Rich finds no width on a pipe, and a table laid out for an unknown width is
unreadable in a log. Columns are kept in the order given (key columns first); those that
do not fit are left out of the table, and its caption names them and points to
``--format json|csv``, which always carry every column.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

#: The width of a table when standard output is not a terminal and ``COLUMNS`` is not set.
PIPE_WIDTH = 80
# A column is given room for its longest word up to this many characters: words are not
# broken (``implemented`` stays whole); longer ones (hashes, identifiers) are folded.
_UNBROKEN = 14
# Each column costs its padding (one space either side) and one vertical border; the table
# one more border at its right edge.
_COLUMN_COST = 3


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class _State:
    """This invocation's ``--quiet`` (set by the root callback, ``cli/main.py``)."""

    quiet: bool = False


_state = _State()


def set_quiet(quiet: bool) -> None:
    """Record the root option ``--quiet``: no progress, no informational lines."""
    _state.quiet = quiet


def is_quiet() -> bool:
    return _state.quiet


def output_width() -> int | None:
    """The width tables are laid out for: ``COLUMNS`` when set, the terminal's own width
    when standard output is a terminal (``None``: Rich asks it), else :data:`PIPE_WIDTH`."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if _isatty(sys.stdout):
        return None
    return PIPE_WIDTH


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed stream
        return False


def console() -> Console:
    """A console on standard output at :func:`output_width`."""
    return Console(file=sys.stdout, width=output_width())


def err_console() -> Console:
    """A console on standard error, for informational lines and progress."""
    return Console(file=sys.stderr, width=output_width() if not _isatty(sys.stderr) else None)


def info(message: str) -> None:
    """An informational line on standard error (what was done, what was skipped);
    ``--quiet`` suppresses it. Data and errors never go through here."""
    if not _state.quiet:
        err_console().print(message, markup=False, highlight=False, soft_wrap=True)


class Tick:
    """What :func:`progress` yields: tell it the total when known, advance as work is done."""

    def __init__(self, bar: Progress | None = None) -> None:
        self._bar = bar
        self._task = bar.add_task("", total=None) if bar is not None else None

    def describe(self, description: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=description)

    def set_total(self, total: int | None) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=total)

    def update(self, completed: int, total: int | None = None) -> None:
        """Set how much is done (and the total, when it is known only now)."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=completed, total=total)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)


@contextmanager
def progress(description: str, total: int | None = None, *, show: bool = True) -> Iterator[Tick]:
    """A progress bar for long work, on standard error, only when standard error is a
    terminal and not ``--quiet``. Elsewhere (a pipe, a log file, a test) the :class:`Tick`
    does nothing, so the bar never lands in captured or JSON/CSV output. ``show=False``
    (a command asked for machine output, ``--format json``) turns it off too: a script
    reading a terminal gets the data alone."""
    if _state.quiet or not show or not _isatty(sys.stderr):
        yield Tick()
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )
    with bar:
        tick = Tick(bar)
        tick.describe(description)
        tick.set_total(total)
        yield tick


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


def _fitting(cols: Sequence[str], cells: Sequence[Sequence[str]], width: int) -> int:
    """How many leading columns fit ``width``, each with room for its longest word (header
    included, up to :data:`_UNBROKEN`), so Rich wraps cells between words; the first
    column always stays."""
    used = 1
    for i, c in enumerate(cols):
        words = [*c.split(), *(w for row in cells for w in row[i].split())]
        used += min(max(map(len, words), default=0), _UNBROKEN) + _COLUMN_COST
        if used > width and i > 0:
            return i
    return len(cols)


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print a list of records; JSON is an array of objects, CSV has a header line, a table
    fits the output width (see the module's docstring)."""
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
        out = console()
        cells = [["" if r.get(c) is None else str(_plain(r.get(c))) for c in cols] for r in rows]
        keep = _fitting(cols, cells, out.width)
        caption = None
        if keep < len(cols):
            left = cols[keep:]
            more = f"{len(left)} more column{'s' if len(left) > 1 else ''}"
            caption = f"{more} ({', '.join(left)}): --format json or csv"
        table = Table(title=title, caption=caption)
        for c in cols[:keep]:
            # fold, not ellipsis: a long identifier or hash breaks across lines but is all there
            table.add_column(c, overflow="fold")
        for row in cells:
            table.add_row(*row[:keep])
        out.print(table)


def emit_values(values: Sequence[str], fmt: Format, *, column: str, title: str | None = None) -> None:
    """Print a list of scalars; JSON is a plain array (``["BE", "CA", …]``)."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(list(values)) + "\n")
    else:
        emit_rows([{column: v} for v in values], fmt, columns=[column], title=title)
