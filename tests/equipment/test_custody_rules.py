"""The custody state machine: each chronology rule refuses by name, and (property) no
sequence of accepted events leaves an item in two places or alive after its end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secassist.equipment.custody import ENDED, HELD, KINDS, MISSING, NOWHERE, Event, Position, apply, derive
from secassist.equipment.errors import CustodyConflictError, CustodyRefusedError

TODAY = date(2026, 6, 1)
STATE_RULES = {"after_end", "out_of_order", "two_places", "not_allowed"}
D0 = date(2026, 1, 5)


def _refused(pos: Position, ev: Event, rule: str) -> None:
    with pytest.raises(CustodyRefusedError) as e:
        apply(pos, ev, today=TODAY)
    assert e.value.rule == rule
    # Refused by where the item is now (409) or by the event's own form or date (422).
    conflict = rule in STATE_RULES
    assert isinstance(e.value, CustodyConflictError) is conflict, (rule, e.value)
    assert (e.value.code, e.value.http_status) == (
        ("equipment.custody_conflict", 409) if conflict else ("equipment.custody_refused", 422)
    )
    assert f"(rule {rule})" in e.value.message


def _delivered() -> Position:
    return apply(NOWHERE, Event("delivered", D0, site=1, holder_country="PL", holder_org="MoD"), today=TODAY)


def test_a_life_from_delivery_to_disposal() -> None:
    pos = derive(
        [
            Event("delivered", D0, site=1, holder_country="PL", holder_org="MoD"),
            Event("received", D0),
            Event("inventoried", date(2026, 2, 1), found=True, site=1),
            Event("issued", date(2026, 2, 2), unit=7, site=2, holder_org="18th Mech Div"),
            Event("loaned", date(2026, 3, 1), unit=8),
            Event("returned", date(2026, 3, 9), site=1),
            Event("inventoried", date(2026, 3, 10), found=False),
            Event("lost", date(2026, 3, 11)),
            Event("inventoried", date(2026, 4, 1), found=True, site=3),
        ],
        today=TODAY,
    )
    assert (pos.state, pos.site, pos.unit, pos.holder_country, pos.holder_org) == (
        "stored",
        3,
        None,
        "PL",
        "18th Mech Div",
    )
    assert pos.last_found_on == date(2026, 4, 1)
    assert pos.gone_on is None
    assert pos.events == 9
    ended = apply(pos, Event("disposed", date(2026, 5, 1)), today=TODAY)
    assert (ended.state, ended.gone_on) == ("disposed", date(2026, 5, 1))


def test_each_rule_is_named() -> None:
    pos = _delivered()
    _refused(NOWHERE, Event("issued", D0, unit=1), "before_delivery")
    _refused(pos, Event("stored", D0 - timedelta(days=1), site=1), "before_delivery")
    _refused(pos, Event("stored", TODAY + timedelta(days=1), site=1), "future")
    _refused(pos, Event("returned", D0), "not_allowed")
    _refused(pos, Event("delivered", D0, site=1), "not_allowed")
    _refused(pos, Event("stored", D0), "needs_site")
    _refused(pos, Event("issued", D0), "needs_unit")
    _refused(pos, Event("inventoried", D0, found=True, site=2), "two_places")
    _refused(pos, Event("lost", D0, site=2), "two_places")
    later = apply(pos, Event("stored", date(2026, 2, 1), site=1), today=TODAY)
    _refused(later, Event("lost", date(2026, 1, 20)), "out_of_order")
    gone = apply(later, Event("destroyed", date(2026, 2, 2)), today=TODAY)
    _refused(gone, Event("inventoried", date(2026, 2, 3), found=True), "after_end")
    lost = apply(later, Event("stolen", date(2026, 2, 2)), today=TODAY)
    _refused(lost, Event("inventoried", date(2026, 2, 3), found=True), "needs_site")


def test_transfer_out_ends_accountability_with_the_new_holder() -> None:
    pos = apply(_delivered(), Event("transferred", date(2026, 2, 1), holder_country="LT"), today=TODAY)
    assert (pos.state, pos.holder_country, pos.gone_on) == ("transferred", "LT", date(2026, 2, 1))
    _refused(pos, Event("stored", date(2026, 2, 2), site=1), "after_end")


# --- property: random event streams, only the accepted ones kept ----------------------

_events = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(min_value=-3, max_value=40),  # days after the previous attempt
        st.one_of(st.none(), st.integers(min_value=1, max_value=3)),  # site
        st.one_of(st.none(), st.integers(min_value=1, max_value=3)),  # unit
        st.booleans(),  # found
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(_events)
def test_no_accepted_sequence_puts_an_item_in_two_places_or_alive_after_its_end(raw: list[tuple]) -> None:  # type: ignore[type-arg]
    pos, on = NOWHERE, D0
    accepted: list[Event] = []
    for kind, step, site, unit, found in raw:
        on = on + timedelta(days=step)
        ev = Event(
            kind,
            on,
            site=site,
            unit=unit,
            holder_country="PL",
            found=found if kind == "inventoried" else None,
        )
        try:
            new = apply(pos, ev, today=TODAY)
        except CustodyRefusedError:
            continue
        # The one way back from an end: the new holder of a transferred item receives it
        # (transfers/, AECA §3); its site is the recipient's, possibly not yet registered.
        taken_over = pos.state == "transferred" and kind == "received"
        # one place: a delivered item has exactly one site (or, taken over without one, none
        # until it is stored somewhere: delivery needs a site, so only a take-over leaves
        # none); the event either moved it (a movement kind, or the recovery of a missing
        # item) or kept it where it was
        assert new.site is not None or (site is None and (taken_over or pos.site is None))
        moved = kind in (
            "delivered",
            "received",
            "stored",
            "returned",
            "issued",
            "loaned",
            "transferred",
        ) or (kind == "inventoried" and pos.state in MISSING)
        assert moved or new.site == pos.site
        if pos.state in ENDED and not taken_over:
            pytest.fail(f"{kind} accepted after the item was {pos.state}")
        assert pos.last_on is None or on >= pos.last_on
        assert on <= TODAY
        assert (new.gone_on is None) == (new.state in HELD)
        accepted.append(ev)
        pos = new
    # the projection is a pure function of the accepted events
    assert derive(accepted, today=TODAY) == pos
    if accepted:
        assert accepted[0].kind == "delivered"
        assert all(e.on >= accepted[0].on for e in accepted)
