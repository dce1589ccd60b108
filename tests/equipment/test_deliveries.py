"""Deliveries against case lines and custody events through the services: what is written,
one audit entry per item and per event, derived line totals, and refusals that leave
nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.keys import TrustedKeys
from secassist.audit.models import AuditEntry
from secassist.audit.verify import verify_log
from secassist.cases import service as cases
from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.equipment import custody, queries, service, sites
from secassist.equipment.errors import CustodyRefusedError, DuplicateSerialError, OverDeliveryError
from secassist.equipment.models import CustodyEntry, CustodyEvent, Item
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.deliver import deliver
from tests.cases.factories import World, open_case
from tests.equipment.factories import Poland, refused

NVD = [f"PVS14-{i:04d}" for i in range(1, 5)]


def _deliver_nvds(
    factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock, serials: list[str] = NVD
) -> None:
    with unit_of_work(factory) as s:
        deliver(
            s, actor=world.dod, case_ref=poland.case_ref, line_no="001", on=clock.today(),
            site="Rzeszow depot", serials=serials, manufacturer="L3Harris", clock=clock,
        )  # fmt: skip


def test_delivery_creates_items_with_their_first_event_and_one_entry_each(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    before = len(tags())
    _deliver_nvds(session_factory, world, poland, clock)
    assert tags()[before:] == ["equipment:item:delivered"] * 4
    with read_only(session_factory) as s:
        items = queries.list_items(s, actor=None, case_id=poland.case_id)
        assert [i.serial for i in items] == NVD
        first = items[0]
        assert (first.item_type, first.case, first.line, first.holder_country, first.site, first.state) == (
            "nvd_monocular", poland.case_ref, "001", "PL", "Rzeszow depot", "delivered",
        )  # fmt: skip
        assert first.eeum is True
        assert first.unit_value_usd == Decimal("4500.00")
        line_id = s.scalar(select(Item.case_line_id).where(Item.serial == NVD[0]))
        assert line_id is not None
        assert queries.line_delivered(s, line_id) == (4, Decimal("18000.00"))
        item = queries.find_item(s, actor=None, serial=NVD[0])
        events = queries.events_of(s, item.id)
        assert [(e.kind, e.seq) for e, _ in events] == [("delivered", 1)]
        assert events[0][1] is not None
    audit_ok()


def test_bulk_lot_and_case_unique_eeum(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        d = deliver(
            s, actor=world.dod, case_ref=poland.case_ref, line_no="2", on=clock.today(),
            site="Powidz depot", quantity=60000, lot_number="LOT-A", clock=clock,
        )  # fmt: skip
        assert d.lot is not None
        assert d.items == []
        carbines = deliver(
            s, actor=world.dod, case_ref=poland.case_ref, line_no="003", on=clock.today(),
            site="Powidz depot", serials=["M4-1", "M4-2"], clock=clock,
        )  # fmt: skip
        assert {i.eeum_designation for i in carbines.items} == {"case_unique"}
        assert queries.line_delivered(s, d.lot.case_line_id) == (60000, Decimal("27000.00"))
    refused(
        session_factory,
        OverDeliveryError,
        lambda s: deliver(
            s,
            actor=world.dod,
            case_ref=poland.case_ref,
            line_no="002",
            on=clock.today(),
            site="Powidz depot",
            quantity=40001,
            clock=clock,
        ),
    )


def test_refused_deliveries_leave_nothing(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    _deliver_nvds(session_factory, world, poland, clock)

    def attempt(**kw: object) -> Callable[[Session], object]:
        args: dict[str, object] = {
            "actor": world.dod, "case_ref": poland.case_ref, "line_no": "001", "on": clock.today(),
            "site": "Rzeszow depot", "serials": ["NEW-1"], "manufacturer": "L3Harris", "clock": clock,
        }  # fmt: skip
        args.update(kw)
        return lambda s: deliver(s, **args)  # type: ignore[arg-type]

    e = refused(session_factory, OverDeliveryError, attempt(serials=[f"X{i}" for i in range(7)]))
    assert "for 10; 4 delivered, 7 more would make 11" in e.message
    e = refused(session_factory, DuplicateSerialError, attempt(serials=["NEW-1", NVD[2]]))
    assert NVD[2] in e.message
    refused(session_factory, DuplicateSerialError, attempt(serials=["A", "A"]))
    # the same serial from another manufacturer is another item
    with unit_of_work(session_factory) as s:
        attempt(serials=[NVD[0]], manufacturer="Elbit")(s)
    e = refused(session_factory, ValidationFailedError, attempt(site="Kaiserslautern depot"))
    assert e.detail["field"] == "site"
    refused(session_factory, NotFoundError, attempt(site="Nowhere"))
    refused(session_factory, NotFoundError, attempt(line_no="009"))
    e = refused(session_factory, ValidationFailedError, attempt(on=clock.today() + timedelta(days=1)))
    assert e.detail["field"] == "on"
    e = refused(session_factory, ValidationFailedError, attempt(serials=[], quantity=3))
    assert e.detail["field"] == "serials"
    e = refused(session_factory, ValidationFailedError, attempt(item_type="stinger_missile"))
    assert "already delivered nvd_monocular" in e.message
    # another country cannot see the case; an auditor may read but not deliver
    refused(session_factory, NotFoundError, attempt(actor=world.jp))
    # the purchaser's own staff and SCO see the case but do not deliver against its lines
    refused(session_factory, PermissionDeniedError, attempt(actor=world.pl))
    refused(session_factory, PermissionDeniedError, attempt(actor=world.pl_sco))
    refused(session_factory, PermissionDeniedError, attempt(actor=world.auditor))


def test_only_accepted_or_implemented_cases_deliver(
    session_factory: sessionmaker[Session], world: World, clock: FixedClock, poland: Poland
) -> None:
    with unit_of_work(session_factory) as s:
        case_id = open_case(s, world.dod, clock, reference_number="PL-LOR-2")
        cases.add_line(
            s, actor=world.dod, case_id=case_id, item_type="missile", description="FIM-92 Stinger",
            quantity=2, unit_cost="120000", usml_category="IV", clock=clock,
        )  # fmt: skip
        ref = cases.get_case(s, actor=None, case_id=case_id).identifier
    e = refused(
        session_factory,
        ValidationFailedError,
        lambda s: deliver(
            s,
            actor=world.dod,
            case_ref=ref,
            line_no="001",
            on=clock.today(),
            site="Rzeszow depot",
            serials=["S-1"],
            clock=clock,
        ),
    )
    assert "accepted or implemented" in e.message


def test_custody_events_move_the_item_and_refusals_name_the_rule(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    _deliver_nvds(session_factory, world, poland, clock)
    with unit_of_work(session_factory) as s:
        sites.create_unit(s, actor=world.dod, country="PL", name="18th Mechanized Division", clock=clock)
    clock.advance(timedelta(days=3))
    before = len(tags())
    with unit_of_work(session_factory) as s:
        service.record_event(
            s, actor=world.pl_sco, serial=NVD[0], kind="received", on=clock.today(), clock=clock
        )
        service.record_event(
            s, actor=world.pl_sco, serial=NVD[0], kind="issued", on=clock.today(),
            unit="18th Mechanized Division", clock=clock,
        )  # fmt: skip
        service.record_event(s, actor=world.pl_sco, serial=NVD[1], kind="lost", on=clock.today(), clock=clock)
    assert tags()[before:] == [
        "equipment:custody:received",
        "equipment:custody:issued",
        "equipment:custody:lost",
    ]
    with read_only(session_factory) as s:
        item = queries.find_item(s, actor=None, serial=NVD[0])
        assert (item.state, item.holder_org, item.events) == ("issued", "18th Mechanized Division", 3)
        # the projection is the fold of the stored events
        evs = [e for e, _ in queries.events_of(s, item.id)]
        folded = custody.derive(
            [custody.Event(e.kind, e.occurred_on, e.site_id, e.unit_id,  # type: ignore[arg-type]
                           e.holder_country, e.holder_org, e.found) for e in evs],
            today=clock.today(),
        )  # fmt: skip
        assert folded == service.position_of(item)

    def event(**kw: object) -> Callable[[Session], object]:
        args: dict[str, object] = {
            "actor": world.pl_sco,
            "serial": NVD[0],
            "on": clock.today(),
            "clock": clock,
        }
        args.update(kw)
        return lambda s: service.record_event(s, **args)  # type: ignore[arg-type]

    cases_ = [
        ({"kind": "returned", "on": clock.today() + timedelta(days=1)}, "future"),
        ({"kind": "loaned", "on": clock.today() - timedelta(days=1), "unit": "18th Mechanized Division"},
         "out_of_order"),
        ({"kind": "loaned"}, "needs_unit"),
        ({"kind": "inventoried", "found": True, "site": "Powidz depot"}, "two_places"),
        ({"kind": "stored", "site": "Kaiserslautern depot", "actor": world.dod}, "two_places"),
        ({"kind": "received"}, "not_allowed"),
        ({"kind": "delivered"}, "not_allowed"),
    ]  # fmt: skip
    for kw, rule in cases_:
        err = refused(session_factory, CustodyRefusedError, event(**kw))
        assert isinstance(err, CustodyRefusedError)
        assert err.rule == rule, (kw, err.message)
    with unit_of_work(session_factory) as s:
        service.record_event(
            s, actor=world.pl_sco, serial=NVD[0], kind="destroyed", on=clock.today(), clock=clock
        )
    err = refused(session_factory, CustodyRefusedError, event(kind="returned"))
    assert isinstance(err, CustodyRefusedError)
    assert err.rule == "after_end"
    # a Japanese partner cannot see the Polish item; an auditor may see but not write
    refused(session_factory, NotFoundError, event(kind="lost", serial=NVD[2], actor=world.jp))
    refused(session_factory, PermissionDeniedError, event(kind="lost", serial=NVD[2], actor=world.auditor))
    # the Polish SCO cannot see a German site, so it is not named to it either
    err = refused(
        session_factory, NotFoundError, event(kind="stored", serial=NVD[2], site="Kaiserslautern depot")
    )
    assert "Kaiserslautern" in err.message
    audit_ok()


def test_transfer_out_names_the_new_holder(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    _deliver_nvds(session_factory, world, poland, clock)
    with unit_of_work(session_factory) as s:
        service.record_event(
            s, actor=world.dod, serial=NVD[3], kind="transferred", on=clock.today(),
            site="Kaiserslautern depot", clock=clock,
        )  # fmt: skip
        item = queries.find_item(s, actor=None, serial=NVD[3])
        assert (item.state, item.holder_country, item.holder_org, item.gone_on) == (
            "transferred", "DE", "Bundeswehr", clock.today(),
        )  # fmt: skip


def test_custody_events_are_append_only(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock, engine: Engine
) -> None:
    _deliver_nvds(session_factory, world, poland, clock)
    for statement in (
        "UPDATE equipment_custody_event SET kind = 'lost'",
        "DELETE FROM equipment_custody_event",
    ):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as c:
            c.execute(text(statement))
    with read_only(session_factory) as s:
        assert len(list(s.scalars(select(CustodyEvent)))) == 4


def test_a_batch_of_events_is_written_and_audited_as_single_events_are(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    # A batch is inserted on the driver, a single event through the ORM: each written row
    # must be what its audit entry records, byte for byte (audit verify re-images the rows),
    # and the returned events must be the rows written.
    _deliver_nvds(session_factory, world, poland, clock, ["B-1", "B-2", "B-3"])
    on = clock.today()
    with unit_of_work(session_factory) as s:
        mine = select(Item).where(Item.serial.in_(["B-1", "B-2", "B-3"])).order_by(Item.serial)
        items = list(s.scalars(mine))
        moved = custody.Event("transferred", on, holder_country="DE", holder_org="Bundeswehr")
        batch = service.apply_events(
            s,
            actor=world.dod,
            changes=[(it, moved) for it in items] + [(it, custody.Event("received", on)) for it in items[:2]],
            note="transfer:7",
            clock=clock,
        )
        single = service.apply_event(s, actor=world.dod, item=items[2], event=custody.Event("received", on))
        written = [(e.id, e.item_id, e.seq, e.kind, e.note) for e in [*batch, single]]
    with read_only(session_factory) as s:
        report = verify_log(s, keys=TrustedKeys.none())
        assert report.ok, report.problems
        rows = {e.id: e for e in s.scalars(select(CustodyEvent))}
        assert [(r.id, r.item_id, r.seq, r.kind, r.note) for r in (rows[w[0]] for w in written)] == written
        assert [w[2] for w in written] == [2, 2, 2, 3, 3, 3]
        pointers = dict(s.execute(select(CustodyEntry.event_id, CustodyEntry.audit_seq)).all())
        entries = {e.seq: e for e in s.scalars(select(AuditEntry))}
        for event_id, *_ in written:
            entry = entries[pointers[event_id]]
            assert (entry.subject_type, entry.subject_id) == ("equipment_custody_event", str(event_id))
        holders = {i.serial: i.holder_country for i in s.scalars(select(Item).where(Item.serial.like("B-%")))}
        assert holders == {"B-1": "DE", "B-2": "DE", "B-3": "DE"}
