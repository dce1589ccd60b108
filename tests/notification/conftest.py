"""Notification fixtures: ``audit_ok`` and ``tags`` (as in the identity tests), ``case_facts``
(a CaseFacts built by hand, the contract the gate reads), and users of every kind."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.facts import CaseFacts
from secassist.identity.policy import Principal
from tests.identity.conftest import audit_ok, clock, tags  # the same fixtures
from tests.notification.factories import make_people

__all__ = ["audit_ok", "clock", "tags"]


def case_facts(
    case_id: int = 1, purchaser: str = "SA", mde: int = 20_000_000, other: int = 40_000_000, dc: int = 0
) -> CaseFacts:
    return CaseFacts(
        case_id=case_id,
        identifier=f"{purchaser}-B-AAA",
        version=1,
        status="development",
        purchaser_code=purchaser,
        purchaser_is_body=purchaser in ("NATO", "NSPA"),
        financing="national",
        implementing_agency="B",
        loa_type="defined_order",
        end_users=(purchaser,),
        lines=(),
        mde_value=Decimal(mde),
        other_value=Decimal(other),
        total_value=Decimal(mde + other),
        design_construction_value=Decimal(dc),
        lor_complete_on=None,
    )


def with_values(c: CaseFacts, **kw: object) -> CaseFacts:
    return replace(c, **kw)  # type: ignore[arg-type]


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> dict[str, Principal]:
    return make_people(session_factory)
