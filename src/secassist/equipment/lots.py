"""Custody events of bulk lots (ammunition), by quantity: recording them and reading a lot's
holdings per site and unit. The rules and their authority are in
:mod:`~secassist.equipment.lot_custody`; this module resolves names to holders, judges the
event against the lot's replayed history before writing anything, and writes one audit entry
per event (``equipment:lot:<kind>``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import lot_custody as rules
from secassist.equipment.common import clock_of, label_of, text
from secassist.equipment.errors import ConcurrentCustodyChangeError, CustodyConflictError, CustodyRefusedError
from secassist.equipment.lot_custody import Balance, Holder
from secassist.equipment.models import Lot, LotEvent, RecipientUnit, Site
from secassist.equipment.queries import get_site, get_unit, require, scoped
from secassist.identity.policy import Principal, actor_of
from secassist.reference.service import get_reference


def get_lot(session: Session, *, actor: Principal | None, lot_id: int) -> tuple[Lot, Site]:
    """A lot and its delivery site, if ``actor`` may see the site's country."""
    lot = session.scalar(
        scoped(select(Lot).join(Site, Lot.site_id == Site.id), actor, Site.country_code).where(
            Lot.id == lot_id
        )
    )
    if lot is None:
        raise NotFoundError(f"lot: no lot {lot_id}", field="lot")
    site = session.get(Site, lot.site_id)
    assert site is not None  # a foreign key
    return lot, site


def _holder(site_id: int | None, unit_id: int | None) -> Holder | None:
    if site_id is not None:
        return Holder("site", site_id)
    return Holder("unit", unit_id) if unit_id is not None else None


def rule_event(row: LotEvent) -> rules.LotEvent:
    """A stored event row as the rules see it."""
    assert row.kind in rules.LOT_KINDS
    return rules.LotEvent(
        row.kind,
        row.occurred_on,
        row.quantity,
        _holder(row.from_site_id, row.from_unit_id),
        _holder(row.to_site_id, row.to_unit_id),
    )


def history(session: Session, lot: Lot) -> tuple[Balance, list[LotEvent]]:
    """The lot at delivery and its events in order."""
    rows = list(session.scalars(select(LotEvent).where(LotEvent.lot_id == lot.id).order_by(LotEvent.seq)))
    return rules.delivered(lot.quantity, lot.site_id, lot.delivered_on), rows


def _source(kind: str, named: Holder | None, dest: Holder | None, bal: Balance) -> Holder | None:
    """The named source, or the lot's only holder other than the destination."""
    if named is not None:
        return named
    others = [h for h, _ in bal.holdings if h != dest]
    if len(others) == 1:
        return others[0]
    if not others:
        return None
    raise CustodyRefusedError(
        "needs_holder",
        f"{kind}: the lot is held by {len(others)} sites and units; name the one the units come from",
        field="source",
    )


