"""Lot (bulk) transfers on a real database: a request by lot and quantity executes by splitting
the lot — the quantity goes to a new lot at the recipient's site naming its parent, the
remainder stays — for third-party and lead-nation transfers, audited, in one transaction;
more than held is refused and writes nothing. And lead-nation transfers' inbox entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.cases import participants as parts
from secassist.core.clock import FixedClock
from secassist.core.errors import ValidationFailedError
from secassist.equipment import lots, sites
from secassist.equipment.errors import CustodyRefusedError
from secassist.equipment.models import Lot
from secassist.equipment.queries import line_delivered
from secassist.storage.uow import read_only, unit_of_work
from secassist.transfers import queries
from secassist.transfers.errors import TransferRefusedError
from secassist.transfers.models import InboxEntry, TransferRequest
from secassist.workflows.deliver import deliver
from secassist.workflows.lead_nation import transfer_lead_nation
from secassist.workflows.transfer_execute import decide_transfer, execute_transfer, return_transfer
from tests.cases.factories import World
from tests.equipment.factories import Poland
from tests.transfers.factories import file, sign_off


@pytest.fixture
def lot_id(
    session_factory: sessionmaker[Session], world: World, poland: Poland, nvds: list[str], clock: FixedClock
) -> int:
    """1,000 rounds of 5.56 mm delivered to the Rzeszow depot (Poland's line 002)."""
    with unit_of_work(session_factory) as s:
        d = deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="002", on=clock.today(),
                    site="Rzeszow depot", quantity=1000, clock=clock)  # fmt: skip
        assert d.lot is not None
        return d.lot.id


def _audit(factory: sessionmaker[Session]) -> list[str]:
    with read_only(factory) as s:
        return list(s.scalars(select(AuditEntry.tag).order_by(AuditEntry.seq)))


def _approved(
    factory: sessionmaker[Session], clock: FixedClock, lot: int, quantity: int, **kw: object
) -> int:
    with unit_of_work(factory) as s:
        filed = file(s, clock, [], lot_id=lot, quantity=quantity, **kw)  # type: ignore[arg-type]
        sign_off(s, filed)
        decide_transfer(s, actor=None, request_id=filed.request.id, decision="approve", on=clock.today(),
                        clock=clock)  # fmt: skip
        return filed.request.id


