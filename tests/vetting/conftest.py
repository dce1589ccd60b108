"""Vetting fixtures: ``people`` (real principals of each kind, made through the identity
services), ``clock`` (fixed), ``tags`` (the audit log's tags, in order; from the identity tests)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from secassist.core.clock import FixedClock
from tests.identity.conftest import tags  # noqa: F401  (a fixture)
from tests.vetting.factories import People, people  # noqa: F401  (a fixture)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 6, 2, 9, 0, tzinfo=UTC))