def record_lot_event(
    session: Session,
    *,
    actor: Principal | None,
    lot_id: int,
    kind: str,
    quantity: int,
    on: date,
    site: str | int | None = None,
    unit: str | int | None = None,
    from_site: str | int | None = None,
    holder_country: str | None = None,
    note: str | None = None,
    clock: Clock | None = None,
    authorized: bool = False,
) -> tuple[LotEvent, Balance]:
    """Record that ``quantity`` units of a lot were stored, issued, expended, lost, destroyed
    or transferred on ``on`` (SAMM C8 custody of bulk articles; rules in
    :mod:`~secassist.equipment.lot_custody`), and return the event and the lot's holdings after it.

    Where the units come from and go to: ``issued`` moves them from ``site`` (or
    ``from_site``) to ``unit``; ``stored`` moves them to ``site`` from ``unit`` (a return) or
    ``from_site``; ``expended``/``lost``/``destroyed``/``transferred`` take them out of ``site``
    or ``unit``. An unnamed source is the lot's only other holder. A transfer names the new
    holder country. A refused event names its rule and writes nothing; one audit entry each.
    ``authorized`` says the caller already checked the actor's authority for this event (an
    executed transfer, whose custody moves State's approval covers, as for serials).
    """
    if kind not in rules.LOT_KINDS:
        raise ValidationFailedError(f"kind: one of {', '.join(rules.LOT_KINDS)}, not {kind!r}", field="kind")
    lot, home = get_lot(session, actor=actor, lot_id=lot_id)
    country = home.country_code
    if not authorized:
        require(actor, "write", country, what="lot")

    def site_of(ref: str | int, field: str) -> Holder:
        row = get_site(session, actor=actor, ref=ref, field=field)
        if row.country_code != country:
            raise CustodyRefusedError(
                "two_places",
                f"{row.name} is in {row.country_code}; lot {lot.id} is held in {country} "
                "(a move abroad is a transfer)",
                field=field,
            )
        return Holder("site", row.id)

    def unit_of(ref: str | int) -> Holder:
        row = get_unit(session, actor=actor, ref=ref, country=country)
        if row.country_code != country:
            raise CustodyRefusedError(
                "two_places", f"{row.name} is in {row.country_code}, not {country}", field="unit"
            )
        return Holder("unit", row.id)

    s = site_of(site, "site") if site is not None else None
    u = unit_of(unit) if unit is not None else None
    f = site_of(from_site, "from_site") if from_site is not None else None
    if kind == "issued":
        if f is not None and s is not None:
            raise ValidationFailedError(
                "site: issued comes from one site; give --site or --from-site", field="site"
            )
        named, dest = f or s, u
    elif kind == "stored":
        if f is not None and u is not None:
            raise ValidationFailedError(
                "unit: stored comes from one holder; give a unit or a from site", field="unit"
            )
        named, dest = f or u, s
    else:
        if s is not None and u is not None:
            raise ValidationFailedError(
                f"site: {kind} takes units out of one holder; give a site or a unit", field="site"
            )
        named, dest = f or s or u, None
    new_country = None
    if kind == "transferred":
        if not holder_country:
            raise ValidationFailedError(
                "holder_country: a transfer names the new holder", field="holder_country"
            )
        new_country = get_reference().country(holder_country).code
        if new_country == country:
            raise ValidationFailedError(
                f"holder_country: {new_country} already holds the lot; a move within it is stored or issued",
                field="holder_country",
            )
    elif holder_country:
        raise ValidationFailedError(
            "holder_country: only a transfer names a new holder", field="holder_country"
        )
    start, rows = history(session, lot)
    today = clock_of(clock).today()
    bal = rules.derive(start, (rule_event(r) for r in rows), today=date.max)
    event = rules.LotEvent(kind, on, quantity, _source(kind, named, dest, bal), dest)
    after = rules.apply(bal, event, today=today)
    src, dst = event.source, event.dest
    row = LotEvent(
        lot_id=lot.id,
        seq=len(rows) + 1,
        kind=kind,
        quantity=quantity,
        occurred_on=on,
        from_site_id=src.id if src and src.kind == "site" else None,
        from_unit_id=src.id if src and src.kind == "unit" else None,
        to_site_id=dst.id if dst and dst.kind == "site" else None,
        to_unit_id=dst.id if dst and dst.kind == "unit" else None,
        holder_country=new_country,
        note=text(note, "note", limit=2000, required=False) or None,
        recorded_at=now(clock),
        recorded_by=label_of(actor),
    )
    try:
        add_recorded(
            session,
            [row],
            actor=actor_of(actor),
            tag=f"equipment:lot:{kind}",
            subject_type="equipment_lot_event",
            clock=clock,
        )
    except IntegrityError as exc:
        # A concurrent event on the same lot took this seq: the caller reloads and retries.
        raise ConcurrentCustodyChangeError("the lot was changed by someone else; reload and retry") from exc
    return row, after


# --- reading a lot's holdings -------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    holder: str  # "site" or "unit"
    name: str
    quantity: int


@dataclass(frozen=True)
class LotHoldings:
    """A lot's holdings per site and unit as of a date, and what left the registry."""

    lot_id: int
    item_type: str
    as_of: date
    delivered: int
    held: int
    holdings: list[Holding]
    consumed: dict[str, int]

    def as_json(self) -> dict[str, object]:
        return {
            "lot_id": self.lot_id,
            "item_type": self.item_type,
            "as_of": self.as_of.isoformat(),
            "delivered": self.delivered,
            "held": self.held,
            "holdings": [{"holder": h.holder, "name": h.name, "quantity": h.quantity} for h in self.holdings],
            "consumed": self.consumed,
        }


