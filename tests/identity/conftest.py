"""Identity fixtures: ``clock`` (a FixedClock the lockout and expiry tests move), ``audit_ok``
(asserts the whole audit log still verifies, rows included)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.keys import TrustedKeys
from secassist.audit.models import AuditEntry
from secassist.audit.verify import verify_log
from secassist.core.clock import FixedClock
from secassist.storage.uow import read_only


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 3, 3, 9, 0, tzinfo=UTC))


@pytest.fixture
def audit_ok(session_factory: sessionmaker[Session]) -> Callable[[], None]:
    def check() -> None:
        with read_only(session_factory) as s:
            report = verify_log(s, keys=TrustedKeys.none())
        assert report.ok, report.problems

    return check


@pytest.fixture
def tags(session_factory: sessionmaker[Session]) -> Callable[[], list[str]]:
    """The audit log's tags, in order."""

    def read() -> list[str]:
        with read_only(session_factory) as s:
            return list(s.scalars(select(AuditEntry.tag).order_by(AuditEntry.seq)))

    return read