def test_a_lot_request_executes_by_splitting_the_lot(
    session_factory: sessionmaker[Session], lot_id: int, clock: FixedClock
) -> None:
    rid = _approved(session_factory, clock, lot_id, 300)
    before = len(_audit(session_factory))
    clock.advance(timedelta(days=1))
    with unit_of_work(session_factory) as s:
        done = execute_transfer(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
        assert [e.country_code for e in done.inbox] == ["PL", "DE"]
    assert _audit(session_factory)[before:] == [
        "equipment:lot:transferred",
        "equipment:lot:split",
        "transfer:request:executed",
    ]
    with read_only(session_factory) as s:
        req = s.get_one(TransferRequest, rid)
        assert req.status == "executed"
        child = s.get_one(Lot, req.received_lot_id)
        assert (child.parent_lot_id, child.quantity, child.delivered_on) == (lot_id, 300, clock.today())
        assert lots.holdings(s, actor=None, lot_id=lot_id).held == 700  # the remainder stays
        home = lots.holdings(s, actor=None, lot_id=child.id)
        assert [(h.name, h.quantity) for h in home.holdings] == [("Kaiserslautern depot", 300)]
        assert "300 units of lot" in queries.inbox(s, actor=None, country="DE")[0].subject
        # The split is no delivery: the line still counts the 1,000 rounds delivered once.
        assert line_delivered(s, child.case_line_id)[0] == 1000


def test_more_than_held_is_refused_and_writes_nothing(
    session_factory: sessionmaker[Session], lot_id: int, world: World, clock: FixedClock
) -> None:
    with (
        pytest.raises(ValidationFailedError, match=r"lot \d+ holds 1000, not 1001"),
        unit_of_work(session_factory) as s,
    ):
        file(s, clock, [], lot_id=lot_id, quantity=1001)
    rid = _approved(session_factory, clock, lot_id, 600)
    with unit_of_work(session_factory) as s:  # after the approval, 500 rounds are fired
        lots.record_lot_event(s, actor=world.dod, lot_id=lot_id, kind="expended", quantity=500,
                              on=clock.today(), clock=clock)  # fmt: skip
    before = _audit(session_factory)
    with pytest.raises(CustodyRefusedError) as e, unit_of_work(session_factory) as s:
        execute_transfer(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
    assert e.value.rule == "insufficient"
    assert _audit(session_factory) == before
    with read_only(session_factory) as s:
        assert s.get_one(TransferRequest, rid).status == "approved"
        assert s.scalar(select(func.count()).select_from(Lot)) == 1


def test_a_lot_held_at_several_places_is_taken_from_each_and_returns_home(
    session_factory: sessionmaker[Session], lot_id: int, world: World, clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        sites.create_unit(s, actor=world.dod, country="PL", name="18th Mechanized Division", clock=clock)
        lots.record_lot_event(s, actor=world.dod, lot_id=lot_id, kind="issued", quantity=900,
                              unit="18th Mechanized Division", on=clock.today(), clock=clock)  # fmt: skip
    back = clock.today() + timedelta(days=30)
    rid = _approved(session_factory, clock, lot_id, 950, kind="temporary_exercise", return_by=back)
    with unit_of_work(session_factory) as s:
        execute_transfer(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
    with read_only(session_factory) as s:
        assert lots.holdings(s, actor=None, lot_id=lot_id).held == 50
        child_id = s.get_one(TransferRequest, rid).received_lot_id
        assert child_id is not None
    clock.advance(timedelta(days=10))
    with unit_of_work(session_factory) as s:
        return_transfer(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
    with read_only(session_factory) as s:
        assert lots.holdings(s, actor=None, lot_id=child_id).held == 0
        home = s.scalars(select(Lot).where(Lot.parent_lot_id == child_id)).one()
        got = lots.holdings(s, actor=None, lot_id=home.id)
        assert [(h.name, h.quantity) for h in got.holdings] == [("Rzeszow depot", 950)]
        # Every unit is in exactly one place: 50 left, 950 back home, none abroad.
        assert sum(lots.holdings(s, actor=None, lot_id=i).held for i in s.scalars(select(Lot.id))) == 1000


@pytest.fixture
def lead(session_factory: sessionmaker[Session], poland: Poland, nvds: list[str], clock: FixedClock) -> str:
    with unit_of_work(session_factory) as s:
        for cc in ("DE", "CZ"):
            parts.add_participant(s, actor=None, case_ref=poland.case_ref, country=cc, clock=clock)
            parts.record_assurances(s, actor=None, case_ref=poland.case_ref, country=cc,
                                    signed_on=clock.today(), signatory="Minister", clock=clock)  # fmt: skip
            parts.mark_named_in_notification(s, actor=None, case_ref=poland.case_ref, country=cc, clock=clock)
    return poland.case_ref


def test_a_lead_nation_lot_transfer_splits_the_lot_and_tells_both_offices(
    session_factory: sessionmaker[Session], lead: str, lot_id: int, world: World, clock: FixedClock
) -> None:
    before = _audit(session_factory)
    # Czechia has no registered site: a lot is accounted at a site, so the transfer is refused.
    with pytest.raises(TransferRefusedError) as e, unit_of_work(session_factory) as s:
        transfer_lead_nation(s, actor=None, case_ref=lead, to="CZ", on=clock.today(), lot_id=lot_id,
                             quantity=100, clock=clock)  # fmt: skip
    assert e.value.rule == "site"
    assert _audit(session_factory) == before
    with pytest.raises(CustodyRefusedError), unit_of_work(session_factory) as s:
        transfer_lead_nation(s, actor=None, case_ref=lead, to="DE", on=clock.today(), lot_id=lot_id,
                             quantity=1001, clock=clock)  # fmt: skip
    assert _audit(session_factory) == before
    with unit_of_work(session_factory) as s:
        done = transfer_lead_nation(s, actor=None, case_ref=lead, to="DE", on=clock.today(), lot_id=lot_id,
                                    quantity=250, clock=clock)  # fmt: skip
        assert done.notice is not None
        assert "250 units" in done.notice.body
        assert done.lot is not None
        assert done.lot.parent_lot_id == lot_id
    assert _audit(session_factory)[len(before) :] == [
        "transfer:lead_notice:recorded",
        "equipment:lot:transferred",
        "equipment:lot:split",
        "transfer:inbox:lead_nation",
    ]
    with read_only(session_factory) as s:
        assert lots.holdings(s, actor=None, lot_id=lot_id).held == 750
        entries = list(s.scalars(select(InboxEntry).order_by(InboxEntry.id)))
        assert [(e.country_code, e.request_id, e.case_id is not None) for e in entries] == [
            ("PL", None, True),
            ("DE", None, True),
        ]
        assert lead in entries[1].subject
        assert "arrived from PL" in entries[1].subject


def test_a_lead_nation_transfer_of_serials_puts_an_entry_in_both_inboxes(
    session_factory: sessionmaker[Session], lead: str, nvds: list[str], world: World, clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        transfer_lead_nation(s, actor=None, case_ref=lead, to="DE", on=clock.today(), serials=nvds[:2],
                             clock=clock)  # fmt: skip
    clock.advance(timedelta(days=1))
    with unit_of_work(session_factory) as s:
        transfer_lead_nation(s, actor=None, case_ref=lead, to="CZ", on=clock.today(), serials=nvds[:1],
                             clock=clock)  # fmt: skip
    with read_only(session_factory) as s:
        de = queries.inbox(s, actor=None, country="DE")
        assert [e.subject for e in de] == [
            f"Case {lead}: 1 item(s) ({nvds[0]}) left DE",
            f"Case {lead}: 2 item(s) ({nvds[0]}, {nvds[1]}) arrived from PL",
        ]
        assert f"lead-nation:{lead}:notice:" in de[0].body  # the first transfer to CZ: its notice
        assert [e.subject for e in queries.inbox(s, actor=None, country="CZ")] == [
            f"Case {lead}: 1 item(s) ({nvds[0]}) arrived from DE"
        ]
        # A country's office sees only its own inbox.
        assert queries.inbox(s, actor=world.jp, country="DE") == []
