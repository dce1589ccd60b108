"""Bad input: each a clear error naming the field, and nothing written (no row, no audit entry)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.service import tree_size
from secassist.cases import service
from secassist.cases.errors import TransitionNotAllowedError
from secassist.cases.lifecycle import Status
from secassist.cases.models import Amendment, Case, CaseEvent, CaseLine, Lor
from secassist.core.clock import FixedClock
from secassist.core.errors import ValidationFailedError
from secassist.storage.uow import read_only, unit_of_work
from tests.cases.factories import add_lines, drive, open_case

TABLES = (Lor, Case, CaseLine, CaseEvent, Amendment)


def _snapshot(factory: sessionmaker[Session]) -> tuple[int, ...]:
    with read_only(factory) as s:
        counts = tuple(s.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES)
        versions = tuple(s.scalars(select(Case.version).order_by(Case.id)))
        return (*counts, *versions, tree_size(s))


def _attempt(factory: sessionmaker[Session], call: Callable[[Session], Any]) -> None:
    with unit_of_work(factory) as s:
        try:
            call(s)
        finally:
            # nothing was even staged in the session before the error
            assert not s.new
            assert not s.dirty


def _refused(
    factory: sessionmaker[Session], field: str, call: Callable[[Session], Any]
) -> ValidationFailedError:
    before = _snapshot(factory)
    with pytest.raises(ValidationFailedError) as e:
        _attempt(factory, call)
    assert e.value.field == field, e.value.message
    assert e.value.message.startswith(f"{field}:")
    assert _snapshot(factory) == before
    return e.value


@pytest.fixture
def case_id(session_factory: sessionmaker[Session], clock: FixedClock) -> int:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock)
    return cid


def _line(s: Session, cid: int, **over: Any) -> None:
    args: dict[str, Any] = {
        "item_type": "missile",
        "description": "AIM-120",
        "quantity": 2,
        "unit_cost": "1000",
    }
    args.update(over)
    service.add_line(s, actor=None, case_id=cid, **args)


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"unit_cost": "-5"}, "unit_cost"),
        ({"unit_cost": "ten dollars"}, "unit_cost"),
        ({"unit_cost": 1.5}, "unit_cost"),  # a float cannot carry money exactly
        ({"unit_cost": "1.001"}, "unit_cost"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": "two"}, "quantity"),
        ({"item_type": "death_ray"}, "item_type"),
        ({"usml_category": "XXII"}, "usml_category"),
        ({"mde": True, "sme": False, "usml_category": "IV"}, "sme"),
        ({"sme": True}, "usml_category"),
        ({"description": "  "}, "description"),
        ({"contractor_org_id": 424242}, "contractor_org_id"),
    ],
)
def test_bad_lines(
    session_factory: sessionmaker[Session], case_id: int, over: dict[str, Any], field: str
) -> None:
    _refused(session_factory, field, lambda s: _line(s, case_id, **over))


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"purchaser": "XX"}, "purchaser"),
        ({"purchaser": "Narnia"}, "purchaser"),
        ({"purchaser": "US"}, "purchaser"),
        ({"financing": "barter"}, "financing"),
        ({"request_type": "wish"}, "request_type"),
        ({"desired_value": "-1"}, "desired_value"),
        ({"desired_value": "lots"}, "desired_value"),
        ({"loa_type": "lease"}, "loa_type"),
    ],
)
def test_bad_lors(
    session_factory: sessionmaker[Session], clock: FixedClock, over: dict[str, Any], field: str
) -> None:
    args: dict[str, Any] = {"purchaser": "PL", "request_type": "loa", "financing": "fmf"}
    args.update(over)
    _refused(
        session_factory,
        field,
        lambda s: service.receive_lor(s, actor=None, received_on=clock.today(), **args),
    )


def test_transition_not_allowed(
    session_factory: sessionmaker[Session], case_id: int, clock: FixedClock
) -> None:
    err = _refused(
        session_factory,
        "to",
        lambda s: service.advance(s, actor=None, case_id=case_id, to="implemented", clock=clock),
    )
    assert isinstance(err, TransitionNotAllowedError)
    assert "lor_received cannot become implemented" in err.message
    _refused(session_factory, "to", lambda s: service.advance(s, actor=None, case_id=case_id, to="shipped"))
    # offering outside the offer workflow is refused too
    drive(session_factory, case_id, Status.proposed, clock)
    _refused(
        session_factory,
        "to",
        lambda s: service.advance(s, actor=None, case_id=case_id, to="offered", clock=clock),
    )


def test_bad_deposit_on_acceptance(
    session_factory: sessionmaker[Session], case_id: int, clock: FixedClock
) -> None:
    drive(session_factory, case_id, Status.offered, clock)
    for bad in ("-100", "abc"):
        _refused(
            session_factory,
            "initial_deposit",
            lambda s, bad=bad: service.advance(
                s, actor=None, case_id=case_id, to="accepted", initial_deposit=bad, clock=clock
            ),
        )
