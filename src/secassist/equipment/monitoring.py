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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import custody
from secassist.equipment.catalog import Catalog, add_months, get_catalog
from secassist.equipment.common import clock_of
from secassist.equipment.models import INCIDENT_KINDS, CustodyEvent, Incident, Item
from secassist.equipment.queries import dollars, find_item, get_site, require, scoped
from secassist.identity.models import Organization
from secassist.identity.policy import Principal, actor_of
from secassist.reference.service import get_reference


def overdue(due: date, day: date) -> bool:
    """An inventory due on ``due`` is overdue on ``day`` from the day after it was due."""
    return due < day


def delinquent_on(catalog: Catalog, designation: str, pos: custody.Position, day: date) -> date | None:
    """The due date if the item (at position ``pos`` as of ``day``) is delinquent on ``day``,
    else None (see the module docstring for the rule and its authority)."""
    if pos.delivered_on is None or not custody.accountable(pos):
        return None
    due = catalog.inventory_due(designation, delivered_on=pos.delivered_on, last_found_on=pos.last_found_on)
    return due if overdue(due, day) else None


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


@dataclass(frozen=True)
class DelinquentItem:
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


def _due_bounds(cat: Catalog, designation: str, as_of: date) -> tuple[list[_Range], list[_Range]]:
    """Where an item of ``designation`` may be overdue on ``as_of``, as date ranges for SQL:
    (delivered_on ranges for items never found, last_found_on ranges for the others).

    The schedule in force is constant between the catalog's ``from`` dates, and within one
    schedule the due date grows with the date it counts from (``add_months`` clamps but
    never goes back), so "overdue" is "that date is before a threshold". A range where no
    schedule is in force is returned whole: :meth:`Catalog.inventory_due` then raises for
    such an item, as it always has. The ranges are a prefilter; :func:`overdue` decides."""
    d = cat.designations[designation]
    starts = sorted({s.from_ for s in (*d.schedules, *cat.eeum_file.default_schedules) if s.from_})
    edges: list[date | None] = [None, *starts]
    never: list[_Range] = []
    found: list[_Range] = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        try:
            sched = cat.schedule(designation, lo or date.min)
        except ValidationFailedError:
            never.append((lo, hi))
            found.append((lo, hi))
            continue
        # never found: overdue iff delivered_on + days < as_of
        never.append((lo, _earliest(hi, as_of - timedelta(days=sched.initial_inventory_days))))
        # found on F: overdue iff add_months(F, months) < as_of, i.e. F < the first F' that is not
        months = sched.inventory_interval_months
        first = add_months(as_of, -months)
        while add_months(first, months) < as_of:
            first += timedelta(days=1)
        while add_months(first - timedelta(days=1), months) >= as_of:
            first -= timedelta(days=1)
        found.append((lo, _earliest(hi, first)))
    return never, found


_Range = tuple[date | None, date | None]  # [lo, hi), None unbounded


def _earliest(a: date | None, b: date) -> date:
    return b if a is None else min(a, b)


def _in_ranges(column: QueryableAttribute[Any], ranges: list[_Range]) -> ColumnElement[bool]:
    terms = []
    for lo, hi in ranges:
        if lo is not None and hi is not None and hi <= lo:
            continue
        conds = [c for c in (column >= lo if lo else None, column < hi if hi else None) if c is not None]
        terms.append(and_(*conds) if conds else column.is_not(None))
    return or_(*terms) if terms else false()


