"""Reads of the equipment registry, scoped to what the actor may see (a partner or SCO sees
its own country's sites, units and the items its country holds; ``None`` is the system)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import custody
from secassist.equipment.models import (
    CustodyEntry,
    CustodyEvent,
    Incident,
    Inventory,
    Item,
    Lot,
    RecipientUnit,
    RoutineCheck,
    Site,
    SiteInspection,
)
from secassist.equipment.schemas import EventRead, IncidentRead, ItemRead, SiteRead
from secassist.identity.policy import Column, Principal, Resource, check, scope

S = TypeVar("S", bound=Select[Any])
MAX_PAGE = 500


def scoped(stmt: S, actor: Principal | None, country: Column) -> S:
    """Restrict ``stmt`` to the equipment rows ``actor`` may see (the system sees all)."""
    return stmt if actor is None else scope(stmt, actor, "equipment", country=country)


def require(actor: Principal | None, action: str, country: str | None, *, what: str) -> None:
    """404 when the record is invisible to ``actor``, 403 when visible but not allowed."""
    if actor is not None:
        check(actor, action, Resource("equipment", country=country), what=what)


def dollars(cents: int) -> Decimal:
    """Integer cents as dollars, exactly."""
    return Decimal(cents).scaleb(-2)


def get_site(session: Session, *, actor: Principal | None, ref: str | int, field: str = "site") -> Site:
    """A site by id or by name (case-insensitive), if ``actor`` may see it."""
    text = str(ref).strip()
    stmt = scoped(select(Site), actor, Site.country_code)
    if isinstance(ref, int) or text.isdigit():
        site = session.scalar(stmt.where(Site.id == int(text)))
    else:
        site = session.scalar(stmt.where(func.lower(Site.name) == text.lower()))
    if site is None:
        raise NotFoundError(f"{field}: no site {text!r}", field=field)
    return site


def list_sites(session: Session, *, actor: Principal | None, country: str | None = None) -> list[Site]:
    """Storage sites the actor may see, by country and name."""
    stmt = scoped(select(Site), actor, Site.country_code)
    if country:
        stmt = stmt.where(Site.country_code == country.strip().upper())
    return list(session.scalars(stmt.order_by(Site.country_code, Site.name)))


def list_units(
    session: Session, *, actor: Principal | None, country: str | None = None
) -> list[RecipientUnit]:
    """Recipient units the actor may see, by country and name."""
    stmt = scoped(select(RecipientUnit), actor, RecipientUnit.country_code)
    if country:
        stmt = stmt.where(RecipientUnit.country_code == country.strip().upper())
    return list(session.scalars(stmt.order_by(RecipientUnit.country_code, RecipientUnit.name)))


def list_checks(
    session: Session, *, actor: Principal | None, country: str | None = None, limit: int = 50
) -> list[RoutineCheck]:
    """Routine end-use checks the actor may see, newest first."""
    stmt = scoped(select(RoutineCheck), actor, RoutineCheck.country_code)
    if country:
        stmt = stmt.where(RoutineCheck.country_code == country.strip().upper())
    order = (RoutineCheck.checked_on.desc(), RoutineCheck.id.desc())
    return list(session.scalars(stmt.order_by(*order).limit(limit)))


def get_unit(
    session: Session, *, actor: Principal | None, ref: str | int, country: str | None, field: str = "unit"
) -> RecipientUnit:
    """A recipient unit by id, or by name within ``country``."""
    text = str(ref).strip()
    stmt = scoped(select(RecipientUnit), actor, RecipientUnit.country_code)
    if isinstance(ref, int) or text.isdigit():
        stmt = stmt.where(RecipientUnit.id == int(text))
    else:
        stmt = stmt.where(func.lower(RecipientUnit.name) == text.lower())
        if country is not None:
            stmt = stmt.where(RecipientUnit.country_code == country)
    units = list(session.scalars(stmt.limit(2)))
    if not units:
        raise NotFoundError(f"{field}: no unit {text!r}", field=field)
    if len(units) > 1:
        raise ValidationFailedError(f"{field}: several units are named {text!r}; give its id", field=field)
    return units[0]


def find_item(
    session: Session,
    *,
    actor: Principal | None,
    serial: str,
    item_type: str | None = None,
    manufacturer: str | None = None,
) -> Item:
    """The one item with ``serial`` (narrowed by item type and manufacturer when the serial
    alone is ambiguous: serials are unique per item type and manufacturer only)."""
    stmt = scoped(select(Item), actor, Item.holder_country).where(Item.serial == serial.strip())
    if item_type:
        stmt = stmt.where(Item.item_type == item_type.strip().lower())
    if manufacturer is not None:
        stmt = stmt.where(Item.manufacturer == manufacturer.strip())
    items = list(session.scalars(stmt.limit(2)))
    if not items:
        raise NotFoundError(f"serial: no item with serial {serial!r}", field="serial")
    if len(items) > 1:
        raise ValidationFailedError(
            f"serial: {serial!r} is registered for several item types or manufacturers; name the item type",
            field="serial",
        )
    return items[0]


def line_delivered(session: Session, case_line_id: int) -> tuple[int, Decimal]:
    """A line's delivered quantity and value, derived from its items and lots (never stored).
    A lot split off another by a transfer is not a delivery: its units are its parent's."""
    n_items, v_items = session.execute(
        select(func.count(Item.id), func.coalesce(func.sum(Item.unit_value_cents), 0)).where(
            Item.case_line_id == case_line_id
        )
    ).one()
    n_lots, v_lots = session.execute(
        select(
            func.coalesce(func.sum(Lot.quantity), 0),
            func.coalesce(func.sum(Lot.quantity * Lot.unit_value_cents), 0),
        ).where(Lot.case_line_id == case_line_id, Lot.parent_lot_id.is_(None))
    ).one()
    return int(n_items) + int(n_lots), dollars(int(v_items) + int(v_lots))


