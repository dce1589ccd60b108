"""End-use monitoring: EEUM inventory due dates, delinquency as of any date, incidents.

Enhanced EUM (DoD Golden Sentry, SAMM C8.4) requires serial-number inventories of
designated items: an initial one after delivery, then annual ones [S76][S77]; Combatant
Commands review delinquencies on a set schedule (DSCA 22-16 [S74]). Inspectors report
delinquency as a value and a share of the EEUM items ("inventories delinquent for
>$1.005B (59%) of $1.699B", DODIG-2024-043 [S75]); :func:`delinquency` gives that figure as
of any date, by country and responsible office, with the items behind it.

The rule (:func:`delinquent_on`): an item is delinquent on day D when, as of D, it is
still held by the recipient (delivered, not lost, stolen, destroyed, disposed or
transferred out) and its inventory was due before D. So an item that left before its due
date is never delinquent, and one found late stops being delinquent on the day it is found
(that inventory starts a new interval).
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import custody
from secassist.equipment.catalog import Catalog, get_catalog
from secassist.equipment.common import clock_of
from secassist.equipment.models import INCIDENT_KINDS, CustodyEvent, Incident, Item
from secassist.equipment.queries import dollars, find_item, get_site, require, scoped
from secassist.identity.models import Organization
from secassist.identity.policy import Principal, actor_of
from secassist.reference.service import get_reference
from secassist.storage.prepared import Prepared


def overdue(due: date, day: date) -> bool:
    """An inventory due on ``due`` is overdue on ``day`` from the day after it was due."""
    return due < day


def next_inventory_due(catalog: Catalog, designation: str | None, pos: custody.Position) -> date | None:
    """When the item's next EEUM serial-number inventory is due at position ``pos``, or None
    when nothing is due: not EEUM, or not held by the recipient (missing, ended). The value
    the item's ``inventory_due_on`` column keeps (see the module docstring for the rule)."""
    if designation is None or pos.delivered_on is None or not custody.accountable(pos):
        return None
    return catalog.inventory_due(designation, delivered_on=pos.delivered_on, last_found_on=pos.last_found_on)


def delinquent_on(catalog: Catalog, designation: str, pos: custody.Position, day: date) -> date | None:
    """The due date if the item (at position ``pos`` as of ``day``) is delinquent on ``day``,
    else None (see the module docstring for the rule and its authority)."""
    due = next_inventory_due(catalog, designation, pos)
    return due if due is not None and overdue(due, day) else None


def position_as_of(events: Iterable[custody.Event], day: date) -> custody.Position:
    """The position from the events dated on or before ``day`` (already accepted, in order)."""
    pos = custody.NOWHERE
    for ev in events:
        if ev.on > day:
            break
        pos = custody.apply(pos, ev, today=date.max)
    return pos


def event_of(row: CustodyEvent) -> custody.Event:
    kind = row.kind
    assert kind in custody.KINDS
    return custody.Event(
        kind,
        row.occurred_on,
        site=row.site_id,
        unit=row.unit_id,
        holder_country=row.holder_country,
        holder_org=row.holder_org,
        found=row.found,
    )


class DelinquentItem(NamedTuple):
    """One delinquent item of the report (a tuple: the report lists ~10^5 of them at volume)."""

    serial: str
    item_type: str
    due_on: date
    value_usd: Decimal


@dataclass
class CountryDelinquency:
    country: str
    offices: list[str]
    eeum_value_usd: Decimal = Decimal("0.00")
    delinquent_value_usd: Decimal = Decimal("0.00")
    eeum_items: int = 0
    items: list[DelinquentItem] = field(default_factory=list)

    @property
    def delinquent_share(self) -> Decimal:
        return _share(self.delinquent_value_usd, self.eeum_value_usd)


@dataclass(frozen=True)
class Delinquency:
    as_of: date
    eeum_value_usd: Decimal
    delinquent_value_usd: Decimal
    by_country: list[CountryDelinquency]

    @property
    def delinquent_share(self) -> Decimal:
        return _share(self.delinquent_value_usd, self.eeum_value_usd)

    def as_json(self) -> dict[str, object]:
        """The CLI/API contract of issue #12 (money and shares as decimal strings)."""
        return {
            "as_of": self.as_of.isoformat(),
            "eeum_value_usd": str(self.eeum_value_usd),
            "delinquent_value_usd": str(self.delinquent_value_usd),
            "delinquent_share": str(self.delinquent_share),
            "by_country": [
                {
                    "country": c.country,
                    "offices": c.offices,
                    "eeum_value_usd": str(c.eeum_value_usd),
                    "delinquent_value_usd": str(c.delinquent_value_usd),
                    "delinquent_share": str(c.delinquent_share),
                    "items": [
                        {
                            "serial": i.serial,
                            "item_type": i.item_type,
                            "due_on": i.due_on.isoformat(),
                            "value_usd": str(i.value_usd),
                        }
                        for i in c.items
                    ],
                }
                for c in self.by_country
            ],
        }


