"""The offer workflow: every gate consulted, every unsatisfied reason listed, nothing
written on refusal; gates defined here (the real ones belong to other domains)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import service
from secassist.cases.errors import OfferBlockedError, TransitionNotAllowedError
from secassist.cases.facts import CaseFacts
from secassist.cases.lifecycle import Status
from secassist.core.clock import FixedClock
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows import gates as gates_mod
from secassist.workflows.gates import GateResult, OfferGate
from secassist.workflows.offer import gates_for, offer_case
from tests.cases.factories import add_lines, drive, open_case
from tests.identity.conftest import tags

__all__ = ["tags"]


@dataclass
class FixedGate:
    """A gate that answers from its constructor, and remembers what it was asked."""

    name: str
    satisfied: bool
    reason: str
    seen: list[CaseFacts]

    def check(self, session: Session, case: CaseFacts, *, on: date) -> GateResult:
        self.seen.append(case)
        return GateResult(self.name, self.satisfied, self.reason, (f"{self.name}:{case.case_id}",))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def proposed(session_factory: sessionmaker[Session], clock: FixedClock) -> int:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock)
    drive(session_factory, cid, Status.proposed, clock)
    return cid


def _gates(*answers: tuple[str, bool, str]) -> tuple[list[OfferGate], list[CaseFacts]]:
    seen: list[CaseFacts] = []
    return [FixedGate(n, ok, r, seen) for n, ok, r in answers], seen


def test_refused_with_every_unsatisfied_reason_and_nothing_written(
    session_factory: sessionmaker[Session], clock: FixedClock, proposed: int, tags: Callable[[], list[str]]
) -> None:
    gates, seen = _gates(
        ("vetting", False, "Policy vetting pending."),
        ("notification", True, "Below the 36(b) thresholds."),
        ("funding", False, "No FMF allocation for PL in FY2026."),
    )
    before = tags()
    with unit_of_work(session_factory) as s, pytest.raises(OfferBlockedError) as e:
        offer_case(
            s, actor=None, case_id=proposed, offer_expires_on=clock.today() + timedelta(days=60),
            gates=gates, clock=clock,
        )  # fmt: skip
    assert e.value.http_status == 409
    assert [g["gate"] for g in e.value.detail["gates"]] == ["vetting", "funding"]
    assert "Policy vetting pending." in e.value.message
    assert "No FMF allocation" in e.value.message
    assert [f.identifier for f in seen] == ["PL-D-AAA"] * 3
    assert tags() == before
    with read_only(session_factory) as s:
        assert service.get_case(s, actor=None, case_id=proposed).status == "proposed"


def test_offered_when_every_gate_is_satisfied(
    session_factory: sessionmaker[Session], clock: FixedClock, proposed: int
) -> None:
    gates, _ = _gates(("vetting", True, "Cleared 2026-05-30."), ("funding", True, "National funds."))
    oed = clock.today() + timedelta(days=60)
    with unit_of_work(session_factory) as s:
        case, results = offer_case(
            s, actor=None, case_id=proposed, offer_expires_on=oed, gates=gates, clock=clock
        )
        assert (case.status, case.offer_expires_on, case.offered_on) == ("offered", oed, clock.today())
        assert [r.gate for r in results] == ["vetting", "funding"]
        note = service.events_of(s, proposed)[-1].detail or ""
        assert "vetting: Cleared 2026-05-30." in note


def test_lifecycle_checks_come_before_the_gates(
    session_factory: sessionmaker[Session], clock: FixedClock, proposed: int
) -> None:
    gates, seen = _gates(("vetting", False, "pending"))
    with unit_of_work(session_factory) as s, pytest.raises(TransitionNotAllowedError) as e:
        offer_case(s, actor=None, case_id=proposed, offer_expires_on=clock.today(), gates=gates, clock=clock)
    assert e.value.field == "offer_expires_on"
    assert seen == []


def test_registered_gate_modules_are_the_default(
    session_factory: sessionmaker[Session], clock: FixedClock, proposed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gates_mod, "GATE_MODULES", ("tests.workflows.sample_gate",))
    with read_only(session_factory) as s:
        [result] = gates_for(s, actor=None, case_id=proposed, clock=clock)
    assert (result.gate, result.satisfied) == ("sample", False)
    assert result.reason == "Sample gate refuses PL-D-AAA on 2026-06-06."
    with unit_of_work(session_factory) as s, pytest.raises(OfferBlockedError, match="Sample gate refuses"):
        offer_case(s, actor=None, case_id=proposed, offer_expires_on=date(2026, 9, 1), clock=clock)