def holdings(
    session: Session, *, actor: Principal | None, lot_id: int, as_of: date | None = None
) -> LotHoldings:
    """Who holds how many units of a lot as of ``as_of`` (default: after every event),
    derived from its delivery and its events."""
    lot, _ = get_lot(session, actor=actor, lot_id=lot_id)
    start, rows = history(session, lot)
    events = [rule_event(r) for r in rows]
    day = as_of or date.max
    bal = rules.as_of(start, events, day) if day >= lot.delivered_on else None
    pairs = bal.holdings if bal is not None else ()
    site_ids = [h.id for h, _ in pairs if h.kind == "site"]
    unit_ids = [h.id for h, _ in pairs if h.kind == "unit"]
    names = {
        ("site", i): n for i, n in session.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids)))
    } | {
        ("unit", i): n
        for i, n in session.execute(
            select(RecipientUnit.id, RecipientUnit.name).where(RecipientUnit.id.in_(unit_ids))
        )
    }
    return LotHoldings(
        lot_id=lot.id,
        item_type=lot.item_type,
        as_of=as_of or (bal.last_on if bal and bal.last_on else lot.delivered_on),
        delivered=lot.quantity if bal is not None else 0,
        held=bal.held if bal is not None else 0,
        holdings=[Holding(h.kind, names[(h.kind, h.id)], q) for h, q in pairs],
        consumed=dict(bal.consumed) if bal is not None else {},
    )


# --- splitting a lot by a transfer --------------------------------------------------------


def held_units(session: Session, lot: Lot) -> Balance:
    """The lot's holdings after every event recorded so far."""
    start, rows = history(session, lot)
    return rules.derive(start, (rule_event(r) for r in rows), today=date.max)


def split_lot(
    session: Session,
    *,
    actor: Principal | None,
    lot_id: int,
    quantity: int,
    on: date,
    to_country: str,
    to_site: Site,
    note: str,
    clock: Clock | None = None,
) -> Lot:
    """Transfer ``quantity`` units of a lot to another country (SAMM C8.7 [S73]): a
    ``transferred`` event out of each of the lot's holders in turn (sites before units, by
    id) until the quantity is met, each with its audit entry, and a new lot of those units
    at ``to_site`` in ``to_country`` naming the lot it came from (``equipment:lot:split``).
    The remainder stays with the old holder. More than the lot holds is refused
    (``insufficient``) before anything is written; the caller has checked that the transfer
    is authorized, and ``note`` names its authority."""
    lot, _ = get_lot(session, actor=actor, lot_id=lot_id)
    if quantity < 1:
        raise CustodyRefusedError(
            "quantity", f"a transfer moves at least one unit, not {quantity}", field="quantity"
        )
    if to_site.country_code != to_country:
        raise ValidationFailedError(
            f"site: {to_site.name} is in {to_site.country_code}, not {to_country}", field="site"
        )
    bal = held_units(session, lot)
    if quantity > bal.held:
        raise CustodyConflictError(
            "insufficient", f"transfer of {quantity}: lot {lot.id} holds {bal.held} units", field="quantity"
        )
    left = quantity
    for holder, held in bal.holdings:
        take = min(left, held)
        record_lot_event(
            session, actor=actor, lot_id=lot.id, kind="transferred", quantity=take, on=on,
            site=holder.id if holder.kind == "site" else None,
            unit=holder.id if holder.kind == "unit" else None,
            holder_country=to_country, note=note, clock=clock, authorized=True,
        )  # fmt: skip
        left -= take
        if not left:
            break
    child = Lot(
        item_type=lot.item_type,
        lot_number=lot.lot_number,
        case_id=lot.case_id,
        case_line_id=lot.case_line_id,
        case_ref=lot.case_ref,
        line_number=lot.line_number,
        purchaser_country=lot.purchaser_country,
        quantity=quantity,
        unit_value_cents=lot.unit_value_cents,
        site_id=to_site.id,
        delivered_on=on,
        parent_lot_id=lot.id,
        created_at=now(clock),
        is_demo=lot.is_demo,
    )
    add_recorded(
        session,
        [child],
        actor=actor_of(actor),
        tag="equipment:lot:split",
        subject_type="equipment_lot",
        clock=clock,
    )
    return child