def _maybe_overdue(cat: Catalog, as_of: date) -> ColumnElement[bool]:
    """A superset of the held EEUM items overdue on ``as_of`` (by :func:`_due_bounds`),
    plus any whose designation the catalog does not know (``inventory_due`` refuses it)."""
    terms: list[ColumnElement[bool]] = [Item.eeum_designation.not_in(sorted(cat.designations))]
    for code in sorted(cat.designations):
        never, found = _due_bounds(cat, code, as_of)
        terms.append(
            and_(
                Item.eeum_designation == code,
                or_(
                    and_(Item.last_found_on.is_(None), _in_ranges(Item.delivered_on, never)),
                    _in_ranges(Item.last_found_on, found),
                ),
            )
        )
    return or_(*terms)


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

    Items whose last event is on or before ``as_of`` are judged on their stored position:
    the EEUM totals are a SQL aggregate by country, and only the items that may be overdue
    (:func:`_maybe_overdue`, a prefilter on the stored dates) are read, their due date then
    computed by the catalog. The others (events after ``as_of``) are judged on the fold of
    their events up to ``as_of``. At 10^6 items this reads the delinquent rows, not every
    row (docs/equipment-scale.md).
    """
    cat = catalog or get_catalog()
    base = scoped(select(Item), actor, Item.holder_country).where(
        Item.eeum_designation.is_not(None), Item.delivered_on <= as_of
    )
    only = get_reference().country(country).code if country else None
    stored = base.where(
        Item.last_event_on <= as_of, Item.state.in_(sorted(custody.HELD)), Item.holder_country.is_not(None)
    )
    if only:
        stored = stored.where(Item.holder_country == only)
    totals: dict[str, list[int]] = {}  # country -> [eeum cents, delinquent cents, eeum items]
    for holder, cents, n in session.execute(
        stored.with_only_columns(Item.holder_country, func.sum(Item.unit_value_cents), func.count()).group_by(
            Item.holder_country
        )
    ):
        assert holder is not None  # filtered in SQL
        totals[holder] = [int(cents), 0, int(n)]
    # Plain rows, not ORM objects: at volume these are many.
    candidates = session.execute(
        stored.where(_maybe_overdue(cat, as_of)).with_only_columns(
            Item.id,
            Item.serial,
            Item.item_type,
            Item.eeum_designation,
            Item.unit_value_cents,
            Item.delivered_on,
            Item.holder_country,
            Item.last_found_on,
        )
    ).all()
    # Not filtered by country: a transfer (out, and the receipt by a new holder) may
    # postdate ``as_of``, so these are judged on their replayed holder below.
    later = base.where(Item.last_event_on > as_of)
    rows = session.execute(
        later.with_only_columns(
            Item.id,
            Item.serial,
            Item.item_type,
            Item.eeum_designation,
            Item.unit_value_cents,
            Item.delivered_on,
        ).order_by(Item.id)
    ).all()
    replay = [r[0] for r in rows]
    history: dict[int, list[custody.Event]] = defaultdict(list)
    for start in range(0, len(replay), 1000):
        chunk = replay[start : start + 1000]
        events = session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.item_id.in_(chunk), CustodyEvent.occurred_on <= as_of)
            .order_by(CustodyEvent.item_id, CustodyEvent.seq)
        )
        for ev in events:
            history[ev.item_id].append(event_of(ev))
    judged: list[Any] = list(candidates)  # (id, serial, type, designation, cents, delivered, holder, found)
    for item_id, serial, item_type, designation, cents, delivered_on in rows:
        pos = position_as_of(history[item_id], as_of)
        if not custody.accountable(pos):
            continue
        holder, found_on = pos.holder_country, pos.last_found_on
        if holder is None or (only and holder != only):
            continue
        t = totals.get(holder)
        if t is None:
            t = totals[holder] = [0, 0, 0]
        t[0] += cents
        t[2] += 1
        judged.append((item_id, serial, item_type, designation, cents, delivered_on, holder, found_on))
    # Once found, the due date no longer depends on the delivery: (designation, date) keys
    # repeat across a million items (a few thousand distinct days per designation).
    due_cache: dict[tuple[str, date | None, date | None], date] = {}
    value_cache: dict[int, Decimal] = {}
    # (due, serial, item id, item): sorts as the report lists them, the id breaking ties
    listed: dict[str, list[tuple[date, str, int, DelinquentItem]]] = defaultdict(list)
    for item_id, serial, item_type, designation, cents, delivered_on, holder, found_on in judged:
        key = (designation, delivered_on if found_on is None else None, found_on)
        due = due_cache.get(key)
        if due is None:
            due = due_cache[key] = cat.inventory_due(
                designation, delivered_on=delivered_on, last_found_on=found_on
            )
        if overdue(due, as_of):
            totals[holder][1] += cents
            value = value_cache.get(cents)
            if value is None:
                value = value_cache[cents] = dollars(cents)
            listed[holder].append((due, serial, item_id, DelinquentItem(serial, item_type, due, value)))
    for entries in listed.values():
        entries.sort()
    by_country = {
        cc: CountryDelinquency(
            cc,
            [],
            eeum_value_usd=dollars(t[0]),
            delinquent_value_usd=dollars(t[1]),
            eeum_items=t[2],
            items=[x[3] for x in listed[cc]],
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
    cat = get_catalog()
    stmt = scoped(select(Item), actor, Item.holder_country).where(
        Item.eeum_designation.is_not(None), Item.state.in_(sorted(custody.HELD))
    )
    if country:
        stmt = stmt.where(Item.holder_country == get_reference().country(country).code)
    horizon = as_of + timedelta(days=within_days)
    out: list[tuple[Item, date]] = []
    for item in session.scalars(stmt):
        assert item.eeum_designation is not None
        due = cat.inventory_due(
            item.eeum_designation, delivered_on=item.delivered_on, last_found_on=item.last_found_on
        )
        if due <= horizon:
            out.append((item, due))
    return sorted(out, key=lambda x: (x[1], x[0].serial))


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
