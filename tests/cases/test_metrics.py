"""Milestones and metrics as of any date: days LOR complete → offered, the AOD share, the
120-day metric, dwell time per status, and a case's own timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import lors, metrics, service
from secassist.core.clock import FixedClock
from secassist.storage.uow import read_only, unit_of_work
from tests.cases.factories import World, add_lines

D0 = date(2026, 1, 5)


def _at(day: int) -> FixedClock:
    d = D0 + timedelta(days=day)
    return FixedClock(datetime(d.year, d.month, d.day, 12, tzinfo=UTC))


def _case(
    factory: sessionmaker[Session], group: str, *, complete: int, offer: int | None, purchaser: str = "PL"
) -> int:
    """A case received on D0, complete on day ``complete``, offered on day ``offer``."""
    with unit_of_work(factory) as s:
        lor = lors.receive_lor(
            s, actor=None, purchaser=purchaser, request_type="loa", financing="fmf", received_on=D0,
            reference_number="R", articles_services="a", end_users=["Army"], clock=_at(0),
        )  # fmt: skip
        cid = service.create_case(
            s, actor=None, lor_id=lor.id, implementing_agency="B", loa_type="defined_order", title="t",
            aod_group=group, clock=_at(0),
        ).id  # fmt: skip
    steps = [("lor_complete", complete), ("in_development", complete + 1)]
    if offer is not None:
        steps += [
            ("written", offer - 3),
            ("reviewed", offer - 2),
            ("proposed", offer - 1),
            ("offered", offer),
        ]
    for to, day in steps:
        with unit_of_work(factory) as s:
            if to == "written":
                add_lines(s, None, cid, _at(day))
            service.advance(
                s, actor=None, case_id=cid, to=to, offer_expires_on=D0 + timedelta(days=day + 90),
                gates_checked=to == "offered", clock=_at(day),
            )  # fmt: skip
    return cid


def test_metrics_as_of_a_date(session_factory: sessionmaker[Session], world: World) -> None:
    on_time = _case(session_factory, "A", complete=5, offer=30)  # AOD day 50: on time, 30 days from receipt
    _case(session_factory, "B", complete=10, offer=None)  # AOD day 110, never offered: late by day 200
    _case(session_factory, "D", complete=5, offer=130)  # group D has no days: no AOD; 130 > 120 days
    _case(session_factory, "A", complete=5, offer=None, purchaser="JP")
    with read_only(session_factory) as s:
        m = metrics.case_metrics(s, actor=None, as_of=D0 + timedelta(days=200))
        early = metrics.case_metrics(s, actor=None, as_of=D0 + timedelta(days=20))
        poland = metrics.case_metrics(s, actor=world.pl, as_of=D0 + timedelta(days=200))
        phases = metrics.timeline(service.events_of(s, on_time), D0 + timedelta(days=40))
    assert (m.cases, m.offered) == (4, 2)
    assert m.mean_days_to_offer == Decimal("75.0")  # (25 + 125) / 2
    assert (m.aod.due, m.aod.met, m.aod.share, m.aod.target) == (3, 1, Decimal("0.333"), Decimal("0.85"))
    assert m.no_aod == 1
    assert (m.within_120.due, m.within_120.met) == (4, 1)
    dwell = {d.status: d for d in m.dwell}
    assert dwell["lor_received"].cases == 4
    assert dwell["lor_received"].mean_days == Decimal("6.3")  # 5, 10, 5, 5
    assert dwell["offered"].max_days == 170  # day 30 → as-of day 200
    # replayed on day 20 nothing was offered or due yet
    assert (early.offered, early.aod.due, early.within_120.due) == (0, 0, 0)
    assert early.aod.share is None
    # scoped: Poland's MoD counts Poland's three cases only
    assert poland.cases == 3
    assert [(p.status, p.days) for p in phases] == [
        ("lor_received", 5), ("lor_complete", 1), ("in_development", 21), ("written", 1), ("reviewed", 1),
        ("proposed", 1), ("offered", 10),
    ]  # fmt: skip
    assert phases[-1].end is None
