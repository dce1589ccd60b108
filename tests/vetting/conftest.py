"""Vetting fixtures: ``people`` (real principals of each kind, made through the identity
services), ``clock`` (fixed), ``tags`` (the audit log's tags, in order; from the identity tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.identity.policy import Principal
from secassist.storage.uow import unit_of_work
from tests.identity.conftest import tags  # noqa: F401  (a fixture)
from tests.identity.factories import make_org, make_user, principal_of


@dataclass(frozen=True)
class People:
    state: Principal  # policy officer: writes, signs off, decides
    dod: Principal  # case manager: reads decisions, never notes
    auditor: Principal
    partner_pl: Principal
    sco_pl: Principal


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 6, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> People:
    with unit_of_work(session_factory) as s:
        users = {
            "state": make_user(s, make_org(s, "State PM", "state"), "pm.officer"),
            "dod": make_user(s, make_org(s, "DSCA", "dod"), "dsca.case"),
            "auditor": make_user(s, make_org(s, "DoD IG", "auditor"), "ig.auditor"),
            "partner_pl": make_user(s, make_org(s, "MoD Poland", "partner", "PL"), "pl.mod"),
            "sco_pl": make_user(s, make_org(s, "ODC Poland", "sco", "PL"), "odc.pl"),
        }
        return People(**{k: principal_of(s, u) for k, u in users.items()})
