"""Inventory reconciliation: a site's scanned serial list against the registry.

The DoD IG recommended barcode scanners for serial-number inventories because the manual
ones were slow and error-prone [S77]; this takes the scanner's export (CSV or XLSX, a
header row naming ``serial`` and optionally ``item_type``, ``nsn``, ``condition``) and
sorts every serial into found / missing / unexpected (not ours) / wrong_site (ours,
registered elsewhere) / gone (recorded lost, stolen, destroyed, disposed or transferred).

A dry run only reads. Applying records one ``inventoried`` (found) custody event per item
found, and one inventory record, in the caller's transaction: a malformed file is refused
before anything is read from the registry (naming the line and the column), and an item
already found at this site on this date is not recorded again, so a second application
of the same file changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import ValidationFailedError
from secassist.equipment import custody
from secassist.equipment.catalog import Catalog, get_catalog
from secassist.equipment.common import clock_of
from secassist.equipment.errors import MalformedFileError
from secassist.equipment.models import Inventory, Item, Site
from secassist.equipment.queries import get_site, require
from secassist.equipment.service import apply_events
from secassist.identity.policy import Principal, actor_of

COLUMNS = ("serial", "item_type", "nsn", "condition")
MAX_ROWS = 1_000_000
_CHUNK = 900  # IN-list size (SQLite's default variable limit is 999 on old builds)


class ScanRow(NamedTuple):
    """One scanned serial (a tuple: a scan has up to 10^6 of them)."""

    line: int
    serial: str
    item_type: str | None
    condition: str | None


@dataclass
class Result:
    found: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    wrong_site: list[dict[str, Any]] = field(default_factory=list)
    gone: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = False
    recorded: int = 0
    inventory_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The CLI/API contract of issue #12."""
        return {
            "found": self.found,
            "missing": self.missing,
            "unexpected": self.unexpected,
            "wrong_site": self.wrong_site,
            "gone": self.gone,
            "applied": self.applied,
            "recorded": self.recorded,
        }


def _bad(line: int, column: str, problem: str) -> MalformedFileError:
    return MalformedFileError(
        f"file: line {line}, column {column}: {problem}", field="file", line=line, column=column
    )