def _share(part: Decimal, whole: Decimal) -> Decimal:
    """A share to four places (0.5915 = 59.15%); 0 of nothing is 0."""
    return (part / whole).quantize(Decimal("0.0001")) if whole else Decimal("0.0000")


def _offices(session: Session, countries: Iterable[str]) -> dict[str, list[str]]:
    """The security cooperation offices responsible for EEUM in each country (SCO, SAMM C8.4 [S80])."""
    rows = session.execute(
        select(Organization.country_code, Organization.name)
        .where(Organization.kind == "sco", Organization.country_code.in_(sorted(set(countries))))
        .order_by(Organization.name)
    )
    out: dict[str, list[str]] = defaultdict(list)
    for cc, name in rows:
        if cc is not None:
            out[cc].append(name)
    return out


def delinquency(
    session: Session,
    *,
    actor: Principal | None,
    as_of: date,
    country: str | None = None,
    catalog: Catalog | None = None,
) -> Delinquency:
    """EEUM inventory delinquency as of ``as_of`` (a future date is a projection: nothing
    recorded yet after today, so items simply come due), by holder country.

    For an item whose last event is on or before ``as_of``, its stored position is its
    position on ``as_of``, and its ``inventory_due_on`` (moved with the projection by every
    event) answers "overdue on ``as_of``" with one comparison: the totals by country are one
    SQL aggregate, and the delinquent items one ordered select of plain tuples. That is
    every item for any date from its last event on, so today's report and any projection.
    The column keeps no history, so for an earlier date the items with events after it are
    replayed: their events up to ``as_of`` folded (:func:`position_as_of`) and judged by
    :func:`delinquent_on` with ``catalog`` (default the packaged one, the one the column is
    computed with). docs/equipment-scale.md has the costs.
    """
    cat = catalog or get_catalog()
    only = get_reference().country(country).code if country else None
    base = scoped(select(Item), actor, Item.holder_country)
    # inventory_due_on is set exactly on the held EEUM items (next_inventory_due).
    stored = base.where(
        Item.inventory_due_on.is_not(None), Item.last_event_on <= as_of, Item.holder_country.is_not(None)
    )
    if only:
        stored = stored.where(Item.holder_country == only)
    late = Item.inventory_due_on < as_of
    totals: dict[str, list[int]] = {}  # country -> [eeum cents, delinquent cents, eeum items]
    # Core, not the ORM's result processing: the listing is ~5*10^5 plain rows at volume.
    conn = session.connection()
    for holder, cents, late_cents, n in conn.execute(
        stored.with_only_columns(
            Item.holder_country,
            func.sum(Item.unit_value_cents),
            func.sum(case((late, Item.unit_value_cents), else_=0)),
            func.count(),
        ).group_by(Item.holder_country)
    ):
        totals[holder] = [int(cents), int(late_cents), int(n)]
    listed: dict[str, list[DelinquentItem]] = defaultdict(list)
    listed_ids: dict[str, list[int]] = defaultdict(list)  # to merge replayed items in order
    value_cache: dict[int, Decimal] = {}
    # On the driver's cursor (storage.prepared): ~5*10^5 rows at volume, and SQLAlchemy's
    # Row per row was twice the fetch itself (bench/equipment.py).
    rows: Sequence[tuple[str, str, str, date, int, int]] = Prepared(
        stored.where(late)
        .with_only_columns(
            Item.holder_country,
            Item.serial,
            Item.item_type,
            Item.inventory_due_on,
            Item.unit_value_cents,
            Item.id,
        )
        .order_by(Item.holder_country, Item.inventory_due_on, Item.serial, Item.id)
    ).all(session)
    current: str | None = None
    items: list[DelinquentItem] = []
    ids: list[int] = []
    for holder, serial, item_type, due, cents, item_id in rows:
        if holder != current:  # rows come by country: one dict lookup per country
            current, items, ids = holder, listed[holder], listed_ids[holder]
        value = value_cache.get(cents)
        if value is None:
            value = value_cache[cents] = dollars(cents)
        items.append(DelinquentItem(serial, item_type, due, value))
        ids.append(item_id)
    _replay_past(session, base, cat, as_of, only, totals, listed, listed_ids)
    by_country = {
        cc: CountryDelinquency(
            cc,
            [],
            eeum_value_usd=dollars(t[0]),
            delinquent_value_usd=dollars(t[1]),
            eeum_items=t[2],
            items=listed.get(cc, []),
        )
        for cc, t in totals.items()
    }
    offices = _offices(session, by_country)
    countries = [by_country[c] for c in sorted(by_country)]
    for c in countries:
        c.offices = offices.get(c.country, [])
    return Delinquency(
        as_of=as_of,
        eeum_value_usd=sum((c.eeum_value_usd for c in countries), Decimal("0.00")),
        delinquent_value_usd=sum((c.delinquent_value_usd for c in countries), Decimal("0.00")),
        by_country=countries,
    )


