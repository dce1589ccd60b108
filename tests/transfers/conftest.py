"""Transfer fixtures: the equipment fixtures (``clock``, ``world``, ``poland``), a German SCO,
and ``nvds`` (four Polish NVDs delivered to the Rzeszow depot on the clock's day)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.storage.uow import unit_of_work
from secassist.workflows.deliver import deliver
from tests.cases.factories import World
from tests.equipment.conftest import clock, poland, world
from tests.equipment.factories import Poland
from tests.identity.factories import make_org

__all__ = ["clock", "poland", "world"]

NVD = ["N-1", "N-2", "N-3", "N-4"]


@pytest.fixture
def nvds(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> list[str]:
    with unit_of_work(session_factory) as s:
        make_org(s, "ODC Germany", "sco", "DE")
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="001", on=clock.today(),
                site="Rzeszow depot", serials=NVD, clock=clock)  # fmt: skip
    return list(NVD)
