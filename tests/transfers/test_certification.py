"""§3(d): a retransfer over the NATO thresholds at original acquisition cost waits for its
certification and the 15-day review; a temporary transfer for repair of the same needs none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import service as cases
from secassist.cases.lifecycle import Status
from secassist.core.clock import FixedClock
from secassist.storage.uow import unit_of_work
from secassist.transfers import queries, service
from secassist.transfers.errors import TransferRefusedError
from secassist.workflows.deliver import deliver
from secassist.workflows.transfer_execute import decide_transfer, execute_transfer
from tests.cases.factories import World, drive, open_case
from tests.equipment.factories import Poland
from tests.transfers.factories import file, sign_off

TLAM = [f"T-{n}" for n in range(1, 16)]


@pytest.fixture
def tomahawks(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        case_id = open_case(s, world.dod, clock, reference_number="PL-LOR-TLAM")
        cases.add_line(s, actor=world.dod, case_id=case_id, item_type="missile",
                       description="Tomahawk Block V missiles", quantity=15, unit_cost="2000000.00",
                       usml_category="IV", clock=clock)  # fmt: skip
    drive(session_factory, case_id, Status.implemented, clock, world.dod)
    with unit_of_work(session_factory) as s:
        ref = cases.get_case(s, actor=None, case_id=case_id).identifier
        deliver(s, actor=world.dod, case_ref=ref, line_no="001", on=clock.today(), site="Powidz depot",
                serials=TLAM, clock=clock)  # fmt: skip


def test_retransfer_over_the_thresholds_waits_for_the_review(
    session_factory: sessionmaker[Session], tomahawks: None, clock: FixedClock, world: World
) -> None:
    with unit_of_work(session_factory) as s:
        filed = file(s, clock, TLAM)  # $30M of MDE to Germany: ≥ $25M (NATO member)
        req = filed.request
        assert (req.notification_required, req.notification_section, req.review_days) == (True, "3(d)", 15)
        assert {f.factor: f.outcome for f in filed.findings}["congressional_certification"] == "concern"
        sign_off(s, filed)
        decide_transfer(s, actor=None, request_id=req.id, decision="approve", on=clock.today(), clock=clock)
        rid = req.id
    clock.advance(timedelta(days=1))
    with pytest.raises(TransferRefusedError) as e, unit_of_work(session_factory) as s:
        execute_transfer(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
    assert e.value.rule == "not_certified"
    with unit_of_work(session_factory) as s:
        assert queries.list_requests(s, actor=world.congress) == []
        service.certify(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
        assert [r.id for r in queries.list_requests(s, actor=world.congress)] == [rid]  # now submitted
    clock.advance(timedelta(days=14))
    with pytest.raises(TransferRefusedError) as e, unit_of_work(session_factory) as s:
        execute_transfer(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
    assert e.value.rule == "review_period"
    clock.advance(timedelta(days=1))
    with unit_of_work(session_factory) as s:
        assert execute_transfer(
            s, actor=None, request_id=rid, on=clock.today(), clock=clock
        ).request.status == ("executed")


def test_temporary_repair_needs_no_certification(
    session_factory: sessionmaker[Session], tomahawks: None, clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        req = file(
            s, clock, TLAM, kind="temporary_repair", return_by=clock.today() + timedelta(days=60)
        ).request
        assert not req.notification_required
        assert req.exclusion is not None
        assert "repair" in req.exclusion
