"""The shared HTTP plumbing: every API write goes through the CSRF-checking write
dependency, token expiry reads the injected clock, and a burst of concurrent writers on
a small pool answers 409/503 quickly (never 500, never a freeze) — issue #11."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from secassist.api.router import ROUTERS
from secassist.core.clock import FixedClock
from secassist.core.config import Settings
from secassist.http.app import create_app
from secassist.http.deps import get_read_session, get_writer
from secassist.identity import service as identity
from secassist.identity.tokens import issue_token
from secassist.storage.engine import engine_from_settings, make_session_factory
from secassist.storage.uow import unit_of_work
from tests.api.test_cases_api import API, _new_case
from tests.cases.factories import World, make_world

SAFE = {"GET", "HEAD", "OPTIONS"}


def _calls(dependant: Any) -> set[Any]:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _routes(router: Any) -> Iterator[APIRoute]:
    for route in router.routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _routes(route.original_router)


def test_every_api_write_route_checks_csrf_on_one_connection() -> None:
    app = create_app()
    mounted = {id(getattr(r, "original_router", None)) for r in app.routes}
    assert all(id(r) in mounted for r in ROUTERS), "the app factory mounts every API router"
    writes = [r for router in ROUTERS for r in _routes(router) if r.methods - SAFE]
    assert len(writes) > 20
    for route in writes:
        calls = _calls(route.dependant)
        assert get_writer in calls, f"{route.path} {route.methods}: use WriterDep"
        # A read session beside the unit of work would hold a second connection.
        assert get_read_session not in calls, f"{route.path} {route.methods}: use WriteSessionDep"


def test_a_token_expires_at_its_expiry_time_on_the_injected_clock(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    world = make_world(session_factory)
    start = datetime(2030, 1, 1, 12, tzinfo=UTC)
    with unit_of_work(session_factory) as s:
        raw, token = issue_token(
            s, actor=None, user_id=world.dod.user_id, name="t", days=1, clock=FixedClock(start)
        )
    expires = token.expires_at
    assert expires == start + timedelta(days=1)
    h = {"Authorization": f"Bearer {raw}"}
    for at, status in ((expires - timedelta(seconds=1), 200), (expires, 401)):
        with TestClient(create_app(settings=settings, engine=engine, clock=FixedClock(at))) as c:
            assert c.get(f"{API}/auth/me", headers=h).status_code == status, at


# --- a burst of writers ----------------------------------------------------------------------------


@pytest.fixture
def small_pool_server(settings: Settings, db_url: str) -> Iterator[tuple[str, sessionmaker[Session]]]:
    """uvicorn on loopback over an engine with the settings' (small) pool."""
    import socket

    import uvicorn

    s = settings.model_copy(update={"db_pool_size": 3, "db_max_overflow": 2, "db_pool_timeout": 1.0})
    eng = engine_from_settings(s)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings=s, engine=eng), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", make_session_factory(eng)
    server.should_exit = True
    thread.join(timeout=10)
    eng.dispose()


def _request(
    url: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, dict[str, str], float]:
    req = urllib.request.Request(  # noqa: S310 - the loopback test server
        url, data=body, headers={**headers, "Content-Type": "application/json"}
    )
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback test server
            return r.status, dict(r.headers), time.monotonic() - t0
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), time.monotonic() - t0


def test_thirty_concurrent_writers_one_wins_none_500_and_reads_still_answer(
    small_pool_server: tuple[str, sessionmaker[Session]],
) -> None:
    import json

    base, factory = small_pool_server
    world: World = make_world(factory)
    with unit_of_work(factory) as s:
        raw, _ = issue_token(s, actor=None, user_id=identity.user_by_name(s, "user.dod").id, name="t")
    h = {"Authorization": f"Bearer {raw}"}
    with httpx.Client(base_url=base, timeout=30) as c:  # TestClient's interface, over real HTTP
        case = _new_case(c, h, contractor=world.industry_org_id)  # type: ignore[arg-type]
    body = json.dumps({"to": "lor_complete", "version": case["version"]}).encode()
    url = f"{base}{API}/cases/{case['id']}/advance"
    results: list[tuple[int, dict[str, str], float]] = []
    go = threading.Barrier(31)

    def writer() -> None:
        go.wait()
        results.append(_request(url, h, body))

    threads = [threading.Thread(target=writer) for _ in range(30)]
    for t in threads:
        t.start()
    go.wait()
    time.sleep(0.05)
    read = _request(f"{base}{API}/cases/{case['id']}", h)
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(code for code, _, _ in results)
    assert len(statuses) == 30
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 503}, statuses
    for code, headers, took in results:
        assert took < 15, (code, took)  # no freeze on the pool or the lock
        if code == 503:
            assert headers.get("retry-after") or headers.get("Retry-After"), headers
    assert read[0] in (200, 503), read
    assert read[2] < 10, read


def _thread_tokens() -> float:
    return anyio.to_thread.current_default_thread_limiter().total_tokens


@pytest.mark.parametrize("threads", [None, 3])
def test_worker_threads_setting_bounds_the_sync_handlers(
    engine: Engine, settings: Settings, threads: int | None
) -> None:
    """SECASSIST_WORKER_THREADS sets how many sync handlers a process runs at once; unset,
    anyio's default stays."""
    s = settings.model_copy(update={"worker_threads": threads})
    with TestClient(create_app(settings=s, engine=engine)) as c:
        assert c.get("/api/v1/health").status_code == 200
        assert c.portal is not None
        assert c.portal.call(_thread_tokens) == (threads or 40)
