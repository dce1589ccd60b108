"""Equipment test factories: an implemented Polish case with three lines, sites, and a
helper that asserts a refused call left nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.service import tree_size
from secassist.cases import service as cases
from secassist.cases.lifecycle import Status
from secassist.core.clock import FixedClock
from secassist.core.errors import SecassistError
from secassist.equipment import sites
from secassist.equipment.models import CustodyEntry, CustodyEvent, Incident, Inventory, Item, Lot
from secassist.storage.uow import read_only, unit_of_work
from tests.cases.factories import World, drive, open_case


@dataclass(frozen=True)
class Poland:
    case_id: int
    case_ref: str


def make_poland(factory: sessionmaker[Session], world: World, clock: FixedClock) -> Poland:
    with unit_of_work(factory) as s:
        case_id = open_case(s, world.dod, clock, reference_number="PL-LOR-NVD")
        cases.add_line(
            s, actor=world.dod, case_id=case_id, item_type="electronics",
            description="AN/PVS-14 monocular night vision devices", quantity=10, unit_cost="4500.00",
            usml_category="XII", clock=clock,
        )  # fmt: skip
        cases.add_line(
            s, actor=world.dod, case_id=case_id, item_type="munition",
            description="5.56 mm ball ammunition", quantity=100000, unit_cost="0.45",
            usml_category="III", clock=clock,
        )  # fmt: skip
        cases.add_line(
            s, actor=world.dod, case_id=case_id, item_type="weapon",
            description="M4 carbines", quantity=5, unit_cost="1200.00",
            usml_category="I", eeum=True, clock=clock,
        )  # fmt: skip
    drive(factory, case_id, Status.implemented, clock, world.dod)
    with unit_of_work(factory) as s:
        sites.create_site(
            s,
            actor=world.dod,
            country="PL",
            name="Rzeszow depot",
            organization="Polish Armed Forces",
            clock=clock,
        )
        sites.create_site(
            s,
            actor=world.dod,
            country="PL",
            name="Powidz depot",
            organization="Polish Armed Forces",
            clock=clock,
        )
        sites.create_site(
            s,
            actor=world.dod,
            country="DE",
            name="Kaiserslautern depot",
            organization="Bundeswehr",
            clock=clock,
        )
        ref = cases.get_case(s, actor=None, case_id=case_id).identifier
    return Poland(case_id=case_id, case_ref=ref)


TABLES = (Item, Lot, CustodyEvent, CustodyEntry, Inventory, Incident)


def snapshot(factory: sessionmaker[Session]) -> tuple[Any, ...]:
    with read_only(factory) as s:
        counts = tuple(s.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES)
        positions = tuple(s.execute(select(Item.id, Item.state, Item.site_id, Item.events).order_by(Item.id)))
        return (*counts, positions, tree_size(s))


def refused(
    factory: sessionmaker[Session], error: type[SecassistError], call: Callable[[Session], Any]
) -> SecassistError:
    """``call`` raises ``error`` and the database is exactly as before."""
    before = snapshot(factory)
    with pytest.raises(error) as e, unit_of_work(factory) as s:
        call(s)
    assert snapshot(factory) == before
    return e.value