def _order_key(items: list[DelinquentItem], ids: list[int]) -> Callable[[int], tuple[date, str, int]]:
    """The report's order (due date, serial, item id) of the ``i``-th listed item."""
    return lambda i: (items[i].due_on, items[i].serial, ids[i])


def _replay_past(
    session: Session,
    base: Select[Any],
    cat: Catalog,
    as_of: date,
    only: str | None,
    totals: dict[str, list[int]],
    listed: dict[str, list[DelinquentItem]],
    listed_ids: dict[str, list[int]],
) -> None:
    """Add the EEUM items with events after ``as_of`` to the report, judged on their events
    up to ``as_of`` (their stored projection and due date are later than that day)."""
    # Not filtered by country: a transfer (out, and the receipt by a new holder) may
    # postdate ``as_of``, so these are judged on their replayed holder.
    # On ix_equipment_item_eeum_last_event: for a date from the last events on, nothing.
    rows = session.execute(
        base.where(Item.eeum_designation.is_not(None), Item.last_event_on > as_of, Item.delivered_on <= as_of)
        .with_only_columns(Item.id, Item.serial, Item.item_type, Item.eeum_designation, Item.unit_value_cents)
        .order_by(Item.id)
    ).all()
    if not rows:
        return
    history: dict[int, list[custody.Event]] = defaultdict(list)
    for start in range(0, len(rows), 1000):
        chunk = [r[0] for r in rows[start : start + 1000]]
        events = session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.item_id.in_(chunk), CustodyEvent.occurred_on <= as_of)
            .order_by(CustodyEvent.item_id, CustodyEvent.seq)
        )
        for ev in events:
            history[ev.item_id].append(event_of(ev))
    added: dict[str, list[tuple[date, str, int, DelinquentItem]]] = defaultdict(list)
    for item_id, serial, item_type, designation, cents in rows:
        pos = position_as_of(history[item_id], as_of)
        holder = pos.holder_country
        if not custody.accountable(pos) or holder is None or (only and holder != only):
            continue
        t = totals.get(holder)
        if t is None:
            t = totals[holder] = [0, 0, 0]
        t[0] += cents
        t[2] += 1
        assert designation is not None  # filtered in SQL
        due = delinquent_on(cat, designation, pos, as_of)
        if due is not None:
            t[1] += cents
            listing = DelinquentItem(serial, item_type, due, dollars(cents))
            added[holder].append((due, serial, item_id, listing))
    for holder, extra in added.items():
        # A few items into a long sorted list: each by binary search on (due, serial, id).
        items, ids = listed[holder], listed_ids[holder]
        order = _order_key(items, ids)
        for due, serial, item_id, listing in sorted(extra):
            at = bisect_left(range(len(items)), (due, serial, item_id), key=order)
            items.insert(at, listing)
            ids.insert(at, item_id)


def due_inventories(
    session: Session,
    *,
    actor: Principal | None,
    as_of: date,
    within_days: int = 30,
    country: str | None = None,
) -> list[tuple[Item, date]]:
    """EEUM items still held whose next inventory falls due within ``within_days`` of
    ``as_of`` (or is already overdue), soonest first: the SCO's worklist."""
    horizon = as_of + timedelta(days=within_days)
    # inventory_due_on is set exactly on the held EEUM items (next_inventory_due).
    stmt = scoped(select(Item), actor, Item.holder_country).where(Item.inventory_due_on <= horizon)
    if country:
        stmt = stmt.where(Item.holder_country == get_reference().country(country).code)
    out: list[tuple[Item, date]] = []
    for item in session.scalars(stmt.order_by(Item.inventory_due_on, Item.serial, Item.id)):
        assert item.inventory_due_on is not None  # filtered in SQL
        out.append((item, item.inventory_due_on))
    return out


# --- incidents ----------------------------------------------------------------------------