def line_deliveries_by_year(session: Session, case_line_id: int) -> dict[int, int]:
    """A line's delivered quantity per calendar year of delivery (items and original lots,
    as :func:`line_delivered` counts them), for the public trade register."""
    by_year: dict[int, int] = {}
    items = select(Item.delivered_on, func.count(Item.id)).where(Item.case_line_id == case_line_id)
    lots = select(Lot.delivered_on, func.sum(Lot.quantity)).where(
        Lot.case_line_id == case_line_id, Lot.parent_lot_id.is_(None)
    )
    for stmt in (items.group_by(Item.delivered_on), lots.group_by(Lot.delivered_on)):
        for day, n in session.execute(stmt):
            by_year[day.year] = by_year.get(day.year, 0) + int(n)
    return dict(sorted(by_year.items()))


def line_item_types(session: Session, case_line_id: int) -> set[str]:
    """The item types already delivered against a line."""
    a = session.scalars(select(Item.item_type).where(Item.case_line_id == case_line_id).distinct())
    b = session.scalars(select(Lot.item_type).where(Lot.case_line_id == case_line_id).distinct())
    return set(a) | set(b)


def item_read(item: Item, site_name: str | None) -> ItemRead:
    """An item in the registry's contract shape (``secassist equipment items``)."""
    return ItemRead(
        serial=item.serial,
        item_type=item.item_type,
        case=item.case_ref,
        line=item.line_number,
        holder_country=item.holder_country,
        site=site_name,
        state=item.state,
        eeum=item.eeum_designation is not None,
        unit_value_usd=dollars(item.unit_value_cents),
    )


def _items_stmt(
    actor: Principal | None,
    *,
    case_id: int | None = None,
    case_ref: str | None = None,
    country: str | None = None,
    eeum: bool | None = None,
    site_id: int | None = None,
    state: str | None = None,
) -> Select[Any]:
    stmt = scoped(select(Item), actor, Item.holder_country)
    if case_id is not None:
        stmt = stmt.where(Item.case_id == case_id)
    if case_ref:
        stmt = stmt.where(Item.case_ref == case_ref.strip().upper())
    if country:
        stmt = stmt.where(Item.holder_country == country.strip().upper())
    if eeum is not None:
        stmt = stmt.where(Item.eeum_designation.is_not(None) if eeum else Item.eeum_designation.is_(None))
    if site_id is not None:
        stmt = stmt.where(Item.site_id == site_id)
    if state:
        if state not in custody.STATES:
            raise ValidationFailedError(
                f"state: one of {', '.join(custody.STATES)}, not {state!r}", field="state"
            )
        stmt = stmt.where(Item.state == state)
    return stmt


def _named(session: Session, stmt: Select[Any]) -> list[ItemRead]:
    named = stmt.add_columns(Site.name).outerjoin(Site, Site.id == Item.site_id)
    rows = session.execute(named.order_by(Item.delivered_on, Item.id))
    return [item_read(item, name) for item, name in rows]


def list_items(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int | None = None,
    country: str | None = None,
    eeum: bool | None = None,
    site_id: int | None = None,
) -> list[ItemRead]:
    """The registry, newest delivery last; filters combine."""
    stmt = _items_stmt(actor, case_id=case_id, country=country, eeum=eeum, site_id=site_id)
    return _named(session, stmt)


