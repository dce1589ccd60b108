"""Writing the equipment registry: sites, inspections, recipient units, deliveries and
custody events. Keyword-only functions that take the session, never commit, check
everything before writing anything, and write exactly one audit entry per state change
(one per item delivered, one per custody event)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from secassist.audit.canonical import image_of, json_value
from secassist.audit.service import add_recorded, record_images
from secassist.core.clock import Clock, now
from secassist.core.errors import ValidationFailedError
from secassist.equipment import custody
from secassist.equipment.catalog import Catalog, get_catalog
from secassist.equipment.common import clock_of, label_of, text
from secassist.equipment.errors import (
    ConcurrentCustodyChangeError,
    CustodyRefusedError,
    DuplicateSerialError,
    OverDeliveryError,
)
from secassist.equipment.models import (
    CustodyEntry,
    CustodyEvent,
    Item,
    Lot,
    Site,
)
from secassist.equipment.monitoring import next_inventory_due
from secassist.equipment.queries import (
    find_item,
    get_site,
    get_unit,
    line_delivered,
    line_item_types,
    require,
)
from secassist.equipment.schemas import LineRef
from secassist.identity.policy import Principal, actor_of
from secassist.storage.types import sqlite_text

DELIVERABLE = ("accepted", "implemented")
MAX_SERIAL = 64


def _cents(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("0.01")) * 100)


# --- deliveries -------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What one delivery created."""

    items: list[Item]
    lot: Lot | None
    site: Site