def record_incident(
    session: Session,
    *,
    actor: Principal | None,
    country: str,
    kind: str,
    discovered_on: date,
    description: str,
    serial: str | None = None,
    site: str | int | None = None,
    occurred_on: date | None = None,
    catalog: Catalog | None = None,
    clock: Clock | None = None,
) -> Incident:
    """Record a possible EUM violation (loss, theft, unauthorized access, use or transfer;
    SAMM C8.6 [S73]) with its report deadline and the offices to be told — State channels,
    DSCA Golden Sentry, the Combatant Commander and the MILDEP [S73] — from the catalog."""
    cat = catalog or get_catalog()
    code = get_reference().country(country).code
    require(actor, "write", code, what="country")
    if kind not in INCIDENT_KINDS:
        raise ValidationFailedError(f"kind: one of {', '.join(INCIDENT_KINDS)}, not {kind!r}", field="kind")
    today = clock_of(clock).today()
    if discovered_on > today:
        raise ValidationFailedError(
            f"discovered_on: {discovered_on} is after today ({today})", field="discovered_on"
        )
    if occurred_on is not None and occurred_on > discovered_on:
        raise ValidationFailedError("occurred_on: after the date it was discovered", field="occurred_on")
    text = description.strip()
    if not text:
        raise ValidationFailedError("description: must not be empty", field="description")
    item = find_item(session, actor=actor, serial=serial) if serial else None
    if item is not None and item.holder_country != code:
        raise ValidationFailedError(
            f"serial: {serial} is held by {item.holder_country}, not {code}", field="serial"
        )
    where = get_site(session, actor=actor, ref=site) if site is not None else None
    if where is not None and where.country_code != code:
        raise ValidationFailedError(
            f"site: {where.name} is in {where.country_code}, not {code}", field="site"
        )
    rules = cat.reporting
    row = Incident(
        country_code=code,
        kind=kind,
        item_id=item.id if item else None,
        site_id=where.id if where else None,
        description=text,
        occurred_on=occurred_on,
        discovered_on=discovered_on,
        report_due_on=discovered_on + timedelta(days=rules.report_within_days),
        offices=json.dumps(list(rules.offices)),
        status="open",
        recorded_at=now(clock),
        recorded_by="system" if actor is None else actor.label,
    )
    add_recorded(
        session,
        [row],
        actor=actor_of(actor),
        tag="equipment:incident:recorded",
        subject_type="equipment_incident",
        clock=clock,
    )
    return row


def _incident_for_write(session: Session, actor: Principal | None, incident_id: int) -> Incident:
    row = session.scalar(
        scoped(select(Incident), actor, Incident.country_code).where(Incident.id == incident_id)
    )
    if row is None:
        raise NotFoundError("incident not found")
    require(actor, "write", row.country_code, what="incident")
    return row


def report_incident(
    session: Session, *, actor: Principal | None, incident_id: int, on: date, clock: Clock | None = None
) -> Incident:
    """Record the date the incident was reported to the offices."""
    row = _incident_for_write(session, actor, incident_id)
    if on < row.discovered_on:
        raise ValidationFailedError("on: before the incident was discovered", field="on")
    row.reported_on = on
    add_recorded(
        session,
        [row],
        actor=actor_of(actor),
        tag="equipment:incident:reported",
        subject_type="equipment_incident",
        clock=clock,
    )
    return row


def close_incident(
    session: Session, *, actor: Principal | None, incident_id: int, on: date, clock: Clock | None = None
) -> Incident:
    """Close an incident (resolved: recovered, or the investigation ended)."""
    row = _incident_for_write(session, actor, incident_id)
    if row.status == "closed":
        raise ValidationFailedError("incident_id: already closed", field="incident_id")
    if on < row.discovered_on:
        raise ValidationFailedError("on: before the incident was discovered", field="on")
    row.status, row.closed_on = "closed", on
    add_recorded(
        session,
        [row],
        actor=actor_of(actor),
        tag="equipment:incident:closed",
        subject_type="equipment_incident",
        clock=clock,
    )
    return row


def list_incidents(
    session: Session,
    *,
    actor: Principal | None,
    country: str | None = None,
    open_on: date | None = None,
    item_id: int | None = None,
) -> list[Incident]:
    """Incidents, newest discovery first; ``open_on`` keeps those discovered by that date
    and not closed by it."""
    stmt = scoped(select(Incident), actor, Incident.country_code)
    if country:
        stmt = stmt.where(Incident.country_code == country.strip().upper())
    if item_id is not None:
        stmt = stmt.where(Incident.item_id == item_id)
    rows = list(session.scalars(stmt.order_by(Incident.discovered_on.desc(), Incident.id.desc())))
    if open_on is not None:
        rows = [
            r for r in rows if r.discovered_on <= open_on and (r.closed_on is None or r.closed_on > open_on)
        ]
    return rows
