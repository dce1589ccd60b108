"""The offer gate, on CaseFacts built by hand, against real notification rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.core.errors import ConflictError, ValidationFailedError
from secassist.notification import service
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.gate_notification import GATE
from secassist.workflows.gates import default_gates, gate_status
from tests.notification.conftest import case_facts
from tests.notification.factories import make_case

FORMAL = date(2025, 3, 10)


def _prepare(sf: sessionmaker[Session], clock: FixedClock, country: str = "SA") -> tuple[int, int]:
    """A real case (for the foreign key) and its draft notification: (case id, notification id)."""
    case_id = make_case(sf, clock, country)
    facts = case_facts(case_id, country)
    with unit_of_work(sf) as s:
        n = service.create_notification(
            s,
            actor=None,
            case_id=case_id,
            purchaser="Kingdom of Saudi Arabia" if country == "SA" else "Poland",
            purchaser_country=country,
            mde_value=facts.mde_value,
            other_value=facts.other_value,
            implementing_agency="Department of the Army",
            clock=clock,
        )
        return case_id, n.id


def _check(sf: sessionmaker[Session], case_id: int, on: date, country: str = "SA") -> tuple[bool, str]:
    with read_only(sf) as s:
        r = GATE.check(s, case_facts(case_id, country), on=on)
    return r.satisfied, r.reason


def test_gate_is_registered() -> None:
    assert GATE in default_gates()


def test_below_thresholds_passes_without_a_notification(session_factory: sessionmaker[Session]) -> None:
    with read_only(session_factory) as s:
        [r] = gate_status(s, case_facts(7, "SA", mde=13_999_999, other=0), on=FORMAL, gates=[GATE])
    assert r.satisfied
    assert "Below" in r.reason


def test_review_period_runs_from_the_formal_date(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    cid, nid = _prepare(session_factory, clock)
    ok, reason = _check(session_factory, cid, FORMAL)
    assert not ok
    assert "no formal notification recorded" in reason
    with unit_of_work(session_factory) as s:
        service.record_informal_review(
            s, actor=None, notification_id=nid, on=FORMAL - timedelta(days=40), clock=clock
        )
    assert not _check(session_factory, cid, FORMAL)[0]
    with unit_of_work(session_factory) as s:
        n = service.record_formal_notification(
            s, actor=None, notification_id=nid, on=FORMAL, transmittal="25-01"
        )
        assert (n.review_days, n.review_ends_on) == (30, FORMAL + timedelta(days=30))
        assert n.informal_review_days == 40
    ok, reason = _check(session_factory, cid, FORMAL + timedelta(days=29))
    assert not ok
    assert reason.startswith(f"Formal review period ends {(FORMAL + timedelta(days=30)).isoformat()}.")
    assert _check(session_factory, cid, FORMAL + timedelta(days=30))[0]
    assert tags()[-3:] == [
        "notification:notification:created",
        "notification:informal:recorded",
        "notification:formal:recorded",
    ]
    audit_ok()


def test_nato_plus_purchaser_gets_fifteen_days(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    cid = make_case(session_factory, clock, "PL")
    facts = case_facts(cid, "PL", mde=30_000_000, other=0)
    with unit_of_work(session_factory) as s:
        n = service.create_notification(
            s,
            actor=None,
            case_id=cid,
            purchaser="Poland",
            purchaser_country="PL",
            mde_value=facts.mde_value,
            other_value=0,
            clock=clock,
        )
        service.record_formal_notification(s, actor=None, notification_id=n.id, on=FORMAL)
    with read_only(session_factory) as s:
        assert not GATE.check(s, facts, on=FORMAL + timedelta(days=14)).satisfied
        assert GATE.check(s, facts, on=FORMAL + timedelta(days=15)).satisfied


def test_emergency_waiver_needs_its_justification_and_lifts_the_wait(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    cid, nid = _prepare(session_factory, clock)
    with unit_of_work(session_factory) as s, pytest.raises(ValidationFailedError) as info:
        service.record_emergency_waiver(s, actor=None, notification_id=nid, justification="   ")
    assert info.value.detail["field"] == "justification"
    with unit_of_work(session_factory) as s:
        service.record_formal_notification(s, actor=None, notification_id=nid, on=FORMAL)
        service.record_emergency_waiver(
            s, actor=None, notification_id=nid, justification="An emergency exists (AECA §36(b)(1))."
        )
    ok, reason = _check(session_factory, cid, FORMAL)
    assert ok
    assert "Emergency waiver" in reason


def test_joint_resolution_of_disapproval_blocks_even_after_the_period(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    cid, nid = _prepare(session_factory, clock)
    with unit_of_work(session_factory) as s:
        service.record_formal_notification(s, actor=None, notification_id=nid, on=FORMAL)
        service.record_emergency_waiver(s, actor=None, notification_id=nid, justification="Emergency.")
        service.record_disapproval(s, actor=None, notification_id=nid, resolution="S.J.Res. 42", on=FORMAL)
    ok, reason = _check(session_factory, cid, FORMAL + timedelta(days=400))
    assert not ok
    assert "S.J.Res. 42" in reason


def test_formal_notification_is_recorded_once(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    cid, nid = _prepare(session_factory, clock)
    with unit_of_work(session_factory) as s:
        service.record_formal_notification(s, actor=None, notification_id=nid, on=FORMAL)
    with unit_of_work(session_factory) as s, pytest.raises(ConflictError):
        service.record_formal_notification(s, actor=None, notification_id=nid, on=FORMAL)
    with unit_of_work(session_factory) as s, pytest.raises(ConflictError):
        service.create_notification(
            s, actor=None, case_id=cid, purchaser="x", purchaser_country="SA", mde_value=0, other_value=0
        )