def page_items(
    session: Session,
    *,
    actor: Principal | None,
    case: str | None = None,
    country: str | None = None,
    eeum: bool | None = None,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ItemRead], int]:
    """One page of the registry (same order as :func:`list_items`) and the total that
    matches. ``case`` is the case's id or identifier; a case the actor may not see simply
    matches nothing, as does any other filter over rows outside its scope."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailedError(f"limit: between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise ValidationFailedError("offset: must not be negative", field="offset")
    ref = (case or "").strip()
    stmt = _items_stmt(
        actor,
        case_id=int(ref) if ref.isdigit() else None,
        case_ref=ref if ref and not ref.isdigit() else None,
        country=country,
        eeum=eeum,
        state=state,
    )
    total = session.scalar(stmt.with_only_columns(func.count(Item.id)).order_by(None)) or 0
    return _named(session, stmt.limit(limit).offset(offset)), int(total)


def events_of(session: Session, item_id: int) -> Sequence[tuple[CustodyEvent, int | None]]:
    """An item's custody events in order, each with the audit entry that recorded it."""
    rows = session.execute(
        select(CustodyEvent, CustodyEntry.audit_seq)
        .outerjoin(CustodyEntry, CustodyEntry.event_id == CustodyEvent.id)
        .where(CustodyEvent.item_id == item_id)
        .order_by(CustodyEvent.seq)
    )
    return [(ev, seq) for ev, seq in rows]


def countries_with_equipment(session: Session, *, actor: Principal | None) -> list[str]:
    """The countries (ISO codes) holding items or hosting sites that ``actor`` may see."""
    held = scoped(select(Item.holder_country), actor, Item.holder_country).where(
        Item.holder_country.is_not(None)
    )
    hosting = scoped(select(Site.country_code), actor, Site.country_code)
    found = set(session.scalars(held.distinct())) | set(session.scalars(hosting.distinct()))
    return sorted(c for c in found if c)


def items_at_site(session: Session, *, actor: Principal | None, site_id: int) -> list[Item]:
    """The items whose registered site is ``site_id`` (held or not), by item type and serial."""
    stmt = scoped(select(Item), actor, Item.holder_country).where(Item.site_id == site_id)
    return list(session.scalars(stmt.order_by(Item.item_type, Item.serial)))


def site_inspections(session: Session, *, actor: Principal | None, site_id: int) -> list[SiteInspection]:
    """A site's physical-security inspections, newest first."""
    stmt = scoped(
        select(SiteInspection).join(Site, Site.id == SiteInspection.site_id), actor, Site.country_code
    ).where(SiteInspection.site_id == site_id)
    return list(session.scalars(stmt.order_by(SiteInspection.inspected_on.desc(), SiteInspection.id.desc())))


def site_inventories(session: Session, *, actor: Principal | None, site_id: int) -> list[Inventory]:
    """The inventories recorded at a site (reconciled scans), newest first."""
    stmt = scoped(select(Inventory), actor, Inventory.country_code).where(Inventory.site_id == site_id)
    return list(session.scalars(stmt.order_by(Inventory.performed_on.desc(), Inventory.id.desc())))


def site_read(site: Site) -> SiteRead:
    """A site in the shape of ``secassist equipment sites list``."""
    return SiteRead(id=site.id, name=site.name, country=site.country_code, organization=site.organization)


def event_read(session: Session, item: Item, event: CustodyEvent) -> EventRead:
    """A just-recorded (flushed) custody event with its audit entry and the item's state."""
    site = session.get(Site, event.site_id) if event.site_id is not None else None
    unit = session.get(RecipientUnit, event.unit_id) if event.unit_id is not None else None
    audit_seq = session.scalar(select(CustodyEntry.audit_seq).where(CustodyEntry.event_id == event.id))
    return EventRead(
        serial=item.serial,
        item_type=item.item_type,
        kind=event.kind,
        on=event.occurred_on,
        seq=event.seq,
        site=site.name if site else None,
        unit=unit.name if unit else None,
        holder_country=item.holder_country,
        found=event.found,
        state=item.state,
        audit_seq=audit_seq,
    )


def incident_reads(session: Session, rows: Sequence[Incident]) -> list[IncidentRead]:
    """Incidents with their item's serial and their site's name (two lookups, not 2n)."""
    item_ids = {r.item_id for r in rows if r.item_id is not None}
    site_ids = {r.site_id for r in rows if r.site_id is not None}
    serials: dict[int, str] = {}
    names: dict[int, str] = {}
    if item_ids:
        found = session.execute(select(Item.id, Item.serial).where(Item.id.in_(item_ids)))
        serials = {i: s for i, s in found}
    if site_ids:
        names = {i: n for i, n in session.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids)))}
    return [
        IncidentRead(
            id=r.id,
            country=r.country_code,
            kind=r.kind,
            serial=serials.get(r.item_id) if r.item_id is not None else None,
            site=names.get(r.site_id) if r.site_id is not None else None,
            description=r.description,
            occurred_on=r.occurred_on,
            discovered_on=r.discovered_on,
            report_due_on=r.report_due_on,
            offices=json.loads(r.offices),
            reported_on=r.reported_on,
            status=r.status,
            closed_on=r.closed_on,
        )
        for r in rows
    ]
