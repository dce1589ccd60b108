"""Property (Hypothesis, on the real database): any sequence of accepted transfers keeps every
item with exactly one holder and one responsible office — the holder country's, as the due
lists and the delinquency report derive it."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.equipment import custody, monitoring
from secassist.equipment.models import Item
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.transfer_execute import decide_transfer, execute_transfer
from tests.transfers.factories import file, sign_off

COUNTRIES = ["PL", "DE", "FR", "NL"]
step = st.tuples(st.sets(st.integers(0, 3), min_size=1, max_size=4), st.sampled_from(COUNTRIES))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=4))
def test_every_item_has_one_holder_and_one_office(
    session_factory: sessionmaker[Session],
    nvds: list[str],
    clock: FixedClock,
    steps: list[tuple[set[int], str]],
) -> None:
    for picked, to in steps:
        with read_only(session_factory) as s:
            holders = {i.serial: i.holder_country for i in s.scalars(select(Item))}
        # One request per current holder of the picked items (a request comes from the holder).
        by_holder: dict[str, list[str]] = {}
        for n in sorted(picked):
            serial = nvds[n]
            if holders[serial] != to:
                by_holder.setdefault(str(holders[serial]), []).append(serial)
        clock.advance(timedelta(days=1))
        for source, serials in sorted(by_holder.items()):
            with unit_of_work(session_factory) as s:
                filed = file(s, clock, serials, to=to, source=source)
                sign_off(s, filed)
                decide_transfer(
                    s, actor=None, request_id=filed.request.id, decision="approve", on=clock.today()
                )
                execute_transfer(s, actor=None, request_id=filed.request.id, on=clock.today(), clock=clock)
        with read_only(session_factory) as s:
            items = list(s.scalars(select(Item)))
            for it in items:
                assert it.holder_country is not None
                assert it.state in custody.HELD
            for serial in by_holder.values():
                assert {i.holder_country for i in items if i.serial in serial} == {to}
            # The due lists partition the items: each in exactly its holder country's list.
            seen: dict[str, list[str]] = {}
            for cc in COUNTRIES:
                due = monitoring.due_inventories(
                    s, actor=None, as_of=clock.today(), within_days=400, country=cc
                )
                for it, _ in due:
                    seen.setdefault(it.serial, []).append(cc)
            assert seen == {it.serial: [it.holder_country] for it in items}
            report = monitoring.delinquency(s, actor=None, as_of=clock.today())
            assert sum(c.eeum_items for c in report.by_country) == len(items)
            offices = {c.country: c.offices for c in report.by_country}
            assert offices.get("DE", ["ODC Germany"]) == ["ODC Germany"]
            assert offices.get("PL", ["ODC Poland"]) == ["ODC Poland"]
