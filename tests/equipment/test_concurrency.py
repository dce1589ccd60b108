"""Two custody events on one item at once (real sessions in real threads, both databases):
the chain never forks — on PostgreSQL the loser collides on (item_id, seq) and gets a 409
with nothing written; on SQLite the writers queue and both land in order."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.core.errors import ConflictError
from secassist.equipment import custody, monitoring, queries, service
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.deliver import deliver
from tests.cases.factories import World
from tests.equipment.factories import Poland


def test_two_events_at_once_never_fork_the_chain(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    backend: str,
    audit_ok: Callable[[], None],
) -> None:
    with unit_of_work(session_factory) as s:
        deliver(
            s,
            actor=world.dod,
            case_ref=poland.case_ref,
            line_no="001",
            on=clock.today(),
            site="Rzeszow depot",
            serials=["RACE-1"],
            clock=clock,
        )
    start = threading.Barrier(2, timeout=20)
    both_read = threading.Barrier(2, timeout=20) if backend == "postgresql" else None
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def user(found: bool) -> None:
        try:
            start.wait()
            with unit_of_work(session_factory) as s:
                item = queries.find_item(s, actor=None, serial="RACE-1")
                if both_read is not None:
                    both_read.wait()
                ev = custody.Event("inventoried", clock.today(), found=found)
                service.apply_event(s, actor=world.pl_sco, item=item, event=ev, clock=clock)
            outcomes.append("ok")
        except ConflictError as exc:
            outcomes.append(f"conflict:{exc.http_status}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=user, args=(f,)) for f in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    expected = ["conflict:409", "ok"] if backend == "postgresql" else ["ok", "ok"]
    assert sorted(outcomes) == expected
    with read_only(session_factory) as s:
        item = queries.find_item(s, actor=None, serial="RACE-1")
        rows = [e for e, _ in queries.events_of(s, item.id)]
        assert [e.seq for e in rows] == list(range(1, len(rows) + 1))
        assert item.events == len(rows) == (2 if backend == "postgresql" else 3)
        assert custody.derive(
            [monitoring.event_of(e) for e in rows], today=clock.today()
        ) == service.position_of(item)
    audit_ok()
