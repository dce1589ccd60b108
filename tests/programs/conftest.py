"""Program fixtures: ``people`` (principals of every kind that matters to the ledger, made
through the identity services), ``counts`` (rows and audit entries, to assert that a
refused write left nothing behind), ``clock``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.core.clock import FixedClock
from secassist.identity.policy import Principal
from secassist.programs.models import Appropriation, LedgerEntry
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import make_org, make_user, principal_of
from tests.programs.factories import make_case


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 15, 12, 0, tzinfo=UTC))


@pytest.fixture(autouse=True)
def fms_cases(session_factory: sessionmaker[Session]) -> dict[str, tuple[int, list[int]]]:
    """Real FMS cases for the ledger's case lines: PL (FMF) is case 1 with lines 1 and 2,
    JP (mixed) case 2 with lines 3 and 4, PH (FMF) case 3 with lines 5 and 6."""
    with unit_of_work(session_factory) as s:
        made = {
            "PL": make_case(s, purchaser="PL", financing="fmf"),
            "JP": make_case(s, purchaser="JP", financing="mixed"),
            "PH": make_case(s, purchaser="PH", financing="fmf"),
        }
    assert made == {"PL": (1, [1, 2]), "JP": (2, [3, 4]), "PH": (3, [5, 6])}, made
    return made


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> dict[str, Principal]:
    """state (policy officer), dod (case manager), auditor, pl/jp partners, pl_sco."""
    specs = [
        ("state", "State PM", "state", None),
        ("dod", "DSCA", "dod", None),
        ("auditor", "DoD IG", "auditor", None),
        ("pl", "Poland MoD", "partner", "PL"),
        ("jp", "Japan MoD", "partner", "JP"),
        ("pl_sco", "ODC Poland", "sco", "PL"),
    ]
    out: dict[str, Principal] = {}
    with unit_of_work(session_factory) as s:
        for key, org_name, kind, country in specs:
            org = make_org(s, org_name, kind, country)
            user = make_user(s, org, f"user.{key.replace('_', '.')}")
            out[key] = principal_of(s, user)
    return out


@pytest.fixture
def counts(session_factory: sessionmaker[Session]) -> Callable[[], tuple[int, int, int]]:
    """(appropriations, ledger entries, audit entries) now."""

    def read() -> tuple[int, int, int]:
        with read_only(session_factory) as s:
            return (
                s.scalar(select(func.count()).select_from(Appropriation)) or 0,
                s.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
                s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            )

    return read
