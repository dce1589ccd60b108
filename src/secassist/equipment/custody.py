"""The custody state machine of one serialized item: pure rules, no database.

End-use monitoring runs from title transfer until disposal (DoD Golden Sentry, SAMM C8.3–C8.8
[S72][S73]); the recipient may not transfer possession to anyone outside its own officers,
employees or agents without U.S. consent (AECA §3(a) [S37]). So the registry must always
be able to say who holds an item and where, from delivery to its end. The item's
position (holder country, organization, unit, site, state) is *derived* by folding its
events in order with :func:`apply`; the service stores the fold's result on the item as a
projection and refuses any event this module refuses, naming the rule.

Chronology rules (each a :class:`~secassist.equipment.errors.CustodyRefusedError` ``rule``):

- ``before_delivery``: the first event is the delivery, and nothing is dated before it;
- ``after_end``: nothing follows destruction or disposal (the end of accountability, SAMM
  C8.7–C8.8 [S73]); after a transfer out only the receipt by the new holder may follow (a
  consented third-party transfer keeps the item under U.S. monitoring with its new holder,
  AECA §3(a) [S37]; both events are written in one transaction by the transfers workflow);
- ``future``: no event is dated after today;
- ``out_of_order``: events are appended in date order (a back-dated event would rewrite
  the positions every later event was judged on);
- ``two_places``: an event that does not move the item may not name another site — an
  item is in one place at a time; moving it is a ``stored``/``received``/``returned`` event;
- ``not_allowed``: the kind is not allowed from the current state (returned when not on loan);
- ``needs_site`` / ``needs_unit``: the kind needs a site (delivered, stored, recovery by
  inventory) or a unit (issued, loaned).

``after_end``, ``out_of_order``, ``two_places`` and ``not_allowed`` (from a state) judge the
event against where the item is *now* — a concurrent event that landed first is the usual
cause — so they raise :class:`~secassist.equipment.errors.CustodyConflictError` (409); the
others refuse the event's own form or date (422).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from secassist.equipment.errors import CustodyConflictError, CustodyRefusedError

Kind = Literal[
    "delivered",
    "received",
    "stored",
    "issued",
    "loaned",
    "returned",
    "inventoried",
    "transferred",
    "lost",
    "stolen",
    "destroyed",
    "demilitarized",
    "disposed",
]
KINDS: tuple[Kind, ...] = (
    "delivered",
    "received",
    "stored",
    "issued",
    "loaned",
    "returned",
    "inventoried",
    "transferred",
    "lost",
    "stolen",
    "destroyed",
    "demilitarized",
    "disposed",
)
State = Literal[
    "delivered",
    "stored",
    "issued",
    "loaned",
    "demilitarized",
    "lost",
    "stolen",
    "destroyed",
    "disposed",
    "transferred",
]
STATES: tuple[State, ...] = (
    "delivered",
    "stored",
    "issued",
    "loaned",
    "demilitarized",
    "lost",
    "stolen",
    "destroyed",
    "disposed",
    "transferred",
)
# Held by the recipient and under monitoring.
HELD: frozenset[State] = frozenset({"delivered", "stored", "issued", "loaned", "demilitarized"})
# Out of the recipient's hands but possibly recovered (a later inventory may find it).
MISSING: frozenset[State] = frozenset({"lost", "stolen"})
# The end of accountability: nothing may follow.
ENDED: frozenset[State] = frozenset({"destroyed", "disposed", "transferred"})
GONE: frozenset[State] = MISSING | ENDED

# kind -> the states it may follow (None: no event yet).
_FROM: dict[Kind, frozenset[State | None]] = {
    "delivered": frozenset({None}),
    "received": frozenset({"delivered", "transferred"}),
    "stored": frozenset({"delivered", "stored", "issued", "loaned"}),
    "issued": frozenset({"delivered", "stored", "issued"}),
    "loaned": frozenset({"stored", "issued"}),
    "returned": frozenset({"issued", "loaned"}),
    "inventoried": frozenset(HELD | MISSING),
    "transferred": frozenset({"delivered", "stored", "issued", "loaned"}),
    "lost": frozenset(HELD),
    "stolen": frozenset(HELD),
    "destroyed": frozenset(HELD | MISSING),
    "demilitarized": frozenset({"delivered", "stored", "issued", "loaned"}),
    "disposed": frozenset(HELD | MISSING),
}
# Kinds that put the item at a (possibly new) site.
_MOVES: frozenset[Kind] = frozenset(
    {"delivered", "received", "stored", "returned", "issued", "loaned", "transferred"}
)


@dataclass(frozen=True)
class Event:
    """One custody event as the rules see it (sites and units by id)."""

    kind: Kind
    on: date
    site: int | None = None
    unit: int | None = None
    holder_country: str | None = None
    holder_org: str | None = None
    found: bool | None = None  # inventoried only


@dataclass(frozen=True)
class Position:
    """Where an item is and who holds it, after its events so far."""

    state: State | None = None
    delivered_on: date | None = None
    site: int | None = None
    unit: int | None = None
    holder_country: str | None = None
    holder_org: str | None = None
    last_on: date | None = None
    last_found_on: date | None = None  # last inventory that found it
    gone_on: date | None = None  # when it went missing or its accountability ended
    events: int = 0


NOWHERE = Position()


def _refuse(rule: str, message: str, field: str = "kind") -> CustodyRefusedError:
    return CustodyRefusedError(rule, message, field=field)


def _conflict(rule: str, message: str, field: str = "kind") -> CustodyConflictError:
    """A refusal because of the item's current position (409), not the event's own form."""
    return CustodyConflictError(rule, message, field=field)


def check(pos: Position, ev: Event, *, today: date) -> None:
    """Raise :class:`CustodyRefusedError` naming the first rule ``ev`` breaks after ``pos``."""
    if ev.on > today:
        raise _refuse("future", f"{ev.kind} on {ev.on} is dated after today ({today})", "on")
    if pos.state is None:
        if ev.kind != "delivered":
            raise _refuse("before_delivery", f"{ev.kind}: the item has no delivery yet")
    else:
        assert pos.delivered_on is not None
        assert pos.last_on is not None
        if ev.kind == "delivered":
            raise _conflict("not_allowed", "the item was already delivered")
        if ev.on < pos.delivered_on:
            raise _refuse(
                "before_delivery", f"{ev.kind} on {ev.on} is before the delivery on {pos.delivered_on}", "on"
            )
        if pos.state in ENDED and not (pos.state == "transferred" and ev.kind == "received"):
            raise _conflict("after_end", f"{ev.kind}: the item was {pos.state} on {pos.gone_on}")
        if ev.on < pos.last_on:
            raise _conflict(
                "out_of_order", f"{ev.kind} on {ev.on} is before the item's last event ({pos.last_on})", "on"
            )
    if pos.state not in _FROM[ev.kind]:
        raise _conflict("not_allowed", f"{ev.kind} is not allowed when the item is {pos.state}")
    if ev.kind in ("delivered", "stored") and ev.site is None:
        raise _refuse("needs_site", f"{ev.kind} needs a site", "site")
    if ev.kind in ("issued", "loaned") and ev.unit is None:
        raise _refuse("needs_unit", f"{ev.kind} needs a unit", "unit")
    if ev.kind == "inventoried":
        if ev.found is None:
            raise _refuse("not_allowed", "an inventory says whether the item was found", "found")
        recovering = ev.found and pos.state in MISSING
        if recovering and ev.site is None:
            raise _refuse("needs_site", "finding a missing item needs the site it was found at", "site")
        if not recovering and ev.site is not None and ev.site != pos.site:
            raise _conflict(
                "two_places",
                f"the item is registered at site {pos.site}, not {ev.site}; record its move first",
                "site",
            )
    elif ev.kind not in _MOVES and ev.site is not None and ev.site != pos.site:
        raise _conflict(
            "two_places", f"{ev.kind} at site {ev.site}: the item is registered at site {pos.site}", "site"
        )


def apply(pos: Position, ev: Event, *, today: date) -> Position:
    """The position after ``ev``, or :class:`CustodyRefusedError` naming the broken rule."""
    check(pos, ev, today=today)
    # Every event moves these two; one replace per event (a trace folds every event).
    on, n = ev.on, pos.events + 1
    site = ev.site if ev.site is not None else pos.site
    match ev.kind:
        case "delivered":
            return replace(
                pos,
                last_on=on,
                events=n,
                state="delivered",
                delivered_on=ev.on,
                site=ev.site,
                unit=ev.unit,
                holder_country=ev.holder_country,
                holder_org=ev.holder_org,
            )
        case "received" if pos.state == "transferred":
            # The new holder takes it: its site (if named) in its country, monitoring again.
            return replace(
                pos,
                last_on=on,
                events=n,
                state="stored",
                site=ev.site,
                unit=None,
                holder_country=ev.holder_country or pos.holder_country,
                holder_org=ev.holder_org or pos.holder_org,
                gone_on=None,
            )
        case "received" | "stored" | "returned":
            return replace(
                pos,
                last_on=on,
                events=n,
                state="stored",
                site=site,
                unit=None,
                holder_org=ev.holder_org or pos.holder_org,
            )
        case "issued" | "loaned":
            return replace(
                pos,
                last_on=on,
                events=n,
                state="issued" if ev.kind == "issued" else "loaned",
                site=site,
                unit=ev.unit,
                holder_org=ev.holder_org or pos.holder_org,
            )
        case "inventoried":
            if not ev.found:
                return replace(pos, last_on=on, events=n)
            if pos.state in MISSING:  # recovered: back in storage where it was found
                return replace(
                    pos,
                    last_on=on,
                    events=n,
                    state="stored",
                    site=ev.site,
                    unit=None,
                    gone_on=None,
                    last_found_on=ev.on,
                )
            return replace(pos, last_on=on, events=n, last_found_on=ev.on)
        case "transferred":
            return replace(
                pos,
                last_on=on,
                events=n,
                state="transferred",
                site=site,
                unit=ev.unit,
                holder_country=ev.holder_country or pos.holder_country,
                holder_org=ev.holder_org or pos.holder_org,
                gone_on=ev.on,
            )
        case "demilitarized":
            return replace(pos, last_on=on, events=n, state="demilitarized")
        case "lost" | "stolen" | "destroyed" | "disposed":
            return replace(
                pos,
                last_on=on,
                events=n,
                state=ev.kind,
                gone_on=pos.gone_on if pos.state in MISSING else ev.on,
            )
    raise AssertionError(ev.kind)  # pragma: no cover - every kind is matched above


def derive(events: Iterable[Event], *, today: date) -> Position:
    """Fold ``events`` (in order) into the item's position; refuses the first bad one."""
    pos = NOWHERE
    for ev in events:
        pos = apply(pos, ev, today=today)
    return pos


def accountable(pos: Position) -> bool:
    """Held by the recipient and so under monitoring (not missing, not ended)."""
    return pos.state in HELD
