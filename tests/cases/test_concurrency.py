"""Two users advance the same case at once: one wins, the other gets a 409 conflict, and
nothing of the losing change is written (real sessions in real threads, both databases)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import service
from secassist.cases.errors import CaseVersionConflictError
from secassist.cases.models import CaseEvent
from secassist.core.clock import FixedClock
from secassist.storage.uow import read_only, unit_of_work
from tests.cases.factories import World, open_case


def test_two_advances_at_once_one_wins_one_conflicts(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    world: World,
    backend: str,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    with unit_of_work(session_factory) as s:
        cid = open_case(s, world.dod, clock)
    with read_only(session_factory) as s:
        version = service.get_case(s, actor=None, case_id=cid).version
    start = threading.Barrier(2, timeout=20)
    # PostgreSQL lets both transactions read before either writes (the loser's UPDATE
    # then matches no row); SQLite's writers queue at BEGIN IMMEDIATE, so the loser sees
    # the winner's version when it reads.
    both_read = threading.Barrier(2, timeout=20) if backend == "postgresql" else None
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def user(to: str) -> None:
        try:
            start.wait()
            with unit_of_work(session_factory) as s:
                service.get_case(s, actor=world.dod, case_id=cid)
                if both_read is not None:
                    both_read.wait()
                service.advance(s, actor=world.dod, case_id=cid, to=to, expected_version=version, clock=clock)
            outcomes.append(f"ok:{to}")
        except CaseVersionConflictError as exc:
            outcomes.append(f"conflict:{exc.http_status}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=user, args=(to,)) for to in ("lor_complete", "cancelled")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"]
    assert "conflict:409" in outcomes
    winner = next(o.split(":")[1] for o in outcomes if o.startswith("ok"))
    with read_only(session_factory) as s:
        case = service.get_case(s, actor=None, case_id=cid)
        status, now_at = case.status, case.version
        events = s.scalar(select(func.count()).where(CaseEvent.case_id == cid, CaseEvent.kind == "status"))
    assert (status, now_at) == (winner, version + 1)
    assert events == 2  # lor_received and the winner's; nothing of the loser's
    status_tags = [t for t in tags() if t.startswith("case:status:")]
    assert status_tags == [f"case:status:{winner}"]
    audit_ok()
