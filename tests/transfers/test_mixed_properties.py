"""Property (Hypothesis, on the real database): any sequence of transfers — third-party and
lead-nation, of serials and of lot quantities — keeps every item with exactly one holder and
one responsible office (the holder country's, as the due lists and the delinquency report
derive it), and every unit of the lot in exactly one country's holdings: the units held sum
to the delivered quantity, and each country holds what the accepted transfers gave it. A
refused transfer changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import participants as parts
from secassist.core.clock import FixedClock
from secassist.core.errors import SecassistError
from secassist.equipment import custody, lots, monitoring, sites
from secassist.equipment.models import Item, Lot, Site
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.deliver import deliver
from secassist.workflows.lead_nation import transfer_lead_nation
from secassist.workflows.transfer_execute import decide_transfer, execute_transfer
from tests.cases.factories import World
from tests.equipment.factories import Poland
from tests.identity.factories import make_org
from tests.transfers.factories import file, sign_off

COUNTRIES = ["PL", "DE", "CZ"]  # PL leads; DE and CZ are participants with assurances
SITE = {"PL": "Rzeszow depot", "DE": "Kaiserslautern depot", "CZ": "Prague depot"}
DELIVERED = 1000

serial_step = st.tuples(
    st.just("serials"), st.sampled_from(["tpt", "lead"]), st.sets(st.integers(0, 3), min_size=1, max_size=4),
    st.sampled_from(COUNTRIES),
)  # fmt: skip
lot_step = st.tuples(
    st.just("lot"), st.sampled_from(["tpt", "lead"]), st.integers(1, 1200), st.sampled_from(COUNTRIES)
)


def _units(s: Session) -> dict[str, int]:
    """Units of the case's lots held per country (a lot's units are at its sites)."""
    out: dict[str, int] = {}
    for lot, cc in s.execute(select(Lot, Site.country_code).join(Site, Lot.site_id == Site.id)):
        out[cc] = out.get(cc, 0) + lots.held_units(s, lot).held
    return {cc: n for cc, n in out.items() if n}


def _fullest_lot(s: Session, country: str) -> tuple[int, int] | None:
    """The lot held in ``country`` with the most units, and how many."""
    best: tuple[int, int] | None = None
    for lot, cc in s.execute(select(Lot, Site.country_code).join(Site, Lot.site_id == Site.id)):
        n = lots.held_units(s, lot).held
        if cc == country and n and (best is None or n > best[1]):
            best = (lot.id, n)
    return best


def _approve(s: Session, request_id: int, day: date) -> None:
    decide_transfer(s, actor=None, request_id=request_id, decision="approve", on=day)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(serial_step, lot_step), min_size=1, max_size=5))
def test_mixed_transfers_keep_one_holder_one_office_and_every_unit_once(
    session_factory: sessionmaker[Session],
    nvds: list[str],
    world: World,
    poland: Poland,
    clock: FixedClock,
    steps: list[tuple[str, str, object, str]],
) -> None:
    with unit_of_work(session_factory) as s:
        if not parts.participants_of(s, poland.case_id):
            make_org(s, "ODC Czechia", "sco", "CZ")
            sites.create_site(s, actor=None, country="CZ", name=SITE["CZ"], organization="ACR", clock=clock)
            deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="002", on=clock.today(),
                    site="Rzeszow depot", quantity=DELIVERED, clock=clock)  # fmt: skip
            for cc in ("DE", "CZ"):
                parts.add_participant(s, actor=None, case_ref=poland.case_ref, country=cc, clock=clock)
                parts.record_assurances(
                    s, actor=None, case_ref=poland.case_ref, country=cc, signed_on=clock.today(),
                    signatory="test", clock=clock,
                )  # fmt: skip
    for what, via, pick, to in steps:
        clock.advance(timedelta(days=1))
        day = clock.today()
        with read_only(session_factory) as s:
            before = {i.serial: i.holder_country for i in s.scalars(select(Item))}
            units_before = _units(s)
            source = max(units_before, key=lambda cc: (units_before[cc], cc))
            fullest = _fullest_lot(s, source)
        try:
            with unit_of_work(session_factory) as s:
                if what == "serials":
                    assert isinstance(pick, set)
                    serials = [nvds[n] for n in sorted(pick)]
                    holder = before[serials[0]] or ""
                    if via == "lead":
                        transfer_lead_nation(s, actor=None, case_ref=poland.case_ref, to=to, on=day,
                                             serials=serials, clock=clock)  # fmt: skip
                    else:
                        filed = file(s, clock, serials, to=to, source=holder)
                        sign_off(s, filed)
                        decide_transfer(
                            s, actor=None, request_id=filed.request.id, decision="approve", on=day
                        )
                        execute_transfer(s, actor=None, request_id=filed.request.id, on=day, clock=clock)
                else:
                    assert isinstance(pick, int)
                    assert fullest is not None
                    lot_id = fullest[0]
                    if via == "lead":
                        transfer_lead_nation(
                            s, actor=None, case_ref=poland.case_ref, to=to, on=day, lot_id=lot_id,
                            quantity=pick, site=SITE[to], clock=clock,
                        )  # fmt: skip
                    else:
                        filed = file(s, clock, [], to=to, source=source, lot_id=lot_id, quantity=pick)
                        sign_off(s, filed)
                        decide_transfer(
                            s, actor=None, request_id=filed.request.id, decision="approve", on=day
                        )
                        execute_transfer(s, actor=None, request_id=filed.request.id, on=day, site=SITE[to],
                                         clock=clock)  # fmt: skip
            accepted = True
        except SecassistError:
            accepted = False
        if what == "serials":
            assert isinstance(pick, set)
            moved = {nvds[n] for n in pick}
            one_holder = len({before[n] for n in moved}) == 1
            assert accepted == (one_holder and all(before[n] != to for n in moved))
            expected = {n: (to if accepted and n in moved else h) for n, h in before.items()}
            expected_units = units_before
        else:
            assert isinstance(pick, int)
            assert fullest is not None
            assert accepted == (source != to and pick <= fullest[1])
            expected = before
            expected_units = dict(units_before)
            if accepted:
                expected_units[source] -= pick
                expected_units[to] = expected_units.get(to, 0) + pick
                expected_units = {cc: n for cc, n in expected_units.items() if n}
        with read_only(session_factory) as s:
            items = list(s.scalars(select(Item)))
            assert {i.serial: i.holder_country for i in items} == expected  # a refusal moves nothing
            for it in items:
                assert it.holder_country in COUNTRIES
                assert it.state in custody.HELD
            # The due lists partition the items: each in exactly its holder country's list.
            seen: dict[str, list[str]] = {}
            for cc in COUNTRIES:
                for it, _ in monitoring.due_inventories(
                    s, actor=None, as_of=day, within_days=400, country=cc
                ):
                    seen.setdefault(it.serial, []).append(cc)
            assert seen == {it.serial: [it.holder_country] for it in items}
            report = monitoring.delinquency(s, actor=None, as_of=day)
            assert sum(c.eeum_items for c in report.by_country) == len(items)
            assert all(len(c.offices) == 1 for c in report.by_country)  # one responsible office
            # Every unit of the lot is held once: in exactly one country, none lost or doubled.
            units = _units(s)
            assert units == expected_units
            assert sum(units.values()) == DELIVERED
