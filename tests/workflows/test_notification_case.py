"""A real case through congressional notification: the gate on the case's own facts, the
notification opened from the case, the notice rendered from the case's data and read back,
and a published notice linked to the case by its transmittal number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import lors
from secassist.cases import service as cases
from secassist.core.clock import FixedClock
from secassist.notification import queries, service
from secassist.notification.parse import parse_notice
from secassist.notification.render import render_text
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.gate_notification import GATE
from secassist.workflows.notification_case import import_notices, notice_content, prepare_for_case
from secassist.workflows.offer import gates_for
from tests.cases.factories import add_lines, open_case


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def case_id(session_factory: sessionmaker[Session], clock: FixedClock) -> int:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock, purchaser="PL", agency="D")
        add_lines(s, None, cid, clock)  # 4 F-16 at $25M (MDE) and $1.5M of training
    return cid


def test_the_gate_reads_the_case_and_clears_after_fifteen_days(
    session_factory: sessionmaker[Session], clock: FixedClock, case_id: int
) -> None:
    with read_only(session_factory) as s:
        [result] = gates_for(s, actor=None, case_id=case_id, gates=[GATE], clock=clock)
    assert not result.satisfied
    assert "no formal notification recorded" in result.reason
    assert "thresholds met: mde, total" in result.reason
    with unit_of_work(session_factory) as s:
        n = prepare_for_case(s, actor=None, case_id=case_id, policy_justification="Poland is a NATO Ally.")
        assert (n.purchaser, n.purchaser_country, n.implementing_agency) == (
            "Government of Poland",
            "PL",
            "Department of the Air Force",
        )
        assert (n.mde_value, n.other_value, n.total_value) == (100_000_000, 1_500_000, 101_500_000)
        service.record_formal_notification(
            s, actor=None, notification_id=n.id, on=clock.today(), transmittal="26-11"
        )
    day14 = clock.today() + timedelta(days=14)
    with read_only(session_factory) as s:
        [result] = gates_for(s, actor=None, case_id=case_id, on=day14, gates=[GATE])
        assert (result.satisfied, result.evidence) == (False, (f"notification:{n.id}",))
        [result] = gates_for(s, actor=None, case_id=case_id, on=day14 + timedelta(days=1), gates=[GATE])
        assert result.satisfied
        text = render_text(notice_content(s, queries.for_case(s, case_id)))  # type: ignore[arg-type]
        identifier = cases.case_facts(s, case_id).identifier
    got = parse_notice(text)
    assert (got.transmittal, got.purchaser_country, got.implementing_agency) == ("26-11", "PL", "Air Force")
    assert (got.mde_usd, got.other_usd, got.total_usd) == (100_000_000, 1_500_000, 101_500_000)
    assert "4 F-16 Block 70" in text
    assert f"(iv) Military Department: Air Force ({identifier})" in text
    assert "Poland is a NATO Ally." in text


def test_a_published_notice_links_to_the_case_by_transmittal(
    session_factory: sessionmaker[Session], clock: FixedClock, case_id: int
) -> None:
    with unit_of_work(session_factory) as s:
        lor = lors.receive_lor(
            s, actor=None, purchaser="JP", request_type="loa", financing="national",
            received_on=clock.today(), reference_number="JP-LOR-1", articles_services="radars",
        )  # fmt: skip
        other = cases.create_case(
            s, actor=None, lor_id=lor.id, implementing_agency="P", loa_type="defined_order",
            title="Japan radars", transmittal="26-0C", clock=clock,
        )  # fmt: skip
        other_id = other.id
    notice = (
        "Transmittal No. 26-0C\n(i) Prospective Purchaser: Government of Japan\n(ii) Total Estimated Value:\n"
        "Major Defense Equipment* $ 40 million\nOther $ 10 million\nTotal $ 50 million\n(iii) radars\n"
        "    Dated: March 20, 2026."
    )
    with unit_of_work(session_factory) as s:
        first = import_notices(s, actor=None, texts=[("fr.txt", notice)], clock=clock)
    with unit_of_work(session_factory) as s:
        again = import_notices(s, actor=None, texts=[("fr.txt", notice)], clock=clock)
    assert (first.merged, first.created, again.unchanged) == (["fr.txt"], [], ["fr.txt"])
    with read_only(session_factory) as s:
        n = queries.for_case(s, other_id)
        assert n is not None
        assert first.notification_ids["fr.txt"] == n.id
        assert (n.origin, n.transmittal, n.purchaser_country) == ("case", "26-0C", "JP")
        assert queries.for_case(s, case_id) is None
