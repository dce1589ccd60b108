"""A write commits in its handler's worker thread as soon as the handler returns
(``http.deps.committing_writes``): its locks are gone before FastAPI takes another thread
to validate the returned model, so writes waiting on those locks cannot hold every thread
while the lock holder waits for one (issue #16: writes never hang)."""

from __future__ import annotations

import inspect

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.api.router import ROUTERS
from secassist.http.deps import WRITE_SESSION_KEY, committing_writes
from secassist.reference.models import CountryRow
from secassist.storage.uow import read_only, unit_of_work


def _count(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(CountryRow).where(CountryRow.code == "ZQ")) or 0


def _add(session: Session) -> dict[str, str]:
    session.add(CountryRow(code="ZQ", alpha3="ZZQ", name="Q", region="EUR", fms_code="ZQ", territory=False))
    session.flush()
    return {"created": "ZQ"}


def test_the_handler_thread_commits_the_unit_of_work(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory, lazy=True) as session:
        session.info[WRITE_SESSION_KEY] = True
        other = session_factory()
        other.scalar(select(func.count()).select_from(CountryRow))
        result = committing_writes(lambda session, other: _add(session))(session=session, other=other)
        assert result == {"created": "ZQ"}
        assert not session.in_transaction(), "committed before the response is built"
        assert _count(session_factory) == 1, "visible to others at once: the locks are released"
        assert other.in_transaction(), "a session that is not the request's unit of work is left alone"
        other.close()
    assert _count(session_factory) == 1


def _fail(session: Session) -> None:
    _add(session)
    raise LookupError("the handler failed")


def _request_that_fails(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory, lazy=True) as session:
        session.info[WRITE_SESSION_KEY] = True
        committing_writes(_fail)(session=session)


def test_a_failing_handler_commits_nothing(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(LookupError, match="the handler failed"):
        _request_that_fails(session_factory)
    assert _count(session_factory) == 0


def test_every_sync_api_write_is_wrapped() -> None:
    writes = [
        r
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and "GET" not in r.methods and not inspect.iscoroutinefunction(r.endpoint)
    ]
    assert len(writes) > 20
    for route in writes:
        assert getattr(route.endpoint, "__wrapped__", None) is not None, route.path
        assert inspect.signature(route.endpoint) == inspect.signature(inspect.unwrap(route.endpoint))
