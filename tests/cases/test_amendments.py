"""Amendments (scope, purchaser acceptance) and modifications (unilateral, >10% warning),
each numbered on its own; neither on a closed case."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.cases import amendments, service
from secassist.cases.lifecycle import Status
from secassist.cases.schemas import AmendmentLine, NewLine
from secassist.core.clock import FixedClock
from secassist.core.errors import ValidationFailedError
from secassist.storage.uow import read_only, unit_of_work
from tests.cases.factories import World, add_lines, drive, open_case, refused

SPARES = {"item_type": "spare_parts", "description": "Spares", "quantity": 1, "unit_cost": "3000000"}


@pytest.fixture
def accepted(session_factory: sessionmaker[Session], clock: FixedClock, world: World) -> int:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, world.dod, clock)
        add_lines(s, world.dod, cid, clock)
    drive(session_factory, cid, Status.accepted, clock, world.dod)
    return cid


def test_amendment_applies_when_the_purchaser_accepts(
    session_factory: sessionmaker[Session], clock: FixedClock, world: World, accepted: int
) -> None:
    with unit_of_work(session_factory) as s:
        a = amendments.propose_amendment(
            s, actor=world.dod, case_id=accepted, description="Add spares, two more aircraft",
            new_lines=[SPARES], quantity_changes={"1": 6}, clock=clock,
        )  # fmt: skip
        assert (a.kind, a.number, a.status) == ("amendment", 1, "proposed")
        assert a.value_before == Decimal("101500000.00")
        assert a.value_after == Decimal("154500000.00")
        # nothing changes until accepted
        assert service.case_facts(s, accepted).total_value == Decimal("101500000.00")
    with unit_of_work(session_factory) as s:
        amendments.accept_amendment(s, actor=world.pl, case_id=accepted, number=1, clock=clock)
        facts = service.case_facts(s, accepted)
    assert facts.total_value == Decimal("154500000.00")
    assert [ln.number for ln in facts.lines] == ["001", "002", "003"]
    assert facts.lines[0].quantity == 6


def test_modification_numbers_and_the_ten_percent_warning(
    session_factory: sessionmaker[Session], clock: FixedClock, world: World, accepted: int
) -> None:
    with unit_of_work(session_factory) as s:
        small = amendments.issue_modification(
            s, actor=world.dod, case_id=accepted, description="Price update", unit_costs={"002": "160000"},
            clock=clock,
        )  # fmt: skip
        big = amendments.issue_modification(
            s, actor=world.dod, case_id=accepted, description="Cost growth", unit_costs={"1": "30000000"},
            clock=clock,
        )  # fmt: skip
        prop = amendments.propose_amendment(
            s, actor=world.dod, case_id=accepted, description="More", quantity_changes={"2": 20}, clock=clock
        )
        assert [(m.kind, m.number) for m in (small, big, prop)] == [
            ("modification", 1), ("modification", 2), ("amendment", 1),
        ]  # fmt: skip
        assert small.warning is None
        assert big.warning is not None
        assert "19.7%" in big.warning
        assert json.loads(big.changes) == {"reason": "cost", "unit_costs": {"001": "30000000.00"}}
        assert service.case_facts(s, accepted).mde_value == Decimal("120000000.00")


def test_no_amendment_on_a_closed_case(
    session_factory: sessionmaker[Session], clock: FixedClock, world: World, accepted: int
) -> None:
    drive(session_factory, accepted, Status.closed, clock, world.dod)
    err = refused(
        session_factory,
        "case",
        lambda s: amendments.propose_amendment(
            s, actor=world.dod, case_id=accepted, description="late", quantity_changes={"1": 9}, clock=clock
        ),
    )
    assert "closed" in err.message
    refused(
        session_factory,
        "case",
        lambda s: amendments.issue_modification(
            s, actor=world.dod, case_id=accepted, description="late", unit_costs={"1": "1"}, clock=clock
        ),
    )


def test_bad_amendments_name_the_field(
    session_factory: sessionmaker[Session], clock: FixedClock, world: World, accepted: int
) -> None:
    def propose(**kw: object) -> object:
        return lambda s: amendments.propose_amendment(
            s, actor=world.dod, case_id=accepted, description="x", clock=clock, **kw
        )

    refused(session_factory, "changes", propose())  # type: ignore[arg-type]
    refused(session_factory, "quantity_changes", propose(quantity_changes={"9": 1}))  # type: ignore[arg-type]
    refused(session_factory, "quantity", propose(quantity_changes={"1": -1}))  # type: ignore[arg-type]
    refused(
        session_factory,
        "unit_cost",
        propose(new_lines=[{"item_type": "missile", "description": "m", "quantity": 1, "unit_cost": "-1"}]),  # type: ignore[arg-type]
    )
    # A line's own errors name the line: new_lines[i].
    for line, message in (
        (SPARES | {"colour": "grey"}, "new_lines[0]: unknown field 'colour'"),
        (
            {"item_type": "missile", "description": "m", "unit_cost": "1"},
            "new_lines[0]: missing field 'quantity'",
        ),
    ):
        with unit_of_work(session_factory) as s, pytest.raises(ValidationFailedError) as e:
            propose(new_lines=[line])(s)  # type: ignore[arg-type,operator]
        assert (e.value.field, e.value.message) == ("new_lines", message)
    refused(
        session_factory,
        "unit_costs",
        lambda s: amendments.issue_modification(
            s, actor=world.dod, case_id=accepted, description="x", unit_costs={"1": "free"}, clock=clock
        ),
    )
    with unit_of_work(session_factory) as s, pytest.raises(ValidationFailedError):
        amendments.issue_modification(s, actor=world.dod, case_id=accepted, description="x", unit_costs={})


def test_the_line_shapes_agree() -> None:
    # The service's NewLine, the API body's AmendmentLine and the fields the service
    # checks at run time name the same fields.
    assert set(NewLine.__annotations__) == set(AmendmentLine.model_fields) == set(amendments.LINE_FIELDS)
    assert set(amendments.REQUIRED_LINE_FIELDS) == {
        name for name, f in AmendmentLine.model_fields.items() if f.is_required()
    }
    given = AmendmentLine.model_validate(
        {"item_type": "missile", "description": "m", "quantity": 2, "unit_cost": "5", "mde": True}
    )
    assert given.new_line() == {
        "item_type": "missile",
        "description": "m",
        "quantity": 2,
        "unit_cost": "5",
        "mde": True,
    }


def test_a_modification_without_a_cost_change_records_its_reason(
    session_factory: sessionmaker[Session], clock: FixedClock, world: World, accepted: int
) -> None:
    """A delivery delay is a modification (SAMM C6.7): no scope change, no unit cost moved,
    one audit entry; an unknown reason and a cost change without costs are refused."""
    with unit_of_work(session_factory) as s:
        before = service.case_facts(s, accepted)
        audit = s.scalar(select(func.count()).select_from(AuditEntry))
        m = amendments.issue_modification(
            s, actor=world.dod, case_id=accepted, description="Delivery of line 001 slips to FY2028 Q2",
            reason="delivery_schedule", clock=clock,
        )  # fmt: skip
        assert (m.kind, m.status, m.warning) == ("modification", "issued", None)
        assert m.value_before == m.value_after == before.total_value
        assert json.loads(m.changes) == {"reason": "delivery_schedule", "unit_costs": {}}
        after = service.case_facts(s, accepted)
        assert [(ln.quantity, ln.unit_cost) for ln in after.lines] == [
            (ln.quantity, ln.unit_cost) for ln in before.lines
        ]
    with read_only(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == (audit or 0) + 1
        tags = list(s.scalars(select(AuditEntry.tag).order_by(AuditEntry.seq.desc()).limit(1)))
        assert tags == ["case:modification:issued"]
    refused(
        session_factory,
        "reason",
        lambda s: amendments.issue_modification(
            s, actor=world.dod, case_id=accepted, description="x", reason="whim", clock=clock
        ),
    )
    refused(
        session_factory,
        "unit_costs",
        lambda s: amendments.issue_modification(
            s, actor=world.dod, case_id=accepted, description="x", reason="cost", clock=clock
        ),
    )
