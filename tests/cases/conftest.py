"""Case fixtures: ``clock`` (a FixedClock the lifecycle tests move day by day), ``world``
(organizations and principals of every kind), plus the identity tests' ``audit_ok``
(the whole log verifies, rows included) and ``tags`` (the log's tags in order)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from tests.cases.factories import World, make_world
from tests.identity.conftest import audit_ok, tags

__all__ = ["audit_ok", "tags"]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    return make_world(session_factory)
