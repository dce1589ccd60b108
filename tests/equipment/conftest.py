"""Equipment fixtures: ``clock`` (a FixedClock), ``world`` (principals of every kind, from
the case tests), ``poland`` (an implemented Polish case with an NVD line, a bulk ammunition
line and a carbine line marked case-unique EEUM, plus two Polish sites and one German
site), ``audit_ok`` and ``tags`` (from the identity tests)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from tests.cases.factories import World, make_world
from tests.equipment.factories import Poland, make_poland
from tests.identity.conftest import audit_ok, tags

__all__ = ["audit_ok", "tags"]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    return make_world(session_factory)


@pytest.fixture
def poland(session_factory: sessionmaker[Session], world: World, clock: FixedClock) -> Poland:
    return make_poland(session_factory, world, clock)
