"""The SIPRI Arms Transfers Database read as published, and the TIV a supplier delivered
to each recipient recomputed from the trade register and checked against SIPRI's own
TIV table.

Both files are © SIPRI ("Source: SIPRI Arms Transfers Database"), never shipped with
secassist; the user names their own copies. Formats (``../shared/data/sipri/SOURCES.md``):

* trade register — Windows-1252, a free-text preamble, the header on the line starting
  ``Recipient,Supplier,Year of order``, three ``?`` flag columns named " ", and records
  broken across two physical lines by an unquoted newline in ``Comments`` (rejoined here);
  ``SIPRI TIV of delivered weapons`` is a deal's delivered volume over the selected years.
* TIV table — one row per recipient, one column per year, millions of TIV rounded to
  whole numbers; the supplier is named on the first data row only.

SIPRI's rounding: a table cell is the year's TIV rounded to a whole million ("a '0'
indicates ... between 0 and 0.5"; "figures may not add up to stated totals due to the
conventions of rounding"), so a recipient's recomputed total agrees with the table's row
when it differs from the row's sum by at most 0.5 per year the row reports.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from secassist.core.errors import ValidationFailedError

REGISTER_HEADER = "Recipient,Supplier,Year of order"
REGISTER_FIELDS = 16
#: The table spells the supplier in full, the register in short.
SUPPLIER_NAMES = {"United States of America": "United States"}
HALF = Decimal("0.5")


@dataclass(frozen=True)
class RegisterRow:
    """One trade-register record (``line``: its first physical line in the file)."""

    line: int
    recipient: str
    supplier: str
    order_year: int | None
    number_ordered: int | None
    designation: str
    description: str
    number_delivered: int | None
    delivery_years: tuple[int, ...]
    status: str
    comments: str
    tiv_per_unit: Decimal | None
    tiv_order: Decimal | None
    tiv_delivered: Decimal | None


@dataclass(frozen=True)
class TableRow:
    """One recipient's row of SIPRI's TIV table: the year cells it fills."""

    line: int
    supplier: str
    recipient: str
    years: dict[int, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.years.values(), Decimal(0))


@dataclass(frozen=True)
class Reconciled:
    """A recipient's recomputed TIV beside SIPRI's; ``agrees`` within SIPRI's rounding."""

    recipient: str
    recomputed: Decimal
    sipri: Decimal
    tolerance: Decimal

    @property
    def difference(self) -> Decimal:
        return self.recomputed - self.sipri

    @property
    def agrees(self) -> bool:
        return abs(self.difference) <= self.tolerance


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # SIPRI's exports are Windows-1252


def _int(value: str, where: str) -> int | None:
    v = value.strip().rstrip("?").strip()
    if not v:
        return None
    try:
        return int(v)
    except ValueError:
        raise ValidationFailedError(f"{where}: {value!r} is not a whole number", field=where) from None


def _dec(value: str, where: str) -> Decimal | None:
    v = value.strip()
    if not v:
        return None
    try:
        return Decimal(v)
    except InvalidOperation:
        raise ValidationFailedError(f"{where}: {value!r} is not a number", field=where) from None


