"""End-use monitoring: delinquency as of any date (property: an item is delinquent on
exactly the days its inventory is overdue), the report's figures and items, incidents
with their deadline and offices, and the vetting engine's diversion factor fed from them."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import monitoring, queries, service
from secassist.equipment.catalog import add_months, get_catalog
from secassist.equipment.custody import HELD, NOWHERE, Event, apply
from secassist.equipment.errors import CustodyRefusedError
from secassist.equipment.models import Item
from secassist.storage.migrate import alembic_config, upgrade
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting.ruleset import evaluate, get_ruleset
from secassist.vetting.service import rule_context
from secassist.workflows.deliver import deliver
from secassist.workflows.diversion_history import EquipmentDiversionHistory
from tests.cases.factories import World
from tests.equipment.factories import Poland, refused
from tests.vetting.factories import make_proposal

CAT = get_catalog()
D0 = date(2024, 1, 10)
GONE = ("lost", "stolen", "destroyed", "disposed", "transferred")


def _oracle(events: list[Event], day: date) -> bool:
    """Overdue, computed without the custody fold: held (no loss or end since the last
    inventory that found it) and the next inventory due before ``day``."""
    seen = [e for e in events if e.on <= day]
    if not seen:
        return False
    found = [e.on for e in seen if e.kind == "inventoried" and e.found]
    markers = [e for e in seen if e.kind in GONE or (e.kind == "inventoried" and e.found)]
    if markers and markers[-1].kind in GONE:
        return False
    due = seen[0].on + timedelta(days=90) if not found else add_months(max(found), 12)
    return due < day


_stream = st.lists(
    st.tuples(
        st.sampled_from(
            ["inventoried", "inventoried", "stored", "lost", "destroyed", "transferred", "issued"]
        ),
        st.integers(min_value=0, max_value=200),
        st.booleans(),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(_stream, st.integers(min_value=0, max_value=1200))
def test_an_item_is_delinquent_on_exactly_the_days_its_inventory_is_overdue(
    raw: list[tuple[str, int, bool]], probe: int
) -> None:
    today = date(2030, 1, 1)
    events = [Event("delivered", D0, site=1, holder_country="PL")]
    pos = apply(NOWHERE, events[0], today=today)
    on = D0
    for kind, step, found in raw:
        on += timedelta(days=step)
        ev = Event(kind, on, site=2 if kind == "inventoried" and pos.state == "lost" else None, unit=1,  # type: ignore[arg-type]
                   holder_country="LT" if kind == "transferred" else None,
                   found=found if kind == "inventoried" else None)  # fmt: skip
        if kind == "stored":
            ev = Event("stored", on, site=1)
        try:
            pos = apply(pos, ev, today=today)
        except CustodyRefusedError:
            continue
        events.append(ev)
    for day in (D0 + timedelta(days=probe), D0 + timedelta(days=90), D0 + timedelta(days=91)):
        at = monitoring.position_as_of(events, day)
        assert (monitoring.delinquent_on(CAT, "night_vision_device", at, day) is not None) == _oracle(
            events, day
        )


NVD = ["N-1", "N-2", "N-3", "N-4"]


def _setup(factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock) -> date:
    """Four NVDs ($4,500 each) and two case-unique carbines ($1,200) delivered today; returns
    the delivery date. Then N-2 is lost on day 50, N-3 found late on day 100, N-4
    transferred out on day 95 (after its due date), the carbines never inventoried."""
    d0 = clock.today()
    with unit_of_work(factory) as s:
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="001", on=d0, site="Rzeszow depot",
                serials=NVD, clock=clock)  # fmt: skip
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="003", on=d0, site="Rzeszow depot",
                serials=["C-1", "C-2"], clock=clock)  # fmt: skip
    steps = [
        (50, "N-2", {"kind": "lost"}),
        (60, "N-1", {"kind": "inventoried", "found": True}),
        (95, "N-4", {"kind": "transferred", "site": "Kaiserslautern depot"}),
        (100, "N-3", {"kind": "inventoried", "found": True}),
    ]
    for day, serial, kw in steps:
        clock.advance(d0 + timedelta(days=day) - clock.today())
        with unit_of_work(factory) as s:
            service.record_event(s, actor=world.dod, serial=serial, on=clock.today(), clock=clock, **kw)  # type: ignore[arg-type]
    clock.advance(timedelta(days=400))
    return d0


def test_delinquency_as_of_any_date(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    d0 = _setup(session_factory, world, poland, clock)

    def report(day: int) -> monitoring.Delinquency:
        with read_only(session_factory) as s:
            return monitoring.delinquency(s, actor=None, as_of=d0 + timedelta(days=day))

    def serials(day: int) -> list[str]:
        return [i.serial for c in report(day).by_country for i in c.items]

    assert serials(90) == []  # due on day 90, overdue from day 91
    assert serials(91) == ["C-1", "C-2", "N-3", "N-4"]  # N-1 found on day 60, N-2 lost before due
    assert serials(95) == ["C-1", "C-2", "N-3"]  # N-4 left the country on day 95
    assert serials(100) == ["C-1", "C-2"]  # N-3 found late stops being delinquent that day
    r = report(91)
    assert (r.eeum_value_usd, r.delinquent_value_usd, r.delinquent_share) == (
        Decimal("15900.00"), Decimal("11400.00"), Decimal("0.7170"),
    )  # fmt: skip
    pl = r.by_country[0]
    assert (pl.country, pl.offices, pl.eeum_items) == ("PL", ["ODC Poland"], 5)
    assert pl.items[0].due_on == d0 + timedelta(days=90)
    # a year after N-1's inventory it is due again (60 + 12 months)
    later = add_months(d0 + timedelta(days=60), 12)
    assert "N-1" not in serials((later - d0).days)
    assert "N-1" in serials((later - d0).days + 1)
    # every day: the database report (replay or stored projection) agrees with the pure rule
    with read_only(session_factory) as s:
        histories = {}
        for serial in [*NVD, "C-1", "C-2"]:
            item = queries.find_item(s, actor=None, serial=serial)
            histories[serial] = [monitoring.event_of(e) for e, _ in queries.events_of(s, item.id)]
    for day in range(0, 140, 3):
        on = d0 + timedelta(days=day)
        expected = sorted(k for k, evs in histories.items() if _oracle(evs, on))
        assert sorted(serials(day)) == expected, day
    # the JSON shape of the contract
    body = r.as_json()
    assert body["delinquent_share"] == "0.7170"
    assert body["by_country"][0]["items"][0] == {  # type: ignore[index]
        "serial": "C-1", "item_type": "carbine", "due_on": (d0 + timedelta(days=90)).isoformat(),
        "value_usd": "1200.00",
    }  # fmt: skip


def test_incidents_and_the_diversion_factor(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    d0 = _setup(session_factory, world, poland, clock)
    found = d0 + timedelta(days=51)
    with unit_of_work(session_factory) as s:
        inc = monitoring.record_incident(
            s, actor=world.pl_sco, country="PL", kind="loss", discovered_on=found, serial="N-2",
            description="NVD missing after exercise", clock=clock,
        )  # fmt: skip
        assert inc.report_due_on == found + timedelta(days=30)
        assert "DSCA Golden Sentry (EUM Division)" in inc.offices
        incident_id = inc.id
    assert tags()[-1] == "equipment:incident:recorded"
    e = refused(
        session_factory,
        ValidationFailedError,
        lambda s: monitoring.record_incident(
            s,
            actor=world.dod,
            country="PL",
            kind="misplaced",
            discovered_on=found,
            description="x",
            clock=clock,
        ),
    )
    assert e.detail["field"] == "kind"
    refused(
        session_factory,
        NotFoundError,
        lambda s: monitoring.record_incident(
            s, actor=world.jp, country="PL", kind="loss", discovered_on=found, description="x", clock=clock
        ),
    )
    with read_only(session_factory) as s:
        history = EquipmentDiversionHistory(s)
        records = history.records(["PL"], on=d0 + timedelta(days=91))
        kinds = [(r.kind, r.resolved_on, r.evidence) for r in records]
        assert ("incident", None, f"equipment:incident:{incident_id}") in kinds
        delinquent = next(r for r in records if r.kind == "delinquent_inventory")
        assert "$11,400.00 (71.7%) of $15,900.00" in delinquent.description
        # before anything was due and before the incident: nothing to say
        assert history.records(["PL"], on=d0 + timedelta(days=10)) == []
    with unit_of_work(session_factory) as s:
        monitoring.close_incident(s, actor=world.dod, incident_id=incident_id, on=found + timedelta(days=5))
    with read_only(session_factory) as s:
        rec = next(
            r
            for r in EquipmentDiversionHistory(s).records(["PL"], on=d0 + timedelta(days=91))
            if r.kind == "incident"
        )
        assert rec.resolved_on == found + timedelta(days=5)
        assert (
            monitoring.list_incidents(s, actor=world.pl_sco, open_on=found + timedelta(days=1))[0].id
            == incident_id
        )
        assert monitoring.list_incidents(s, actor=world.pl_sco, open_on=found + timedelta(days=9)) == []
        assert monitoring.list_incidents(s, actor=world.jp) == []
    audit_ok()


def test_the_diversion_rule_raises_a_concern_with_the_figures(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    d0 = _setup(session_factory, world, poland, clock)
    on = d0 + timedelta(days=91)
    p = make_proposal("PL", on.isoformat())
    with read_only(session_factory) as s:
        ctx = rule_context(s, p, history=EquipmentDiversionHistory(s))
    result = evaluate(p, ctx, get_ruleset().for_date(on))
    finding = next(f for f in result.findings if f.factor == "diversion")
    assert finding.outcome == "concern"
    assert any(e.startswith("equipment:delinquency:PL:") for e in finding.evidence)
    assert "71.7%" in finding.rationale


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_sql_report_equals_the_per_item_fold_on_random_histories(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock, seed: int
) -> None:
    """The report's SQL aggregate and prefilter against the rule applied item by item to
    each item's replayed events (:func:`monitoring.position_as_of`, :func:`monitoring.delinquent_on`),
    on random histories and many dates, both before and after each item's last event (the
    stored-projection path and the replay path)."""
    rng = random.Random(seed)
    d0 = clock.today()
    nvd = [f"RN-{i}" for i in range(10)]
    carbines = [f"RC-{i}" for i in range(5)]
    with unit_of_work(session_factory) as s:
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="001", on=d0, site="Rzeszow depot",
                serials=nvd, clock=clock)  # fmt: skip
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="003", on=d0, site="Rzeszow depot",
                serials=carbines, clock=clock)  # fmt: skip
    clock.advance(timedelta(days=900))
    kinds: list[tuple[str, dict[str, object]]] = [
        ("inventoried", {"found": True}),
        ("inventoried", {"found": True}),
        ("inventoried", {"found": False}),
        ("stored", {"site": "Powidz depot"}),
        ("lost", {}),
        ("transferred", {"site": "Kaiserslautern depot"}),
    ]
    for serial in nvd + carbines:
        day = 0
        for _ in range(rng.randint(0, 6)):
            day += rng.randint(1, 200)
            if day > 880:
                break
            kind, kw = rng.choice(kinds)
            try:
                with unit_of_work(session_factory) as s:
                    service.record_event(s, actor=world.dod, serial=serial, kind=kind,
                                         on=d0 + timedelta(days=day), clock=clock, **kw)  # type: ignore[arg-type]  # fmt: skip
            except (CustodyRefusedError, ValidationFailedError):
                pass  # not allowed from its current state: the chain stays valid
    with read_only(session_factory) as s:
        chains = {}
        for serial in nvd + carbines:
            item = queries.find_item(s, actor=None, serial=serial)
            assert item.eeum_designation is not None
            events = [monitoring.event_of(e) for e, _ in queries.events_of(s, item.id)]
            chains[serial] = (item.item_type, item.eeum_designation, item.unit_value_cents, events)
            # The stored due date is the fold's: what the report reads from today on.
            now_pos = monitoring.position_as_of(events, date.max)
            assert item.inventory_due_on == monitoring.next_inventory_due(CAT, item.eeum_designation, now_pos)
    for day in sorted({rng.randint(0, 1000) for _ in range(25)} | {0, 90, 91, 365, 456}):
        on = d0 + timedelta(days=day)
        want: dict[str, list[object]] = {}
        for serial, (kind, designation, cents, events) in chains.items():
            pos = monitoring.position_as_of(events, on)
            if pos.delivered_on is None or pos.state not in HELD or pos.holder_country is None:
                continue
            t = want.setdefault(pos.holder_country, [0, 0, 0, []])
            t[0] += cents  # type: ignore[operator]
            t[2] += 1  # type: ignore[operator]
            due = monitoring.delinquent_on(CAT, designation, pos, on)
            if due is not None:
                t[1] += cents  # type: ignore[operator]
                t[3].append((serial, kind, due))  # type: ignore[attr-defined]
        with read_only(session_factory) as s:
            got = monitoring.delinquency(s, actor=None, as_of=on)
        assert {
            c.country: [
                int(c.eeum_value_usd * 100), int(c.delinquent_value_usd * 100), c.eeum_items,
                [(i.serial, i.item_type, i.due_on) for i in c.items],
            ]
            for c in got.by_country
        } == {cc: [t[0], t[1], t[2], sorted(t[3], key=lambda x: (x[2], x[0]))] for cc, t in want.items()}, day  # type: ignore[arg-type, index]  # fmt: skip


def test_the_migration_backfills_the_due_dates_the_events_keep(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    """Migration 0017 computes ``inventory_due_on`` for items registered before it as
    :func:`monitoring.next_inventory_due` does (found, never found, gone, not EEUM), and
    the report reads the same figures afterwards."""
    d0 = clock.today()
    with unit_of_work(session_factory) as s:
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="001", on=d0, site="Rzeszow depot",
                serials=["M-1", "M-2", "M-3", "M-4"], clock=clock)  # fmt: skip
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="003", on=d0, site="Rzeszow depot",
                serials=["MC-1"], clock=clock)  # fmt: skip
    clock.advance(timedelta(days=400))
    with unit_of_work(session_factory) as s:
        for serial, kind, day, kw in (
            ("M-2", "inventoried", 59, {"found": True}),
            ("M-3", "lost", 10, {}),
            ("M-4", "inventoried", 366, {"found": True}),
        ):
            service.record_event(
                s, actor=world.dod, serial=serial, kind=kind, on=d0 + timedelta(days=day), clock=clock, **kw
            )
    engine = session_factory.kw["bind"]
    with read_only(session_factory) as s:
        before = {i.serial: i.inventory_due_on for i in s.scalars(select(Item))}
        report = monitoring.delinquency(s, actor=None, as_of=d0 + timedelta(days=400)).as_json()
    assert before["M-1"] == d0 + timedelta(days=90)
    assert before["M-2"] == add_months(d0 + timedelta(days=59), 12)
    assert before["M-3"] is None
    cfg = alembic_config()
    with engine.begin() as conn:  # back to before the column, then forward again
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0016")
        assert "inventory_due_on" not in {c["name"] for c in inspect(conn).get_columns("equipment_item")}
    upgrade(engine)
    with read_only(session_factory) as s:
        after = {i.serial: i.inventory_due_on for i in s.scalars(select(Item))}
        again = monitoring.delinquency(s, actor=None, as_of=d0 + timedelta(days=400)).as_json()
    assert after == before
    assert again == report
