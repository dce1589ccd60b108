"""Sites with their physical-security inspections, and recipient units linked to the Leahy
units that vetting holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.equipment import queries, sites
from secassist.equipment.models import SiteInspection
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting import leahy
from secassist.workflows.recipient_unit import register_recipient_unit
from tests.cases.factories import World
from tests.equipment.factories import Poland, refused


def test_site_inspections(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    with unit_of_work(session_factory) as s:
        sites.inspect_site(
            s,
            actor=world.dod,
            site="rzeszow DEPOT",
            on=clock.today(),
            result="satisfactory",
            office="U.S. Army Security Assistance Command",
            clock=clock,
        )
    assert tags()[-1] == "equipment:site:inspected"
    with read_only(session_factory) as s:
        row = s.scalar(select(SiteInspection))
        assert row is not None
        assert (row.result, row.inspecting_office) == (
            "satisfactory",
            "U.S. Army Security Assistance Command",
        )
        assert [x.name for x in queries.list_sites(s, actor=world.pl_sco)] == [
            "Powidz depot",
            "Rzeszow depot",
        ]
    e = refused(
        session_factory,
        ValidationFailedError,
        lambda s: sites.inspect_site(
            s, actor=world.dod, site="Powidz depot", on=clock.today(), result="ok", office="x", clock=clock
        ),
    )
    assert e.detail["field"] == "result"
    refused(
        session_factory,
        ValidationFailedError,
        lambda s: sites.inspect_site(
            s,
            actor=world.dod,
            site="Powidz depot",
            result="deficient",
            office="x",
            on=clock.today() + timedelta(days=1),
            clock=clock,
        ),
    )
    # a Polish SCO cannot see (so cannot inspect) the German site
    refused(
        session_factory,
        NotFoundError,
        lambda s: sites.inspect_site(
            s,
            actor=world.pl_sco,
            site="Kaiserslautern depot",
            on=clock.today(),
            result="deficient",
            office="x",
            clock=clock,
        ),
    )
    refused(
        session_factory,
        ValidationFailedError,
        lambda s: sites.create_site(s, actor=world.dod, country="PL", name="Powidz depot", organization="x"),
    )
    audit_ok()


def test_recipient_units_link_to_leahy_units(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        pl = leahy.create_unit(
            s, actor=None, country="PL", name="12th Mechanized Division", unit_type="military", clock=clock
        )
        de = leahy.create_unit(
            s, actor=None, country="DE", name="Panzerbrigade 45", unit_type="military", clock=clock
        )
        pl_id, de_id = pl.id, de.id
    with unit_of_work(session_factory) as s:
        unit = register_recipient_unit(s, actor=world.dod, country="PL", leahy_unit_id=pl_id, clock=clock)
        assert (unit.name, unit.leahy_unit_id) == ("12th Mechanized Division", pl_id)
    e = refused(
        session_factory,
        ValidationFailedError,
        lambda s: register_recipient_unit(
            s, actor=world.dod, country="PL", name="Brigade", leahy_unit_id=de_id
        ),
    )
    assert e.detail["field"] == "leahy_unit"
    refused(
        session_factory,
        ValidationFailedError,
        lambda s: register_recipient_unit(s, actor=world.dod, country="PL", name="12th Mechanized Division"),
    )
    refused(
        session_factory,
        PermissionDeniedError,
        lambda s: sites.create_unit(s, actor=world.auditor, country="PL", name="Another"),
    )
