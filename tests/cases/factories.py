"""Case test factories: a world of organizations and principals, cases with lines, and
a driver that walks a case along the lifecycle one day per step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.service import tree_size
from secassist.cases import lifecycle, lors, service
from secassist.cases.lifecycle import Status
from secassist.cases.models import Amendment, Case, CaseEvent, CaseLine, Lor
from secassist.core.clock import FixedClock
from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import make_org, make_user, principal_of


@dataclass(frozen=True)
class World:
    dod: Principal
    state: Principal
    pl: Principal  # Poland's MoD (partner)
    pl_sco: Principal
    jp: Principal  # Japan's MoD (partner)
    industry: Principal
    other_industry: Principal
    congress: Principal
    auditor: Principal
    industry_org_id: int


def make_world(factory: sessionmaker[Session]) -> World:
    people: dict[str, Principal] = {}
    with unit_of_work(factory) as s:
        orgs = {
            "dod": make_org(s, "DSCA", "dod"),
            "state": make_org(s, "State PM", "state"),
            "pl": make_org(s, "Poland MoD", "partner", "PL"),
            "pl_sco": make_org(s, "ODC Poland", "sco", "PL"),
            "jp": make_org(s, "Japan MoD", "partner", "JP"),
            "industry": make_org(s, "Northwind", "industry"),
            "other_industry": make_org(s, "Southwind", "industry"),
            "congress": make_org(s, "HFAC", "congress"),
            "auditor": make_org(s, "DoD IG", "auditor"),
        }
        for key, org in orgs.items():
            people[key] = principal_of(s, make_user(s, org, f"user.{key.replace('_', '.')}"))
        industry_org_id = orgs["industry"].id
    return World(**people, industry_org_id=industry_org_id)


def open_case(
    s: Session,
    actor: Principal | None,
    clock: FixedClock,
    *,
    purchaser: str = "PL",
    agency: str = "D",
    loa_type: str = "defined_order",
    financing: str = "national",
    reference_number: str = "PL-LOR-001",
    aod_group: str | None = "B",
) -> int:
    """An LOR received today and its case (status lor_received); returns the case id."""
    lor = lors.receive_lor(
        s,
        actor=actor,
        purchaser=purchaser,
        request_type="loa",
        financing=financing,
        received_on=clock.today(),
        reference_number=reference_number,
        articles_services="F-16 sustainment",
        end_users=["Air Force"],
        clock=clock,
    )
    case = service.create_case(
        s,
        actor=actor,
        lor_id=lor.id,
        implementing_agency=agency,
        loa_type=loa_type,
        title=f"{purchaser} test case",
        aod_group=aod_group,
        clock=clock,
    )
    return case.id


def add_lines(
    s: Session, actor: Principal | None, case_id: int, clock: FixedClock, *, contractor: int | None = None
) -> None:
    """Two lines: 4 MDE aircraft at $25M, and training worth $1.5M (by Northwind when given)."""
    service.add_line(
        s, actor=actor, case_id=case_id, item_type="aircraft", description="F-16 Block 70",
        quantity=4, unit_cost="25000000", usml_category="VIII", mde=True, sme=True, clock=clock,
    )  # fmt: skip
    service.add_line(
        s, actor=actor, case_id=case_id, item_type="training", description="Pilot training",
        quantity=10, unit_cost="150000.00", contractor_org_id=contractor, clock=clock,
    )  # fmt: skip


def drive(
    factory: sessionmaker[Session],
    case_id: int,
    to: Status,
    clock: FixedClock,
    actor: Principal | None = None,
) -> None:
    """Walk the case along the main line up to ``to``, one day and one transaction per step."""
    path = lifecycle.MAIN_LINE
    with unit_of_work(factory) as s:
        current = Status(service.get_case(s, actor=None, case_id=case_id).status)
    for target in path[path.index(current) + 1 : path.index(to) + 1]:
        clock.advance(timedelta(days=1))
        with unit_of_work(factory) as s:
            if target is Status.supply_services_complete:
                for line in service.lines_of(s, case_id):
                    service.complete_line(s, actor=actor, case_id=case_id, line_id=line.id, clock=clock)
                continue
            service.advance(
                s,
                actor=actor,
                case_id=case_id,
                to=target.value,
                offer_expires_on=clock.today() + timedelta(days=90),
                initial_deposit=Decimal("1000000.00"),
                gates_checked=target is Status.offered,
                # The USG records the purchaser's acceptance on its behalf, naming the signed LOA.
                acceptance_document="test: LOA signed by the purchaser",
                clock=clock,
            )


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


def refused(
    factory: sessionmaker[Session], field: str, call: Callable[[Session], Any]
) -> ValidationFailedError:
    before = _snapshot(factory)
    with pytest.raises(ValidationFailedError) as e:
        _attempt(factory, call)
    assert e.value.field == field, e.value.message
    assert e.value.message.startswith(f"{field}:")
    assert _snapshot(factory) == before
    return e.value
