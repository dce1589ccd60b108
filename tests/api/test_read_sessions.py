"""A read ends its transaction in its handler's worker thread when the handler has
rendered its response (``http.deps.ending_reads``), saving a thread hop per read under
``make load`` (issue #16); anything that may still load from the session keeps the
teardown's close."""

from __future__ import annotations

import inspect

import pytest
from fastapi import Response
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import StreamingResponse

from secassist.api.router import ROUTERS
from secassist.http.deps import READ_SESSION_KEY, ending_reads
from secassist.identity.models import User
from secassist.storage.uow import open_read


def _read(factory: sessionmaker[Session]) -> Session:
    session = open_read(factory)
    session.info[READ_SESSION_KEY] = True
    session.scalars(select(User.id)).all()  # begins the transaction, takes a connection
    assert session.in_transaction()
    return session


def test_a_rendered_response_ends_the_read_in_the_handler(session_factory: sessionmaker[Session]) -> None:
    session = _read(session_factory)
    other = session_factory()
    other.scalars(select(User.id)).all()

    def handler(session: Session, other: Session) -> Response:
        return Response(b"[]", media_type="application/json")

    response = ending_reads(handler)(session=session, other=other)
    assert response.body == b"[]"
    assert not session.in_transaction(), "the read session was ended by the handler's thread"
    assert other.in_transaction(), "a session that is not the request's read session is left alone"
    other.close()


@pytest.mark.parametrize("kind", ["model", "stream", "error"])
def test_anything_else_leaves_the_read_to_the_teardown(
    session_factory: sessionmaker[Session], kind: str
) -> None:
    session = _read(session_factory)

    def handler(session: Session) -> object:
        if kind == "error":
            raise LookupError("not found")
        if kind == "stream":
            return StreamingResponse(iter([b"x"]))
        return {"loaded": "later, from the session"}

    wrapped = ending_reads(handler)
    if kind == "error":
        with pytest.raises(LookupError):
            wrapped(session=session)
    else:
        wrapped(session=session)
    assert session.in_transaction(), f"a {kind} may still need the session: the teardown ends it"
    session.close()


def test_every_sync_api_read_is_wrapped() -> None:
    reads = [
        r
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and "GET" in r.methods and not inspect.iscoroutinefunction(r.endpoint)
    ]
    assert len(reads) > 20
    for route in reads:
        assert getattr(route.endpoint, "__wrapped__", None) is not None, route.path
        # wrapped once: the wrapper's signature is the handler's (FastAPI reads it)
        assert inspect.signature(route.endpoint) == inspect.signature(inspect.unwrap(route.endpoint))