def _serials(raw: Sequence[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for i, s in enumerate(raw):
        serial = s.strip()
        if not serial:
            raise ValidationFailedError(f"serials: entry {i + 1} is empty", field="serials")
        if len(serial) > MAX_SERIAL:
            raise ValidationFailedError(
                f"serials: {serial[:20]!r}… is longer than {MAX_SERIAL}", field="serials"
            )
        if serial in seen:
            raise DuplicateSerialError(f"serials: {serial!r} is listed twice", field="serials", serial=serial)
        seen.add(serial)
        out.append(serial)
    return out


def deliver(
    session: Session,
    *,
    actor: Principal | None,
    line: LineRef,
    on: date,
    site: str | int,
    serials: Sequence[str] = (),
    quantity: int | None = None,
    item_type: str | None = None,
    manufacturer: str = "",
    lot_number: str | None = None,
    is_demo: bool = False,
    catalog: Catalog | None = None,
    clock: Clock | None = None,
) -> Delivery:
    """Deliver against a line of an accepted or implemented case: serialized items (one per
    serial, each with its ``delivered`` custody event and one audit entry) or one bulk lot.

    Title passes and end-use monitoring starts at delivery (SAMM C8, EUM runs from title
    transfer until disposal [S72]); the line's delivered quantity can never exceed its
    quantity (what the LOA sold); the item's EEUM designation is the line's, defaulting
    from the item type (:meth:`Catalog.eeum_designation`).
    """
    cat = catalog or get_catalog()
    today = clock_of(clock).today()
    if line.case_status not in DELIVERABLE:
        raise ValidationFailedError(
            f"case: {line.case_ref} is {line.case_status}; deliveries need an accepted or implemented case",
            field="case",
        )
    if on > today:
        raise ValidationFailedError(f"on: {on} is after today ({today})", field="on")
    if line.accepted_on is not None and on < line.accepted_on:
        raise ValidationFailedError(
            f"on: {on} is before the LOA was accepted ({line.accepted_on})", field="on"
        )
    where = get_site(session, actor=actor, ref=site)
    holder = where.country_code
    if line.purchaser_country is not None and holder != line.purchaser_country:
        raise ValidationFailedError(
            f"site: {where.name} is in {holder}; "
            f"the purchaser of {line.case_ref} is {line.purchaser_country}",
            field="site",
        )
    require(actor, "write", holder, what="site")
    kind = cat.item_type(item_type) if item_type else cat.item_type_for(line.description)
    already = line_item_types(session, line.line_id) - {kind.code}
    if already:
        raise ValidationFailedError(
            f"item_type: line {line.line_number} already delivered "
            f"{', '.join(sorted(already))}, not {kind.code}",
            field="item_type",
        )
    if kind.serialized:
        if quantity is not None or not serials:
            raise ValidationFailedError(
                f"serials: {kind.code} is serialized; give its serials", field="serials"
            )
        wanted = _serials(serials)
        count = len(wanted)
    else:
        if serials or quantity is None:
            raise ValidationFailedError(f"quantity: {kind.code} is bulk; give a quantity", field="quantity")
        if quantity < 1:
            raise ValidationFailedError("quantity: must be at least 1", field="quantity")
        wanted, count = [], quantity
    done, _ = line_delivered(session, line.line_id)
    if done + count > line.quantity:
        raise OverDeliveryError(
            f"quantity: line {line.line_number} of {line.case_ref} is for {line.quantity}; "
            f"{done} delivered, {count} more would make {done + count}",
            field="quantity",
        )
    maker = text(manufacturer, "manufacturer", limit=100, required=False)
    if wanted:
        taken = list(
            session.scalars(
                select(Item.serial).where(
                    Item.item_type == kind.code, Item.manufacturer == maker, Item.serial.in_(wanted)
                )
            )
        )
        if taken:
            raise DuplicateSerialError(
                f"serials: {', '.join(sorted(taken)[:5])} already registered for {kind.code}"
                + (f" by {maker}" if maker else ""),
                field="serials",
                serials=sorted(taken),
            )
    designation = cat.eeum_designation(kind, line_eeum=line.eeum, on=on)
    value = _cents(line.unit_cost)
    at = now(clock)
    if not kind.serialized:
        lot = Lot(
            item_type=kind.code,
            lot_number=text(lot_number, "lot_number", limit=64, required=False) or None,
            case_id=line.case_id,
            case_line_id=line.line_id,
            case_ref=line.case_ref,
            line_number=line.line_number,
            purchaser_country=line.purchaser_code,
            quantity=count,
            unit_value_cents=value,
            site_id=where.id,
            delivered_on=on,
            created_at=at,
            is_demo=is_demo,
        )
        add_recorded(
            session,
            [lot],
            actor=actor_of(actor),
            tag="equipment:lot:delivered",
            subject_type="equipment_lot",
            clock=clock,
        )
        return Delivery(items=[], lot=lot, site=where)
    event = custody.Event(
        "delivered", on, site=where.id, holder_country=holder, holder_org=where.organization
    )
    pos = custody.apply(custody.NOWHERE, event, today=today)
    items = [
        Item(
            item_type=kind.code,
            manufacturer=maker,
            serial=serial,
            case_id=line.case_id,
            case_line_id=line.line_id,
            case_ref=line.case_ref,
            line_number=line.line_number,
            purchaser_country=line.purchaser_code,
            unit_value_cents=value,
            eeum_designation=designation,
            delivered_on=on,
            created_at=at,
            is_demo=is_demo,
            **_projection(pos, designation),
        )
        for serial in wanted
    ]
    session.add_all(items)
    _flush(session)
    events = [_event_row(item.id, 1, event, actor=actor, at=at) for item in items]
    session.add_all(events)
    session.flush()
    _record_events(
        session,
        actor,
        [("equipment:item:delivered", item, ev) for item, ev in zip(items, events, strict=True)],
        clock,
    )
    return Delivery(items=items, lot=None, site=where)


# --- custody events ---------------------------------------------------------------------


def _projection(pos: custody.Position, designation: str | None) -> dict[str, object]:
    """The item's projection columns at ``pos``, its next EEUM inventory due date included
    (computed here, so every event that moves an item keeps it; see ``Item.inventory_due_on``)."""
    assert pos.state is not None
    assert pos.last_on is not None
    return {
        "state": pos.state,
        "site_id": pos.site,
        "unit_id": pos.unit,
        "holder_country": pos.holder_country,
        "holder_org": pos.holder_org,
        "last_event_on": pos.last_on,
        "events": pos.events,
        "last_found_on": pos.last_found_on,
        "gone_on": pos.gone_on,
        "inventory_due_on": next_inventory_due(get_catalog(), designation, pos),
    }


def position_of(item: Item) -> custody.Position:
    """The item's stored projection as the rules' :class:`~custody.Position`."""
    state = item.state
    assert state in custody.STATES
    return custody.Position(
        state=state,
        delivered_on=item.delivered_on,
        site=item.site_id,
        unit=item.unit_id,
        holder_country=item.holder_country,
        holder_org=item.holder_org,
        last_on=item.last_event_on,
        last_found_on=item.last_found_on,
        gone_on=item.gone_on,
        events=item.events,
    )


def _event_row(
    item_id: int,
    seq: int,
    ev: custody.Event,
    *,
    actor: Principal | None,
    at: datetime,
    inventory_id: int | None = None,
    performed_by: str | None = None,
    note: str | None = None,
) -> CustodyEvent:
    return CustodyEvent(
        item_id=item_id,
        seq=seq,
        kind=ev.kind,
        occurred_on=ev.on,
        found=ev.found,
        site_id=ev.site,
        unit_id=ev.unit,
        holder_country=ev.holder_country,
        holder_org=ev.holder_org,
        inventory_id=inventory_id,
        performed_by=performed_by,
        note=note,
        recorded_at=at,
        recorded_by=label_of(actor),
    )


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # A concurrent delivery of the same serial, or a concurrent event on the same item
        # (the (item_id, seq) key): the caller reloads and retries.
        raise ConcurrentCustodyChangeError("the item was changed by someone else; reload and retry") from exc


def _projection_image(pos: custody.Position) -> dict[str, object]:
    """The projection's columns as an item's after-image carries them (column names are
    the attribute names); the derived due date is not audited (``audit.canonical``)."""
    return {
        name: json_value(value)
        for name, value in _projection(pos, None).items()
        if name != "inventory_due_on"
    }


def _record_events(
    session: Session,
    actor: Principal | None,
    recorded: Sequence[tuple[str, Item, CustodyEvent]],
    clock: Clock | None,
    *,
    positions: Sequence[custody.Position] | None = None,
) -> None:
    """One audit entry per event (the event row and the item as that event left it), then
    the pointers from the events to their entries (see CustodyEntry) in one bulk INSERT:
    they are never read back through the session's objects, and building a mapped object
    per pointer cost as much as the INSERT itself for a 1,000-item transfer.

    With ``positions`` (the caller has written the items' last positions), each item's
    image is made once and each entry's copy takes that event's projection: setting the
    projection on the object and reading all its columns back per entry cost more than
    the rest of the entry. The objects are then given their last position as loaded state."""
    who = actor_of(actor)
    pointers = []
    bases: dict[int, tuple[str, dict[str, object], dict[str, object], bool]] = {}
    for n, (tag, item, ev) in enumerate(recorded):
        ev_table, ev_pk, ev_image, ev_flat = image_of(ev)
        if positions is None:
            table, pk, image, flat = image_of(item)
        else:
            base = bases.get(id(item))
            if base is None:
                base = bases[id(item)] = image_of(item)
            table, pk, before, flat = base
            image = before | _projection_image(positions[n])
        fields = record_images(
            session,
            actor=who,
            tag=tag,
            subject_type="equipment_custody_event",
            subject_id=ev.id,
            images=[
                {"table": ev_table, "pk": ev_pk, "after": ev_image},
                {"table": table, "pk": pk, "after": image},
            ],
            flat=ev_flat and flat,
            clock=clock,
        )
        pointers.append({"event_id": ev.id, "audit_seq": fields.seq})
    if positions is not None:
        last = {id(item): (item, pos) for (_, item, _), pos in zip(recorded, positions, strict=True)}
        for item, pos in last.values():
            # Loaded state, not a change: the caller has written it (no UPDATE is flushed).
            for key, value in _projection(pos, item.eeum_designation).items():
                set_committed_value(item, key, value)
    if pointers:
        session.connection().execute(insert(cast(Table, CustodyEntry.__table__)), pointers)


def _new_event_ids(session: Session, n: int) -> list[int]:
    """Ids for ``n`` new event rows, taken before they are inserted so that one executemany
    writes them all. PostgreSQL: ``n`` values of the column's sequence in one statement.
    SQLite: the ids after the largest; a writing unit of work holds SQLite's write lock
    from BEGIN IMMEDIATE, so no one else can take them, and a session without it that races
    another writer gets the primary key's IntegrityError, which :func:`_insert_events`
    reports as a conflict to retry."""
    _flush(session)  # the session's pending rows first, as the flush of ORM rows did
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        got = conn.exec_driver_sql(_NEXT_EVENT_IDS, (n,))
        return [int(r[0]) for r in got]
    top = conn.exec_driver_sql("SELECT max(id) FROM equipment_custody_event").scalar() or 0
    return list(range(top + 1, top + n + 1))


_NEXT_EVENT_IDS = (
    "SELECT nextval(pg_get_serial_sequence('equipment_custody_event', 'id')) FROM generate_series(1, %s)"
)
_INSERT_EVENT = (
    "INSERT INTO equipment_custody_event (id, item_id, seq, kind, occurred_on, found, site_id, unit_id, "
    "holder_country, holder_org, inventory_id, performed_by, note, recorded_at, recorded_by) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)


def _insert_events(
    session: Session,
    events: Sequence[tuple[int, int, custody.Event]],
    *,
    actor: Principal | None,
    at: datetime,
    inventory_id: int | None,
    performed_by: str | None,
    note: str | None,
) -> list[CustodyEvent]:
    """Insert a batch of event rows (item id, the item's event number, the event) in one
    executemany on the driver, and return them as :class:`CustodyEvent` objects with every
    column set (what an audit image reads), not added to the session: the rows are written,
    so adding them would insert them again. Through the ORM's flush the same rows cost
    three times as much (its per-object bookkeeping), for objects nothing reads back."""
    ids = _new_event_ids(session, len(events))
    by = label_of(actor)
    conn = session.connection()
    lite = conn.dialect.name == "sqlite"
    # The stored forms, as the ORM would bind them: SQLite keeps dates and times as text.
    when: object = sqlite_text(at) if lite else at
    params = [
        (new_id, item_id, seq, ev.kind, ev.on.isoformat() if lite else ev.on, ev.found, ev.site, ev.unit,
         ev.holder_country, ev.holder_org, inventory_id, performed_by, note, when, by)
        for new_id, (item_id, seq, ev) in zip(ids, events, strict=True)
    ]  # fmt: skip
    try:
        conn.exec_driver_sql(_INSERT_EVENT.format(p="?" if lite else "%s"), params)
    except IntegrityError as exc:
        # A concurrent event on one of these items (the (item_id, seq) key): reload and retry.
        raise ConcurrentCustodyChangeError("the item was changed by someone else; reload and retry") from exc
    rows = []
    for new_id, (item_id, seq, ev) in zip(ids, events, strict=True):
        row = _event_row(
            item_id,
            seq,
            ev,
            actor=actor,
            at=at,
            inventory_id=inventory_id,
            performed_by=performed_by,
            note=note,
        )
        row.id = new_id
        rows.append(row)
    return rows


_PROJECTION = ("state", "site_id", "unit_id", "holder_country", "holder_org", "last_event_on", "events",
               "last_found_on", "gone_on", "inventory_due_on")  # fmt: skip
_ITEMS = cast(Table, Item.__table__)
_MOVE_ITEM = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values({k: bindparam(f"p_{k}") for k in _PROJECTION})
)


def apply_events(
    session: Session,
    *,
    actor: Principal | None,
    changes: Sequence[tuple[Item, custody.Event]],
    inventory_id: int | None = None,
    performed_by: str | None = None,
    note: str | None = None,
    clock: Clock | None = None,
) -> list[CustodyEvent]:
    """Append custody events to items (already resolved and access-checked; an item may
    appear more than once, its events applied in the order given): the rules of
    :mod:`~secassist.equipment.custody` decide, each item's projection moves, one audit
    entry per event records the event and the item as that event left it. Every event is
    judged before anything is staged, so one refusal leaves nothing written; the rows are
    written together and each item is updated once, to its last position. The events of a
    batch (two or more) are returned written but not in the session (see
    :func:`_insert_events`); a single event is a session object, flushed."""
    today = clock_of(clock).today()
    positions: dict[int, custody.Position] = {}
    moved: list[tuple[Item, custody.Event, custody.Position]] = []
    for item, event in changes:
        before = positions.get(id(item))
        pos = custody.apply(position_of(item) if before is None else before, event, today=today)
        positions[id(item)] = pos
        moved.append((item, event, pos))
    at = now(clock)
    rows: list[CustodyEvent] = []
    if len(moved) < 2:
        # One event (most writes): the ORM's flush with the sequence's id, no id taken ahead.
        for item, event, pos in moved:
            row = _event_row(
                item.id, pos.events, event, actor=actor, at=at, inventory_id=inventory_id,
                performed_by=performed_by, note=note,
            )  # fmt: skip
            session.add(row)
            rows.append(row)
        _flush(session)
    else:
        rows = _insert_events(
            session, [(item.id, pos.events, event) for item, event, pos in moved], actor=actor, at=at,
            inventory_id=inventory_id, performed_by=performed_by, note=note,
        )  # fmt: skip
    # The items' last positions in one executemany with the same columns for every item:
    # set through the ORM, each item's UPDATE would name only its changed columns, and the
    # flush would split a 1,000-item batch into hundreds of statements (and update an item
    # once per event). The (item_id, seq) key of the events just written has already
    # refused a concurrent event on any of these items.
    last = {id(item): (item, pos) for item, _, pos in moved}
    # On the connection (Core): the ORM's bulk UPDATE by primary key also re-evaluates the
    # session's copies, which _record_events sets to the same last position anyway.
    session.connection().execute(
        _MOVE_ITEM,
        [
            {"item_id": item.id, **{f"p_{k}": v for k, v in _projection(pos, item.eeum_designation).items()}}
            for item, pos in last.values()
        ],
    )
    _record_events(
        session,
        actor,
        [
            (f"equipment:custody:{event.kind}", item, row)
            for (item, event, _), row in zip(moved, rows, strict=True)
        ],
        clock,
        positions=[pos for _, _, pos in moved],
    )
    return rows


def apply_event(
    session: Session,
    *,
    actor: Principal | None,
    item: Item,
    event: custody.Event,
    performed_by: str | None = None,
    note: str | None = None,
    clock: Clock | None = None,
) -> CustodyEvent:
    """:func:`apply_events` for one event."""
    rows = apply_events(
        session, actor=actor, changes=[(item, event)], performed_by=performed_by, note=note, clock=clock
    )
    return rows[0]


def record_event(
    session: Session,
    *,
    actor: Principal | None,
    serial: str,
    kind: str,
    on: date,
    site: str | int | None = None,
    unit: str | int | None = None,
    holder_country: str | None = None,
    holder_org: str | None = None,
    found: bool | None = None,
    performed_by: str | None = None,
    note: str | None = None,
    item_type: str | None = None,
    manufacturer: str | None = None,
    clock: Clock | None = None,
) -> CustodyEvent:
    """Record a custody event for the item with ``serial`` (SAMM C8 custody chain, see
    :mod:`~secassist.equipment.custody` for the rules and their authority)."""
    if kind not in custody.KINDS:
        raise ValidationFailedError(f"kind: one of {', '.join(custody.KINDS)}, not {kind!r}", field="kind")
    if kind == "delivered":
        raise CustodyRefusedError("not_allowed", "deliveries are recorded against a case line")
    item = find_item(session, actor=actor, serial=serial, item_type=item_type, manufacturer=manufacturer)
    require(actor, "write", item.holder_country, what="item")
    country = item.holder_country
    # A transfer may name a site abroad, which the actor's country scope does not show.
    site_actor = None if kind == "transferred" else actor
    site_row = get_site(session, actor=site_actor, ref=site) if site is not None else None
    new_country = holder_country.strip().upper() if holder_country else None
    if kind == "transferred":
        if new_country is None and site_row is not None:
            new_country = site_row.country_code
        if new_country is None:
            raise ValidationFailedError(
                "holder_country: a transfer names the new holder", field="holder_country"
            )
        if site_row is not None and site_row.country_code != new_country:
            raise ValidationFailedError(
                f"site: {site_row.name} is in {site_row.country_code}, not {new_country}", field="site"
            )
    elif site_row is not None and site_row.country_code != country:
        raise CustodyRefusedError(
            "two_places",
            f"{site_row.name} is in {site_row.country_code}; the item is held in {country} "
            "(a move abroad is a transfer)",
            field="site",
        )
    unit_row = None
    if unit is not None:
        unit_country = new_country if kind == "transferred" else country
        unit_row = get_unit(session, actor=None, ref=unit, country=unit_country)
        if unit_row.country_code != unit_country:
            raise ValidationFailedError(
                f"unit: {unit_row.name} is in {unit_row.country_code}, not {unit_country}", field="unit"
            )
    if found is not None and kind != "inventoried":
        raise ValidationFailedError("found: only an inventory says found or not found", field="found")
    org = holder_org.strip() if holder_org else None
    if org is None and site_row is not None and kind in ("stored", "received", "returned", "transferred"):
        org = site_row.organization
    if org is None and unit_row is not None:
        org = unit_row.name
    event = custody.Event(
        cast(custody.Kind, kind),  # checked against KINDS above
        on,
        site=site_row.id if site_row else None,
        unit=unit_row.id if unit_row else None,
        holder_country=new_country,
        holder_org=org,
        found=found if kind == "inventoried" else None,
    )
    return apply_event(
        session,
        actor=actor,
        item=item,
        event=event,
        performed_by=text(performed_by, "performed_by", required=False) or None,
        note=text(note, "note", limit=2000, required=False) or None,
        clock=clock,
    )
