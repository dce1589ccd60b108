"""Annotated dependency aliases shared by the API and the web pages.

A request holds at most one database connection:

* a read (GET) resolves its caller on the same read session as its handler
  (:data:`PrincipalDep` and :data:`ReadSessionDep` are one session: FastAPI solves a
  dependency once per request);
* an API write resolves its caller on the unit of work that then runs the handler
  (:data:`WriterDep` and :data:`WriteSessionDep`), and checks CSRF for a cookie session
  there, so no write route can forget it;
* a web form's caller is looked up on a short session closed before the form's unit of
  work opens (``web.auth``).
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, StreamingResponse

from secassist.core.clock import Clock
from secassist.core.config import Settings
from secassist.core.errors import PermissionDeniedError
from secassist.identity.errors import AuthenticationError
from secassist.identity.logins import resolve_web_session
from secassist.identity.policy import Principal
from secassist.identity.tokens import cached_principal, principal_from_token
from secassist.reference.service import ReferenceData, get_reference
from secassist.storage.uow import close_read, open_read, unit_of_work

SESSION_COOKIE = "secassist_session"
CSRF_HEADER = "X-CSRF-Token"
# The ASGI scope key under which the edge (``http.edge.RequestLimits``) leaves the
# principal it resolved from a bearer token before reading an API write's body, so the
# route's dependency does not look the token up a second time.
TOKEN_PRINCIPAL_KEY = "secassist.token_principal"  # noqa: S105 - a scope key, not a secret
# ``Session.info`` key marking the request's read session (:func:`get_read_session`), so
# that :func:`ending_reads` can tell it from any other argument of a handler.
READ_SESSION_KEY = "secassist.read_session"
# ``Session.info`` key marking the request's unit of work (:func:`get_write_session`), for
# :func:`committing_writes`.
WRITE_SESSION_KEY = "secassist.write_session"


def bearer_token(authorization: str) -> str:
    """The raw token of an ``Authorization: Bearer <token>`` header value, or
    AuthenticationError for any other scheme or an empty token."""
    scheme, _, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise AuthenticationError("use 'Authorization: Bearer <token>'")
    return raw.strip()


def session_factory(request: Request) -> sessionmaker[Session]:
    """The app's session factory (set by the lifespan)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def clock_of(request: Request) -> Clock:
    """The app's clock (``app.state.clock``): injected by tests, the system clock otherwise.
    Every expiry check and every service call of a request reads time from it."""
    clock: Clock = request.app.state.clock
    return clock


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A read-only session for the request. Opening one does no I/O (the connection is
    taken at the first query, in the handler's worker thread), so it is made on the
    event loop; only the closing rollback goes to a worker thread. With a handler that
    returns :func:`model_response`, a read request hops to a worker thread three times
    (principal, handler, close) rather than five, and twice when its bearer token's
    principal is known (:func:`get_principal`)."""
    session = open_read(session_factory(request))
    session.info[READ_SESSION_KEY] = True
    try:
        yield session
    except BaseException:
        await run_in_threadpool(session.close)  # rolls a failed read back
        raise
    if session.in_transaction():
        await run_in_threadpool(close_read, session)
    else:
        # Already ended in the handler's thread (:func:`ending_reads`), or never used:
        # no connection is held, so closing does no I/O and needs no thread.
        session.close()


def _marked_sessions(kwargs: dict[str, Any], key: str) -> Iterator[Session]:
    """The sessions among a handler's arguments that carry ``key`` in their ``info``."""
    return (v for v in kwargs.values() if isinstance(v, Session) and v.info.get(key))


def ending_reads(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` (a sync route handler) ending its read session in its own worker
    thread once it has returned a response already rendered to bytes.

    FastAPI runs a sync handler in a worker thread and the teardown of
    :func:`get_read_session` (the COMMIT of :func:`close_read`) in another: a thread hop
    costs the server more CPU than the handler's own queries under ``make load``
    (issue #16). Only a rendered response qualifies: a model left for FastAPI to
    serialize, or a streamed body, may still load from the session, so those keep the
    teardown's close. An exception also leaves the session to the teardown (rolled
    back, as before). Applied to the API's routes by ``api.router``."""

    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        if isinstance(result, Response) and not isinstance(result, StreamingResponse | FileResponse):
            for session in _marked_sessions(kwargs, READ_SESSION_KEY):
                close_read(session)
        return result

    return handler


def committing_writes(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` (a sync route handler) committing its unit of work in its own worker
    thread as soon as it returns.

    FastAPI validates a sync handler's returned model in another worker thread, and the
    unit of work's teardown runs only after that. A write that had taken row locks (the
    audit log's head, an allocation) would hold them while it waits for a free thread,
    and when every thread is taken by other writes waiting on those very locks, nothing
    moves again: PostgreSQL's lock waits have no timeout (issue #16: writes degrade to
    409/503, never hang). Committed here, the locks are gone before the response is
    built; the teardown's commit finds nothing left and only closes. A failed commit
    raises here and reaches the teardown, which rolls back and reports it as before.
    Applied to the API's routes by ``api.router``."""

    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        for session in _marked_sessions(kwargs, WRITE_SESSION_KEY):
            session.commit()
        return result

    return handler


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` as the JSON response, serialized once by pydantic-core, by alias (as
    FastAPI serializes a ``response_model``: e.g. a transfer row's ``from``). A handler that
    returns a Response skips FastAPI's second validation of the value (in one more
    worker-thread hop for a sync handler); the route's ``response_model`` still
    documents the schema."""
    return Response(
        model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json"
    )


def models_response(models: Sequence[BaseModel]) -> Response:
    """A JSON array of ``models``, each serialized once by pydantic-core, as
    :func:`model_response` does for one."""
    body = b"[" + b",".join(m.model_dump_json(by_alias=True).encode() for m in models) + b"]"
    return Response(body, media_type="application/json")


def get_write_session(request: Request) -> Iterator[Session]:
    """One request, one unit of work: commits once after the handler returns. Its
    transaction begins at its first statement (``lazy``), in the handler's worker thread
    when the caller is known without a query: the request then holds no connection while it
    waits for a thread, so writes waiting for threads and reads waiting for connections
    cannot hold each other up until the pool's timeout (issue #16)."""
    with unit_of_work(session_factory(request), lazy=True) as session:
        session.info[WRITE_SESSION_KEY] = True
        yield session


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def principal_of(request: Request, session: Session) -> Principal:
    """The caller on ``session``: a bearer token (API clients) or the web session cookie
    (browsers), both checked for expiry against the app's clock."""
    auth = request.headers.get("authorization", "")
    if auth:
        resolved: Principal | None = request.scope.get(TOKEN_PRINCIPAL_KEY)
        if resolved is not None:
            return resolved
        return principal_from_token(session, bearer_token(auth), clock=clock_of(request))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal, web_session = resolve_web_session(session, cookie, clock=clock_of(request))
        request.state.web_session = web_session
        return principal
    raise AuthenticationError("log in, or send 'Authorization: Bearer <token>'")


def _known_principal(request: Request) -> Principal | None:
    """The caller without I/O when that is possible: a bearer token the edge already
    resolved, or one this process looked up valid moments ago (``identity.token_cache``,
    expiry checked on the app's clock). None means "look it up", not "refused"."""
    auth = request.headers.get("authorization", "")
    if not auth:
        return None
    resolved: Principal | None = request.scope.get(TOKEN_PRINCIPAL_KEY)
    if resolved is not None:
        return resolved
    scheme, _, raw = auth.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return cached_principal(raw.strip(), clock=clock_of(request))


async def get_principal(
    request: Request, session: Annotated[Session, Depends(get_read_session)]
) -> Principal:
    """The caller of a read, on the request's read session. A known bearer token is
    answered on the event loop; a lookup (a query) goes to a worker thread."""
    known = _known_principal(request)
    if known is not None:
        return known
    return await run_in_threadpool(principal_of, request, session)


def _optional_principal_of(request: Request, session: Session) -> Principal | None:
    try:
        return principal_of(request, session)
    except AuthenticationError:
        return None


async def get_optional_principal(
    request: Request, session: Annotated[Session, Depends(get_read_session)]
) -> Principal | None:
    known = _known_principal(request)
    if known is not None:
        return known
    return await run_in_threadpool(_optional_principal_of, request, session)


def require_csrf_for_cookie_auth(request: Request, principal: Principal) -> None:
    """A browser session changing state through the API must echo its CSRF token in a
    header (a cross-site page cannot read it); bearer tokens are not sent by browsers
    on their own, so they need nothing more."""
    if principal.via_token:
        return
    web_session = getattr(request.state, "web_session", None)
    sent = request.headers.get(CSRF_HEADER, "")
    if web_session is None or not hmac.compare_digest(sent.encode(), web_session.csrf_token.encode()):
        raise PermissionDeniedError(f"missing or wrong {CSRF_HEADER} header")


async def get_writer(
    request: Request, session: Annotated[Session, Depends(get_write_session, scope="function")]
) -> Principal:
    """The caller of a write: resolved on the request's unit of work (one connection per
    request), and, for a browser's cookie session, checked for the CSRF header. Every
    API route that changes state depends on this (a test walks the routes). A bearer
    token the edge resolved before reading the body is answered on the event loop (no
    query, no thread); any other caller is looked up in a worker thread."""
    principal: Principal | None = (
        request.scope.get(TOKEN_PRINCIPAL_KEY) if request.headers.get("authorization") else None
    )
    if principal is None:
        principal = await run_in_threadpool(principal_of, request, session)
    require_csrf_for_cookie_auth(request, principal)
    return principal


ReadSessionDep = Annotated[Session, Depends(get_read_session)]
# scope="function": the unit of work commits when the handler returns, before the
# response is sent, so a client never sees success for a write that failed to commit.
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ReferenceDep = Annotated[ReferenceData, Depends(get_reference)]
ClockDep = Annotated[Clock, Depends(clock_of)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]
# The caller of a write, on the write session, CSRF checked for cookie sessions.
WriterDep = Annotated[Principal, Depends(get_writer, scope="function")]
