"""Custody of bulk lots by quantity: the pure rules (property: no holding is ever negative
and the holdings sum to delivered minus consumed), and the service (one audit entry per
event, refused events name their rule and write nothing, holdings as of a date)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.service import tree_size
from secassist.core.clock import FixedClock
from secassist.core.errors import ConflictError, NotFoundError, SecassistError, ValidationFailedError
from secassist.equipment import lot_custody as rules
from secassist.equipment import lots, sites
from secassist.equipment.errors import CustodyRefusedError
from secassist.equipment.lot_custody import CONSUMING, LOT_KINDS, Holder, LotEvent
from secassist.equipment.models import LotEvent as LotEventRow
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.deliver import deliver
from tests.cases.factories import World
from tests.equipment.factories import Poland

D0 = date(2025, 3, 1)
TODAY = date(2030, 1, 1)
RULES = {"before_delivery", "out_of_order", "quantity", "insufficient", "needs_holder", "needs_site",
         "needs_unit", "two_places"}  # fmt: skip
HOLDERS = [Holder("site", 1), Holder("site", 2), Holder("unit", 7), Holder("unit", 8)]


def _invariant(bal: rules.Balance) -> None:
    assert all(q > 0 for _, q in bal.holdings)
    consumed = sum(bal.consumed_by(k) for k in CONSUMING)
    assert bal.held == bal.delivered - consumed


_events = st.lists(
    st.tuples(
        st.sampled_from(LOT_KINDS),
        st.integers(min_value=-5, max_value=400),
        st.integers(min_value=-3, max_value=40),
        st.sampled_from([None, *HOLDERS]),
        st.sampled_from([None, *HOLDERS]),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=1000), _events)
def test_no_holding_is_ever_negative_and_holdings_sum_to_delivered_minus_consumed(
    delivered: int, raw: list[tuple[rules.LotKind, int, int, Holder | None, Holder | None]]
) -> None:
    bal = rules.delivered(delivered, 1, D0)
    on = D0
    for kind, qty, step, source, dest in raw:
        ev = LotEvent(kind, on + timedelta(days=step), qty, source, dest)
        try:
            after = rules.apply(bal, ev, today=TODAY)
        except CustodyRefusedError as exc:
            refused = exc.rule
        else:
            refused = None
        if refused is not None:
            assert refused in RULES
            continue
        assert source is not None
        assert after.held_by(source) == bal.held_by(source) - qty
        if dest is not None:
            assert after.held_by(dest) == bal.held_by(dest) + qty
        assert after.events == bal.events + 1
        bal, on = after, ev.on
        _invariant(bal)
    _invariant(bal)


def test_each_rule_is_named() -> None:
    bal = rules.delivered(100, 1, D0)
    site1, site2, unit = Holder("site", 1), Holder("site", 2), Holder("unit", 7)
    cases = [
        (LotEvent("expended", TODAY + timedelta(days=1), 1, site1), "future"),
        (LotEvent("expended", D0 - timedelta(days=1), 1, site1), "before_delivery"),
        (LotEvent("expended", D0, 0, site1), "quantity"),
        (LotEvent("expended", D0, 101, site1), "insufficient"),
        (LotEvent("issued", D0, 5, site1, site2), "needs_unit"),
        (LotEvent("stored", D0, 5, unit, None), "needs_site"),
        (LotEvent("lost", D0, 5, site1, site2), "two_places"),
        (LotEvent("stored", D0, 5, site1, site1), "two_places"),
        (LotEvent("destroyed", D0, 5, None), "needs_holder"),
        (LotEvent("expended", D0, 1, site2), "insufficient"),
    ]
    for ev, rule in cases:
        with pytest.raises(CustodyRefusedError) as e:
            rules.apply(bal, ev, today=TODAY)
        assert e.value.rule == rule, (ev, e.value)
    later = rules.apply(bal, LotEvent("issued", D0 + timedelta(days=10), 40, site1, unit), today=TODAY)
    with pytest.raises(CustodyRefusedError) as e:
        rules.apply(later, LotEvent("expended", D0 + timedelta(days=9), 1, unit), today=TODAY)
    assert e.value.rule == "out_of_order"
    assert later.holdings == ((site1, 60), (unit, 40))


# --- the service ---------------------------------------------------------------------------


def _lot(factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock) -> int:
    with unit_of_work(factory) as s:
        d = deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="002", on=clock.today(),
                    site="Rzeszow depot", quantity=1000, clock=clock)  # fmt: skip
        sites.create_unit(s, actor=world.dod, country="PL", name="18th Mechanized Division", clock=clock)
        assert d.lot is not None
        return d.lot.id


def _state(factory: sessionmaker[Session]) -> tuple[int, int]:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(LotEventRow)) or 0, tree_size(s)


def test_lot_events_move_quantities_one_audit_entry_each(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    lot_id = _lot(session_factory, world, poland, clock)
    d0 = clock.today()
    clock.advance(timedelta(days=30))
    steps: list[dict[str, object]] = [
        {"kind": "issued", "quantity": 400, "unit": "18th Mechanized Division"},
        {"kind": "expended", "quantity": 150, "unit": "18th Mechanized Division"},
        {"kind": "stored", "quantity": 200, "site": "Powidz depot", "from_site": "Rzeszow depot"},
        {"kind": "stored", "quantity": 50, "site": "Powidz depot", "unit": "18th Mechanized Division"},
        {"kind": "lost", "quantity": 10, "site": "Powidz depot"},
        {"kind": "transferred", "quantity": 100, "site": "Rzeszow depot", "holder_country": "DE"},
    ]
    before = len(tags())
    for i, kw in enumerate(steps):
        with unit_of_work(session_factory) as s:
            lots.record_lot_event(
                s,
                actor=world.dod,
                lot_id=lot_id,
                on=d0 + timedelta(days=i + 1),
                clock=clock,
                **kw,  # type: ignore[arg-type]
            )
    assert tags()[before:] == [f"equipment:lot:{kw['kind']}" for kw in steps]
    audit_ok()
    with read_only(session_factory) as s:
        now_ = lots.holdings(s, actor=world.dod, lot_id=lot_id)
        assert {(h.holder, h.name): h.quantity for h in now_.holdings} == {
            ("site", "Rzeszow depot"): 1000 - 400 - 200 - 100,
            ("site", "Powidz depot"): 200 + 50 - 10,
            ("unit", "18th Mechanized Division"): 400 - 150 - 50,
        }
        assert now_.consumed == {"expended": 150, "lost": 10, "transferred": 100}
        assert now_.held == 1000 - 260
        # As of the second day: only the issue and the expenditure had happened.
        early = lots.holdings(s, actor=world.dod, lot_id=lot_id, as_of=d0 + timedelta(days=2))
        assert {h.name: h.quantity for h in early.holdings} == {
            "Rzeszow depot": 600,
            "18th Mechanized Division": 250,
        }
        assert lots.holdings(s, actor=world.dod, lot_id=lot_id, as_of=d0 - timedelta(days=1)).held == 0
        # A partner of another country does not see the lot.
        with pytest.raises(NotFoundError):
            lots.holdings(s, actor=world.jp, lot_id=lot_id)


@pytest.mark.parametrize(
    ("kw", "error", "rule"),
    [
        ({"kind": "expended", "quantity": 1001}, CustodyRefusedError, "insufficient"),
        ({"kind": "expended", "quantity": 5, "on_days": 40}, CustodyRefusedError, "future"),
        ({"kind": "expended", "quantity": 5, "on_days": -1}, CustodyRefusedError, "before_delivery"),
        ({"kind": "issued", "quantity": 5}, CustodyRefusedError, "needs_unit"),
        (
            {"kind": "stored", "quantity": 5, "site": "Kaiserslautern depot"},
            CustodyRefusedError,
            "two_places",
        ),
        ({"kind": "expended", "quantity": 0}, CustodyRefusedError, "quantity"),
        ({"kind": "transferred", "quantity": 5}, ValidationFailedError, None),
        ({"kind": "repaired", "quantity": 5}, ValidationFailedError, None),
    ],
)
def test_refused_lot_events_name_the_rule_and_write_nothing(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    kw: dict[str, object],
    error: type[SecassistError],
    rule: str | None,
) -> None:
    lot_id = _lot(session_factory, world, poland, clock)
    d0 = clock.today()
    clock.advance(timedelta(days=30))
    days = int(kw.pop("on_days", 1))  # type: ignore[call-overload]
    before = _state(session_factory)
    with pytest.raises(error) as e, unit_of_work(session_factory) as s:
        lots.record_lot_event(
            s, actor=world.dod, lot_id=lot_id, on=d0 + timedelta(days=days), clock=clock, **kw
        )  # type: ignore[arg-type]
    assert _state(session_factory) == before
    if rule is not None:
        assert isinstance(e.value, CustodyRefusedError)
        assert e.value.rule == rule
        assert f"rule {rule}" in str(e.value)


def test_an_unnamed_source_must_be_unambiguous(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    lot_id = _lot(session_factory, world, poland, clock)
    d0 = clock.today()
    with unit_of_work(session_factory) as s:
        lots.record_lot_event(s, actor=world.dod, lot_id=lot_id, kind="stored", quantity=300, on=d0,
                              site="Powidz depot", clock=clock)  # fmt: skip
    before = _state(session_factory)
    with pytest.raises(CustodyRefusedError) as e, unit_of_work(session_factory) as s:
        lots.record_lot_event(
            s, actor=world.dod, lot_id=lot_id, kind="expended", quantity=1, on=d0, clock=clock
        )
    assert e.value.rule == "needs_holder"
    assert _state(session_factory) == before
    with unit_of_work(session_factory) as s:
        _, after = lots.record_lot_event(s, actor=world.dod, lot_id=lot_id, kind="expended", quantity=1,
                                         on=d0, site="Powidz depot", clock=clock)  # fmt: skip
    assert after.held == 999


def test_lot_events_are_append_only(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock, engine: Engine
) -> None:
    lot_id = _lot(session_factory, world, poland, clock)
    with unit_of_work(session_factory) as s:
        lots.record_lot_event(s, actor=world.dod, lot_id=lot_id, kind="expended", quantity=5,
                              on=clock.today(), clock=clock)  # fmt: skip
    for statement in ("UPDATE equipment_lot_event SET quantity = 1", "DELETE FROM equipment_lot_event"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as c:
            c.execute(text(statement))
    assert _state(session_factory)[0] == 1


def test_two_expenditures_at_once_never_overdraw_the_lot(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    backend: str,
    audit_ok: Callable[[], None],
) -> None:
    """Each asks for 600 of 1000: on PostgreSQL the loser collides on (lot_id, seq); on
    SQLite the writers queue and the second is refused as insufficient. Either way a 409
    (a conflict with the lot's current balance), never negative."""
    lot_id = _lot(session_factory, world, poland, clock)
    start = threading.Barrier(2, timeout=20)
    both_read = threading.Barrier(2, timeout=20) if backend == "postgresql" else None
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def user() -> None:
        try:
            start.wait()
            with unit_of_work(session_factory) as s:
                lots.history(s, lots.get_lot(s, actor=None, lot_id=lot_id)[0])  # both read first
                if both_read is not None:
                    both_read.wait()
                lots.record_lot_event(s, actor=world.dod, lot_id=lot_id, kind="expended", quantity=600,
                                      on=clock.today(), clock=clock)  # fmt: skip
            outcomes.append("ok")
        except ConflictError as exc:
            rule = f":{exc.rule}" if isinstance(exc, CustodyRefusedError) else ""
            outcomes.append(f"conflict:{exc.http_status}{rule}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=user) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    loser = "conflict:409" if backend == "postgresql" else "conflict:409:insufficient"
    assert sorted(outcomes) == [loser, "ok"]
    with read_only(session_factory) as s:
        after = lots.holdings(s, actor=None, lot_id=lot_id)
    assert after.held == 400
    assert after.consumed == {"expended": 600}
    audit_ok()