def read_register(data: bytes, *, name: str = "register") -> list[RegisterRow]:
    """Every record of a trade-register export; an error names the file, line and field."""
    lines = _decode(data).split("\n")
    start = next((i for i, ln in enumerate(lines[:40]) if ln.startswith(REGISTER_HEADER)), None)
    if start is None:
        raise ValidationFailedError(
            f"{name}: no SIPRI trade-register header ({REGISTER_HEADER!r}) in the first 40 lines",
            field="register",
        )
    out: list[RegisterRow] = []
    i = start + 1
    while i < len(lines):
        lineno, buf = i + 1, lines[i].rstrip("\r")
        i += 1
        if not buf.strip():
            continue
        row = next(csv.reader([buf]))
        # A record broken by an unquoted newline in Comments: join the next physical line.
        while len(row) < REGISTER_FIELDS and i < len(lines) and lines[i].strip():
            buf = f"{buf} {lines[i].rstrip(chr(13))}"
            i += 1
            row = next(csv.reader([buf]))
        if len(row) != REGISTER_FIELDS:
            raise ValidationFailedError(
                f"{name} line {lineno}: {len(row)} fields, expected {REGISTER_FIELDS}", field="register"
            )
        at = f"{name} line {lineno}"
        years = tuple(y for part in row[10].split(";") if (y := _int(part, f"{at} Year(s) of delivery")))
        out.append(
            RegisterRow(
                line=lineno, recipient=row[0].strip(), supplier=row[1].strip(),
                order_year=_int(row[2], f"{at} Year of order"),
                number_ordered=_int(row[4], f"{at} Number ordered"),
                designation=row[6].strip(), description=row[7].strip(),
                number_delivered=_int(row[8], f"{at} Number delivered"),
                delivery_years=years, status=row[11].strip(), comments=row[12].strip(),
                tiv_per_unit=_dec(row[13], f"{at} SIPRI TIV per unit"),
                tiv_order=_dec(row[14], f"{at} SIPRI TIV for total order"),
                tiv_delivered=_dec(row[15], f"{at} SIPRI TIV of delivered weapons"),
            )
        )  # fmt: skip
    return out


def read_tiv_table(data: bytes, *, name: str = "table") -> list[TableRow]:
    """The rows of a TIV-by-recipient table (``supplier,recipients,<year>,…``)."""
    reader = csv.reader(io.StringIO(_decode(data)))
    header = next(reader, None)
    if not header or [h.strip() for h in header[:2]] != ["supplier", "recipients"]:
        raise ValidationFailedError(f"{name} line 1: expected 'supplier,recipients,<years>'", field="table")
    years = [_int(h, f"{name} line 1 column {n + 3}") for n, h in enumerate(header[2:])]
    out: list[TableRow] = []
    supplier = ""
    for lineno, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise ValidationFailedError(
                f"{name} line {lineno}: {len(row)} fields, expected {len(header)}", field="table"
            )
        supplier = row[0].strip() or supplier  # named on the first row only
        cells: dict[int, Decimal] = {}
        for year, cell in zip(years, row[2:], strict=True):
            value = _dec(cell, f"{name} line {lineno} year {year}")
            if value is not None and year is not None:
                cells[year] = value
        out.append(TableRow(line=lineno, supplier=supplier, recipient=row[1].strip(), years=cells))
    return out


def delivered_tiv(
    rows: Iterable[RegisterRow], *, supplier: str, first: int = 1950, last: int = 2023
) -> dict[str, Decimal]:
    """TIV of delivered weapons per recipient from ``supplier``, over the deals with a
    delivery in ``first``..``last`` (the register's own selection)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        if r.supplier != supplier or r.tiv_delivered is None:
            continue
        if r.delivery_years and not any(first <= y <= last for y in r.delivery_years):
            continue
        out[r.recipient] += r.tiv_delivered
    return dict(out)


def reconcile(
    register: Sequence[RegisterRow], table: Sequence[TableRow], *, first: int = 1950, last: int = 2023
) -> list[Reconciled]:
    """Each recipient of the table (and any the register adds) with the TIV recomputed
    from the register beside SIPRI's own total, largest first."""
    suppliers = {t.supplier for t in table}
    if len(suppliers) != 1:
        raise ValidationFailedError(f"table: one supplier expected, found {sorted(suppliers)}", field="table")
    supplier = SUPPLIER_NAMES.get(next(iter(suppliers)), next(iter(suppliers)))
    recomputed = delivered_tiv(register, supplier=supplier, first=first, last=last)
    by_recipient: Mapping[str, TableRow] = {t.recipient: t for t in table}
    out = []
    for recipient in set(by_recipient) | set(recomputed):
        t = by_recipient.get(recipient)
        cells = {y: v for y, v in (t.years.items() if t else ()) if first <= y <= last}
        out.append(
            Reconciled(
                recipient=recipient,
                recomputed=recomputed.get(recipient, Decimal(0)),
                sipri=sum(cells.values(), Decimal(0)),
                tolerance=HALF * len(cells),
            )
        )
    return sorted(out, key=lambda r: (-r.sipri, r.recipient))
