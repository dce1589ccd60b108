"""Property (Hypothesis, on the real database): any sequence of lead-nation transfers —
accepted or refused — keeps every item with exactly one holder and one responsible office,
the holder country's, as the due lists and the delinquency report derive it."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import participants as parts
from secassist.core.clock import FixedClock
from secassist.core.errors import SecassistError
from secassist.equipment import custody, monitoring
from secassist.equipment.models import Item
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.lead_nation import transfer_lead_nation
from tests.equipment.factories import Poland
from tests.identity.factories import make_org

# PL leads; DE and CZ have signed assurances; LT has not (refused); FR is no participant (refused).
TARGETS = ["PL", "DE", "CZ", "LT", "FR"]
HOLDERS = ["PL", "DE", "CZ"]
step = st.tuples(st.sets(st.integers(0, 3), min_size=1, max_size=4), st.sampled_from(TARGETS))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=5))
def test_lead_nation_transfers_keep_one_holder_and_one_office(
    session_factory: sessionmaker[Session],
    nvds: list[str],
    poland: Poland,
    clock: FixedClock,
    steps: list[tuple[set[int], str]],
) -> None:
    with unit_of_work(session_factory) as s:
        if not parts.participants_of(s, poland.case_id):
            make_org(s, "ODC Czechia", "sco", "CZ")
            for cc in ("DE", "CZ", "LT"):
                parts.add_participant(s, actor=None, case_ref=poland.case_ref, country=cc, clock=clock)
            for cc in ("DE", "CZ"):
                parts.record_assurances(
                    s, actor=None, case_ref=poland.case_ref, country=cc, signed_on=clock.today(),
                    signatory="test", clock=clock,
                )  # fmt: skip
    for picked, to in steps:
        clock.advance(timedelta(days=1))
        with read_only(session_factory) as s:
            before = {i.serial: i.holder_country for i in s.scalars(select(Item))}
        serials = [nvds[n] for n in sorted(picked)]
        try:
            with unit_of_work(session_factory) as s:
                transfer_lead_nation(
                    s,
                    actor=None,
                    case_ref=poland.case_ref,
                    to=to,
                    on=clock.today(),
                    serials=serials,
                    clock=clock,
                )
            accepted = True
        except SecassistError:
            accepted = False
        one_holder = len({before[n] for n in serials}) == 1  # one transferring country per transfer
        assert accepted == (to in HOLDERS and one_holder and all(before[n] != to for n in serials))
        with read_only(session_factory) as s:
            items = list(s.scalars(select(Item)))
            after = {i.serial: i.holder_country for i in items}
            expected = {n: (to if accepted and n in serials else h) for n, h in before.items()}
            assert after == expected  # a refusal moves nothing
            for it in items:
                assert it.holder_country in HOLDERS
                assert it.state in custody.HELD
            # The due lists partition the items: each in exactly its holder country's list.
            seen: dict[str, list[str]] = {}
            for cc in TARGETS:
                due = monitoring.due_inventories(
                    s, actor=None, as_of=clock.today(), within_days=400, country=cc
                )
                for it, _ in due:
                    seen.setdefault(it.serial, []).append(cc)
            assert seen == {it.serial: [it.holder_country] for it in items}
            report = monitoring.delinquency(s, actor=None, as_of=clock.today())
            assert sum(c.eeum_items for c in report.by_country) == len(items)
            for c in report.by_country:
                assert len(c.offices) == 1  # one responsible office per holder country