def _cells(data: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of a CSV or XLSX file; XLSX when the name says so or the bytes
    are a ZIP archive (an .xlsx is one)."""
    if name.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        yield from _xlsx_cells(data)
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _bad(line, "-", "not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise _bad(reader.line_num, "-", f"not valid CSV ({exc})") from None


def _xlsx_cells(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise _bad(1, "-", f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield n, ["" if v is None else str(v).strip() for v in values]
    finally:
        book.close()


def parse_scan(data: bytes, name: str, catalog: Catalog | None = None) -> list[ScanRow]:
    """The rows of a scan file, validated; :class:`MalformedFileError` names the first bad
    line and column. Blank lines are skipped; a serial listed twice for the same item
    type is an error (a double scan would otherwise hide a missing item)."""
    cat = catalog or get_catalog()
    rows = _cells(data, name)
    header: dict[str, int] | None = None
    out: list[ScanRow] = []
    seen: dict[tuple[str | None, str], int] = {}
    columns: tuple[int | None, ...] = ()
    for line, cells in rows:
        if not "".join(cells).strip():
            continue
        if header is None:
            names = [c.strip().lower() for c in cells]
            for i, n in enumerate(names):
                if n and n not in COLUMNS:
                    raise _bad(line, n, f"unknown column; the header names {', '.join(COLUMNS)}")
                if n in names[:i]:
                    raise _bad(line, n, "column named twice")
            if "serial" not in names:
                raise _bad(line, "serial", "the header row must name a serial column")
            header = {n: i for i, n in enumerate(names) if n}
            columns = tuple(header.get(c) for c in COLUMNS)
            continue
        if len(out) >= MAX_ROWS:
            raise _bad(line, "-", f"more than {MAX_ROWS:,} rows")
        # The cells by position, inline: this loop runs once per scanned serial (up to 10^6).
        width = len(cells)
        serial, t, nsn, condition = (cells[i].strip() if i is not None and i < width else "" for i in columns)
        if not serial:
            raise _bad(line, "serial", "empty serial")
        if len(serial) > 64:
            raise _bad(line, "serial", "longer than 64 characters")
        if not serial.isprintable():
            # A serial is printed on the article: a control character (NUL, a tab, an escape)
            # is a corrupt scan, and PostgreSQL refuses NUL in text.
            raise _bad(line, "serial", f"a control character in {serial!r}")
        kind: str | None = None
        if t:
            if t.lower() not in cat.item_types:
                raise _bad(line, "item_type", f"unknown item type {t!r}")
            kind = t.lower()
        if nsn:
            by_nsn = cat.by_nsn.get(nsn)
            if by_nsn is None:
                raise _bad(line, "nsn", f"unknown NSN {nsn!r}")
            if kind is not None and kind != by_nsn.code:
                raise _bad(line, "nsn", f"NSN {nsn} is {by_nsn.code}, not {kind}")
            kind = by_nsn.code
        key = (kind, serial)
        if key in seen:
            raise _bad(line, "serial", f"{serial!r} is also on line {seen[key]}")
        seen[key] = line
        out.append(ScanRow(line, serial, kind, condition or None))
    if header is None:
        raise _bad(1, "serial", "the file is empty; it needs a header row naming serial")
    return out


# The few columns of an item the sorting reads, as plain tuples (a scan is up to 10^6
# serials, and ORM objects cost ~50 µs each; docs/equipment-scale.md).
_ROW_COLUMNS = (Item.id, Item.serial, Item.item_type, Item.site_id, Item.state, Item.last_found_on)
_ID, _SERIAL, _TYPE, _SITE, _STATE, _FOUND = range(6)
_Row = tuple[Any, ...]  # (id, serial, item_type, site_id, state, last_found_on)


def _items_by_serial(session: Session, serials: list[str]) -> dict[str, list[_Row]]:
    """The registry's items with these serials, in one statement on the serial index: the
    scanned serials as one bound array joined with ``= ANY`` on PostgreSQL, and as one JSON
    array read by ``json_each`` (a table of the serials, like a temporary table but with no
    DDL, so a read-only transaction can use it) on SQLite. Not IN lists: 10^5 bound
    parameters, or 10^2 statements, cost more than the lookups."""
    out: dict[str, list[_Row]] = {}
    if not serials:
        return out
    if session.get_bind().dialect.name == "postgresql":
        # One bound array, not an ARRAY[...] literal of 10^5 parameters.
        serial_list = bindparam("serials", serials, type_=ARRAY(String()))
        stmt = select(*_ROW_COLUMNS).where(Item.serial == any_(serial_list))
    else:
        serial_json = bindparam("serials", json.dumps(serials), type_=String())
        scanned = func.json_each(serial_json).table_valued("value")
        stmt = select(*_ROW_COLUMNS).where(Item.serial.in_(select(scanned.c.value)))
    # Core, not the ORM's result processing: plain rows, ~10^5 of them.
    for row in session.connection().execute(stmt):
        item: _Row = tuple(row)
        out.setdefault(item[_SERIAL], []).append(item)
    return out


_PROGRESS_EVERY = 1000  # scan rows between progress reports: cheap beside ~10^5 rows


def reconcile(
    session: Session,
    *,
    actor: Principal | None,
    data: bytes,
    name: str,
    site: str | int,
    on: date,
    apply: bool = False,
    performed_by: str | None = None,
    catalog: Catalog | None = None,
    clock: Clock | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Sort a scan of ``site`` taken ``on`` against the registry; with ``apply``, record an
    inventory event for every item found (SAMM C8.4 serial-number inventory [S77][S80]).
    ``progress`` hears (scan rows sorted, scan rows in all) as the sorting goes."""
    scan = parse_scan(data, name, catalog)
    where = get_site(session, actor=actor, ref=site)
    require(actor, "write" if apply else "read", where.country_code, what="site")
    today = clock_of(clock).today()
    if on > today:
        raise ValidationFailedError(f"on: {on} is after today ({today})", field="on")
    candidates = _items_by_serial(session, sorted({r.serial for r in scan}))
    names: dict[int, str] = {i: n for i, n in session.execute(select(Site.id, Site.name))} if scan else {}
    result = Result()
    found: list[_Row] = []
    seen_ids: set[int] = set()
    site_id = where.id
    gone_states = custody.GONE
    total = len(scan)
    for n, row in enumerate(scan, 1):
        if progress is not None and (n % _PROGRESS_EVERY == 0 or n == total):
            progress(n, total)
        items = [i for i in candidates.get(row.serial, ()) if row.item_type in (None, i[_TYPE])]
        if len(items) > 1:
            here = [i for i in items if i[_SITE] == site_id]
            if len(here) != 1:
                raise _bad(
                    row.line, "item_type", f"{row.serial!r} is registered for several item types; name one"
                )
            items = here
        if not items:
            result.unexpected.append({"line": row.line, "serial": row.serial, "item_type": row.item_type})
            continue
        item = items[0]
        seen_ids.add(item[_ID])
        if item[_STATE] in gone_states:
            result.gone.append({"serial": item[_SERIAL], "item_type": item[_TYPE], "state": item[_STATE]})
        elif item[_SITE] != site_id:
            registered = names.get(item[_SITE]) if item[_SITE] is not None else None
            result.wrong_site.append(
                {"serial": item[_SERIAL], "item_type": item[_TYPE], "registered_site": registered}
            )
        else:
            found.append(item)
            result.found.append(
                {"serial": item[_SERIAL], "item_type": item[_TYPE], "condition": row.condition}
            )
    held = session.connection().execute(
        select(Item.id, Item.serial, Item.item_type)
        .where(Item.site_id == where.id, Item.state.in_(sorted(custody.HELD)))
        .order_by(Item.item_type, Item.serial)
    )
    result.missing = [
        {"serial": serial, "item_type": kind} for item_id, serial, kind in held if item_id not in seen_ids
    ]
    if not apply:
        return result
    result.applied = True
    todo_ids = [i[_ID] for i in found if i[_FOUND] != on]
    if not todo_ids:
        return result
    # Only the items to record become ORM objects (apply_events moves their projection).
    loaded: dict[int, Item] = {}
    for start in range(0, len(todo_ids), _CHUNK):
        for obj in session.scalars(select(Item).where(Item.id.in_(todo_ids[start : start + _CHUNK]))):
            loaded[obj.id] = obj
    todo = [loaded[i] for i in todo_ids]
    who = (performed_by or "").strip() or ("system" if actor is None else actor.label)
    inventory = Inventory(
        site_id=where.id,
        country_code=where.country_code,
        performed_on=on,
        performed_by=who[:300],
        file_sha256=hashlib.sha256(data).hexdigest(),
        found=len(result.found),
        missing=len(result.missing),
        unexpected=len(result.unexpected),
        wrong_site=len(result.wrong_site),
        gone=len(result.gone),
        recorded_at=now(clock),
        recorded_by="system" if actor is None else actor.label,
    )
    add_recorded(
        session,
        [inventory],
        actor=actor_of(actor),
        tag="equipment:inventory:recorded",
        subject_type="equipment_inventory",
        clock=clock,
    )
    event = custody.Event("inventoried", on, site=where.id, found=True)
    apply_events(
        session,
        actor=actor,
        changes=[(item, event) for item in todo],
        inventory_id=inventory.id,
        performed_by=who[:300],
        clock=clock,
    )
    result.recorded = len(todo)
    result.inventory_id = inventory.id
    return result
