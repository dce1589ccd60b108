"""The custody rules of one bulk lot (ammunition), accounted by quantity: pure, no database.

EUM runs from title transfer until disposal (SAMM C8.3–C8.8 [S72][S73]) for bulk articles as
for serialized ones, and the recipient may not pass possession outside its own forces
without U.S. consent (AECA §3(a) [S37]). A lot has no serials, so the registry answers "how
many rounds of this lot does each site and unit hold" instead of "where is this serial": the
holdings are *derived* by folding the lot's events, starting from the whole delivered
quantity at the delivery site (the lot's row is its delivery).

Events move N units of the lot:

- ``stored``: into a site, from a unit (returned from issue) or from another site;
- ``issued``: from a site to a unit;
- ``expended`` (fired, used in training), ``lost``, ``destroyed``: out of a holder, consumed;
- ``transferred``: out of a holder to another country's holder (the end of the recipient's
  accountability for those units, SAMM C8.7 [S73]); consumed for the recipient.

Rules (each a :class:`~secassist.equipment.errors.CustodyRefusedError` ``rule``, as for items):

- ``future``: no event is dated after today;
- ``before_delivery``: nothing is dated before the lot's delivery;
- ``out_of_order``: events are appended in date order (a back-dated event would change the
  holdings every later event was judged on);
- ``quantity``: an event moves at least one unit;
- ``insufficient``: a holder cannot give more than it holds, so no holding is ever negative;
- ``needs_holder``: the event names the holder the units come from;
- ``needs_site`` / ``needs_unit``: ``stored`` needs a destination site, ``issued`` a unit;
- ``two_places``: a move from a holder to itself, or a consumption that names a destination.

Invariant (property-tested): every holding is ≥ 0 and the holdings sum to the delivered
quantity minus what was expended, lost, destroyed and transferred.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from secassist.equipment.errors import CustodyConflictError, CustodyRefusedError

LotKind = Literal["stored", "issued", "expended", "lost", "destroyed", "transferred"]
LOT_KINDS: tuple[LotKind, ...] = ("stored", "issued", "expended", "lost", "destroyed", "transferred")
# Kinds that take units out of the recipient's holdings.
CONSUMING: frozenset[LotKind] = frozenset({"expended", "lost", "destroyed", "transferred"})
HolderKind = Literal["site", "unit"]


@dataclass(frozen=True, order=True)
class Holder:
    """A site or a recipient unit, by id."""

    kind: HolderKind
    id: int


@dataclass(frozen=True)
class LotEvent:
    """One movement of ``quantity`` units of a lot as the rules see it."""

    kind: LotKind
    on: date
    quantity: int
    source: Holder | None
    dest: Holder | None = None


@dataclass(frozen=True)
class Balance:
    """A lot's holdings after its events so far (holders with nothing are dropped)."""

    delivered_on: date
    delivered: int
    holdings: tuple[tuple[Holder, int], ...]
    consumed: tuple[tuple[LotKind, int], ...] = ()
    last_on: date | None = None
    events: int = 0

    def held_by(self, holder: Holder) -> int:
        return dict(self.holdings).get(holder, 0)

    @property
    def held(self) -> int:
        """Units still held by the recipient (anywhere)."""
        return sum(q for _, q in self.holdings)

    def consumed_by(self, kind: LotKind) -> int:
        return dict(self.consumed).get(kind, 0)


def delivered(quantity: int, site: int, on: date) -> Balance:
    """The lot at delivery: the whole quantity at the receiving site."""
    if quantity < 1:
        raise _refuse("quantity", f"a lot holds at least one unit, not {quantity}", "quantity")
    return Balance(delivered_on=on, delivered=quantity, holdings=((Holder("site", site), quantity),))


def _refuse(rule: str, message: str, field: str = "kind") -> CustodyRefusedError:
    return CustodyRefusedError(rule, message, field=field)


def _name(h: Holder) -> str:
    return f"{h.kind} {h.id}"


def check(bal: Balance, ev: LotEvent, *, today: date) -> None:
    """Raise :class:`CustodyRefusedError` naming the first rule ``ev`` breaks after ``bal``."""
    if ev.on > today:
        raise _refuse("future", f"{ev.kind} on {ev.on} is dated after today ({today})", "on")
    if ev.on < bal.delivered_on:
        raise _refuse(
            "before_delivery",
            f"{ev.kind} on {ev.on} is before the lot's delivery on {bal.delivered_on}",
            "on",
        )
    if bal.last_on is not None and ev.on < bal.last_on:
        raise CustodyConflictError(
            "out_of_order", f"{ev.kind} on {ev.on} is before the lot's last event ({bal.last_on})", field="on"
        )
    if ev.quantity < 1:
        raise _refuse("quantity", f"{ev.kind} moves at least one unit, not {ev.quantity}", "quantity")
    if ev.kind == "stored" and (ev.dest is None or ev.dest.kind != "site"):
        raise _refuse("needs_site", "stored needs the site the units go to", "site")
    if ev.kind == "issued" and (ev.dest is None or ev.dest.kind != "unit"):
        raise _refuse("needs_unit", "issued needs the unit the units go to", "unit")
    if ev.kind in CONSUMING and ev.dest is not None:
        raise _refuse("two_places", f"{ev.kind} takes units out of the registry; it names no destination")
    if ev.source is None:
        raise _refuse("needs_holder", f"{ev.kind}: name the site or unit the units come from", "source")
    if ev.dest == ev.source:
        raise _refuse("two_places", f"{ev.kind}: {_name(ev.source)} is both source and destination", "source")
    held = bal.held_by(ev.source)
    if ev.quantity > held:
        raise CustodyConflictError(
            "insufficient",
            f"{ev.kind} of {ev.quantity}: {_name(ev.source)} holds {held} of this lot",
            field="quantity",
        )


def apply(bal: Balance, ev: LotEvent, *, today: date) -> Balance:
    """The balance after ``ev``, or :class:`CustodyRefusedError` naming the broken rule."""
    check(bal, ev, today=today)
    assert ev.source is not None  # checked
    by = dict(bal.holdings)
    by[ev.source] -= ev.quantity
    if ev.dest is not None:
        by[ev.dest] = by.get(ev.dest, 0) + ev.quantity
    consumed = dict(bal.consumed)
    if ev.kind in CONSUMING:
        consumed[ev.kind] = consumed.get(ev.kind, 0) + ev.quantity
    return Balance(
        delivered_on=bal.delivered_on,
        delivered=bal.delivered,
        holdings=tuple(sorted((h, q) for h, q in by.items() if q > 0)),
        consumed=tuple(sorted(consumed.items())),
        last_on=ev.on,
        events=bal.events + 1,
    )


def derive(start: Balance, events: Iterable[LotEvent], *, today: date) -> Balance:
    """Fold ``events`` (in order) into the lot's holdings; refuses the first bad one."""
    bal = start
    for ev in events:
        bal = apply(bal, ev, today=today)
    return bal


def as_of(start: Balance, events: Iterable[LotEvent], day: date) -> Balance:
    """The holdings from the (already accepted, ordered) events dated on or before ``day``."""
    bal = start
    for ev in events:
        if ev.on > day:
            break
        bal = apply(bal, ev, today=date.max)
    return bal
