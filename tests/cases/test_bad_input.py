"""Bad input: each a clear error naming the field, and nothing written (no row, no audit entry)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import lors, service
from secassist.cases.errors import TransitionNotAllowedError
from secassist.cases.lifecycle import Status
from secassist.core.clock import FixedClock
from secassist.storage.uow import unit_of_work
from tests.cases.factories import add_lines, drive, open_case, refused


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
    refused(session_factory, field, lambda s: _line(s, case_id, **over))


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
    refused(
        session_factory,
        field,
        lambda s: lors.receive_lor(s, actor=None, received_on=clock.today(), **args),
    )


def test_transition_not_allowed(
    session_factory: sessionmaker[Session], case_id: int, clock: FixedClock
) -> None:
    err = refused(
        session_factory,
        "to",
        lambda s: service.advance(s, actor=None, case_id=case_id, to="implemented", clock=clock),
    )
    assert isinstance(err, TransitionNotAllowedError)
    assert "lor_received cannot become implemented" in err.message
    refused(session_factory, "to", lambda s: service.advance(s, actor=None, case_id=case_id, to="shipped"))
    # offering outside the offer workflow is refused too
    drive(session_factory, case_id, Status.proposed, clock)
    refused(
        session_factory,
        "to",
        lambda s: service.advance(s, actor=None, case_id=case_id, to="offered", clock=clock),
    )


def test_bad_deposit_on_acceptance(
    session_factory: sessionmaker[Session], case_id: int, clock: FixedClock
) -> None:
    drive(session_factory, case_id, Status.offered, clock)
    for bad in ("-100", "abc"):
        refused(
            session_factory,
            "initial_deposit",
            lambda s, bad=bad: service.advance(
                s, actor=None, case_id=case_id, to="accepted", initial_deposit=bad, clock=clock
            ),
        )
