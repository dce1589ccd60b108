"""Case services on the database: intake, identifiers, lines and values, the lifecycle,
versions, case facts, and the audit entry each change writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import lors, service
from secassist.cases.errors import CaseVersionConflictError, TransitionNotAllowedError
from secassist.cases.lifecycle import Status
from secassist.cases.models import CaseEvent
from secassist.core.clock import FixedClock
from secassist.core.errors import ConflictError, SeparationOfDutiesError, ValidationFailedError
from secassist.storage.uow import unit_of_work
from tests.cases.factories import World, add_lines, drive, open_case


def test_intake_and_case_identifier(
    session_factory: sessionmaker[Session], clock: FixedClock, tags: Callable[[], list[str]]
) -> None:
    with unit_of_work(session_factory) as s:
        first = open_case(s, None, clock)
        second = open_case(s, None, clock, reference_number="PL-LOR-002")
        japan = open_case(s, None, clock, purchaser="JP", agency="USN")
        nato = open_case(s, None, clock, purchaser="NATO", agency="B")
        nspa = open_case(s, None, clock, purchaser="nspa", agency="P")
        ids = [
            service.get_case(s, actor=None, case_id=i).identifier for i in (first, second, japan, nato, nspa)
        ]
        case = service.get_case(s, actor=None, case_id=nato)
        assert (case.purchaser_is_body, case.country_code, case.status) == (True, None, "lor_received")
    # FMS country codes from countries.yaml (Japan "JA"), NATO customer codes N4 / W7 [S27]
    assert ids == ["PL-D-AAA", "PL-D-AAB", "JA-P-AAA", "N4-B-AAA", "W7-P-AAA"]
    assert tags().count("case:lor:received") == 5
    assert tags().count("case:case:created") == 5


def test_designator_is_unique_and_agency_needs_a_letter(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        lor = lors.receive_lor(
            s, actor=None, purchaser="PL", request_type="loa", financing="fmf", received_on=clock.today()
        )
        lor2 = lors.receive_lor(
            s, actor=None, purchaser="PL", request_type="loa", financing="fmf", received_on=clock.today()
        )
        service.create_case(
            s,
            actor=None,
            lor_id=lor.id,
            implementing_agency="D",
            loa_type="clssa",
            title="x",
            designator="yc1",
        )
        with pytest.raises(ConflictError) as e:
            service.create_case(
                s, actor=None, lor_id=lor2.id, implementing_agency="D", loa_type="clssa", title="y",
                designator="YC1",
            )  # fmt: skip
        assert e.value.detail["field"] == "designator"
        with pytest.raises(ValidationFailedError) as e2:
            service.create_case(
                s, actor=None, lor_id=lor2.id, implementing_agency="DLA", loa_type="clssa", title="y"
            )
        assert e2.value.field == "implementing_agency"
        assert "no confirmed letter" in e2.value.message


def test_lines_and_derived_values(
    session_factory: sessionmaker[Session], clock: FixedClock, world: World
) -> None:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, world.dod, clock)
        add_lines(s, world.dod, cid, clock, contractor=world.industry_org_id)
        service.add_line(
            s, actor=world.dod, case_id=cid, item_type="design_construction", description="Hangar",
            quantity=1, unit_cost="2500000", clock=clock,
        )  # fmt: skip
    with unit_of_work(session_factory) as s:
        facts = service.case_facts(s, cid)
    assert [ln.number for ln in facts.lines] == ["001", "002", "003"]
    assert facts.lines[0].value == Decimal("100000000.00")
    assert facts.mde_value == Decimal("100000000.00")
    assert facts.other_value == Decimal("4000000.00")
    assert facts.total_value == facts.mde_value + facts.other_value
    assert facts.design_construction_value == Decimal("2500000.00")
    assert facts.lines[1].contractor_org_id == world.industry_org_id
    assert (facts.purchaser_code, facts.implementing_agency, facts.financing) == ("PL", "D", "national")
    assert facts.version == 4  # created, then three lines


def test_the_whole_lifecycle_with_lines_completing(
    session_factory: sessionmaker[Session], clock: FixedClock, world: World, audit_ok: Callable[[], None]
) -> None:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, world.dod, clock)
        add_lines(s, world.dod, cid, clock)
    drive(session_factory, cid, Status.implemented, clock, world.dod)
    with unit_of_work(session_factory) as s:
        first, last = service.lines_of(s, cid)
        service.complete_line(s, actor=world.dod, case_id=cid, line_id=first.id, clock=clock)
        assert service.get_case(s, actor=None, case_id=cid).status == "implemented"
        service.complete_line(s, actor=world.dod, case_id=cid, line_id=last.id, clock=clock)
        assert service.get_case(s, actor=None, case_id=cid).status == "supply_services_complete"
    drive(session_factory, cid, Status.closed, clock, world.dod)
    with unit_of_work(session_factory) as s:
        case = service.get_case(s, actor=None, case_id=cid)
        statuses = [
            e.to_status
            for e in s.scalars(
                select(CaseEvent)
                .where(CaseEvent.case_id == cid, CaseEvent.kind == "status")
                .order_by(CaseEvent.id)
            )
        ]
        assert case.status == "closed"
        assert case.initial_deposit == Decimal("1000000.00")
        assert case.offer_expires_on is not None
        assert case.offered_on is not None
        assert service.case_facts(s, cid).lor_complete_on is not None
    assert statuses == [
        "lor_received", "lor_complete", "in_development", "written", "reviewed", "proposed", "offered",
        "accepted", "implemented", "supply_services_complete", "closed",
    ]  # fmt: skip
    audit_ok()


def test_restatement_and_reoffer(session_factory: sessionmaker[Session], clock: FixedClock) -> None:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock)
    drive(session_factory, cid, Status.offered, clock)
    with unit_of_work(session_factory) as s:
        service.advance(s, actor=None, case_id=cid, to="restated", clock=clock)
        service.update_line(
            s, actor=None, case_id=cid, line_id=service.lines_of(s, cid)[0].id, quantity=5, clock=clock
        )
        service.advance(
            s, actor=None, case_id=cid, to="offered", offer_expires_on=clock.today() + timedelta(days=60),
            gates_checked=True, clock=clock,
        )  # fmt: skip
        case = service.get_case(s, actor=None, case_id=cid)
        assert (case.status, case.restatements) == ("offered", 1)
        assert service.case_facts(s, cid).mde_value == Decimal("125000000.00")
        # lines of an offered case change only through a restatement
        with pytest.raises(ValidationFailedError) as e:
            add_lines(s, None, cid, clock)
        assert e.value.field == "status"


def test_offer_expiry_after_the_oed(session_factory: sessionmaker[Session], clock: FixedClock) -> None:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock)
    drive(session_factory, cid, Status.offered, clock)
    clock.advance(timedelta(days=91))
    with unit_of_work(session_factory) as s:
        with pytest.raises(TransitionNotAllowedError) as e:
            service.advance(s, actor=None, case_id=cid, to="accepted", initial_deposit="5", clock=clock)
        assert e.value.field == "on"
        with pytest.raises(TransitionNotAllowedError):
            service.advance(s, actor=None, case_id=cid, to="restated", clock=clock)
        service.advance(s, actor=None, case_id=cid, to="offer_expired", clock=clock)


def test_incomplete_lor_blocks_then_update_completes(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        lor = lors.receive_lor(
            s, actor=None, purchaser="PL", request_type="loa", financing="fmf", received_on=clock.today(),
            loa_type="blanket_order",
        )  # fmt: skip
        cid = service.create_case(
            s, actor=None, lor_id=lor.id, implementing_agency="B", loa_type="blanket_order", title="Spares"
        ).id
        lor_id = lor.id
    with unit_of_work(session_factory) as s, pytest.raises(TransitionNotAllowedError) as e:
        service.advance(s, actor=None, case_id=cid, to="lor_complete", clock=clock)
    assert e.value.field == "lor"
    for name in ("reference_number", "articles_services", "end_users", "desired_value"):
        assert name in e.value.message
    with unit_of_work(session_factory) as s:
        lors.update_lor(
            s, actor=None, lor_id=lor_id, reference_number="PL-B-77", articles_services="spares",
            end_users=["Land Forces"], desired_value="5000000",
        )  # fmt: skip
        service.advance(s, actor=None, case_id=cid, to="lor_complete", clock=clock)
        assert service.case_facts(s, cid).end_users == ("Land Forces",)


def test_expected_version_mismatch_is_a_conflict(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        version = service.get_case(s, actor=None, case_id=cid).version
    with unit_of_work(session_factory) as s:
        service.advance(s, actor=None, case_id=cid, to="cancelled", expected_version=version, clock=clock)
    with unit_of_work(session_factory) as s, pytest.raises(CaseVersionConflictError) as e:
        service.advance(s, actor=None, case_id=cid, to="cancelled", expected_version=version, clock=clock)
    assert e.value.http_status == 409


def test_dates_cannot_run_backwards_or_into_the_future(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        for on in (clock.today() - timedelta(days=1), clock.today() + timedelta(days=1)):
            with pytest.raises(ValidationFailedError) as e:
                service.advance(s, actor=None, case_id=cid, to="lor_complete", on=on, clock=clock)
            assert e.value.field == "on"


def test_the_purchaser_accepts_or_an_agency_on_its_behalf_naming_the_signed_loa(
    session_factory: sessionmaker[Session], clock: FixedClock, world: World
) -> None:
    """Separation of duties (issue #16): acceptance is the purchaser's act."""
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock)
    drive(session_factory, cid, Status.offered, clock)
    accept = {"case_id": cid, "to": "accepted", "initial_deposit": "5", "clock": clock}
    # State holds case:write but acceptance is not its act (the probe's finding).
    with unit_of_work(session_factory) as s, pytest.raises(SeparationOfDutiesError) as e:
        service.advance(s, actor=world.state, acceptance_document="LOA PL-D-AAA", **accept)
    assert (e.value.code, e.value.rule) == ("duty.separation", "acceptance_party")
    with unit_of_work(session_factory) as s, pytest.raises(ValidationFailedError) as v:
        service.advance(s, actor=world.dod, **accept)
    assert v.value.field == "acceptance_document"
    with unit_of_work(session_factory) as s:
        assert service.get_case(s, actor=None, case_id=cid).status == "offered"
        case = service.advance(
            s, actor=world.dod, acceptance_document=" LOA PL-D-AAA, signed 2026-06-03 ", **accept
        )
        assert (case.status, case.acceptance_document) == ("accepted", "LOA PL-D-AAA, signed 2026-06-03")


def test_the_partner_records_its_own_acceptance(
    session_factory: sessionmaker[Session], clock: FixedClock, world: World
) -> None:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock)
    drive(session_factory, cid, Status.offered, clock)
    with unit_of_work(session_factory) as s:
        case = service.advance(
            s, actor=world.pl, case_id=cid, to="accepted", initial_deposit="5", clock=clock
        )
        assert (case.status, case.acceptance_document) == ("accepted", None)
