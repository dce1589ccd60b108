"""Health, the OpenAPI document, and the app factory's start-up contract.

The factory must do no work at import time or in ``create_app()``: the engine is made,
pinged and checked against the migration head only when the lifespan starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.pool import QueuePool

from secassist.core.config import Settings
from secassist.core.errors import DatabaseNotMigratedError, DatabaseUnavailableError
from secassist.http.app import create_app
from secassist.storage.engine import engine_from_settings, make_engine
from secassist.storage.migrate import head_revision

# TEST-NET-1 (RFC 5737): nothing answers there, so a connection attempt would hang.
UNREACHABLE_PG = "postgresql+psycopg://nobody:secret@192.0.2.1:5432/nowhere"

REFERENCE_PATHS = [
    "/api/v1/reference/countries",
    "/api/v1/reference/countries/{code}",
    "/api/v1/reference/regions",
    "/api/v1/reference/nato/members",
    "/api/v1/reference/nato/bodies",
    "/api/v1/reference/notification-groups/{group}",
    "/api/v1/reference/mnna",
    "/api/v1/reference/itar-126-1",
    "/api/v1/reference/usml",
    "/api/v1/reference/implementing-agencies",
    "/api/v1/reference/coverage",
]


# --- health ------------------------------------------------------------------------


def test_health_reports_ok_backend_and_schema_revision(client: Any, backend: str) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == backend
    assert body["schema_revision"] == head_revision()
    assert body["version"]


def test_health_refuses_post_with_problem_json(client: Any) -> None:
    r = client.post("/api/v1/health")
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "method_not_allowed"


# --- OpenAPI and docs --------------------------------------------------------------------


def test_openapi_lists_every_reference_path(client: Any) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    doc = json.loads(r.text)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "secassist"
    paths = doc["paths"]
    for path in [*REFERENCE_PATHS, "/api/v1/health"]:
        assert "get" in paths.get(path, {}), f"{path} missing from the OpenAPI document"
    # The web pages are not part of the API description.
    assert not [p for p in paths if not p.startswith("/api/v1/")]


def test_openapi_declares_the_as_of_date_parameter(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/api/v1/reference/nato/members"]["get"]["parameters"]}
    assert params["on"]["required"] is True
    assert params["on"]["in"] == "query"
    assert params["on"]["schema"]["format"] == "date"


def test_docs_serve_html_pointing_at_the_openapi_document(client: Any) -> None:
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower()
    assert "/api/v1/openapi.json" in r.text


def test_redoc_is_disabled(client: Any) -> None:
    r = client.get("/redoc")
    assert r.status_code == 404


# --- the factory does no work before start-up ----------------------------------------------

_IMPORT_PROBE = textwrap.dedent(
    """
    import json, sys, time

    import psycopg
    import sqlalchemy
    import sqlalchemy.engine

    engines, connects = [], []
    _create_engine = sqlalchemy.create_engine

    def recording_create_engine(*args, **kwargs):
        engines.append(str(args[0]) if args else "")
        return _create_engine(*args, **kwargs)

    def refusing_connect(*args, **kwargs):
        connects.append("psycopg")
        raise psycopg.OperationalError("connection attempted during import")

    sqlalchemy.create_engine = recording_create_engine
    sqlalchemy.engine.create_engine = recording_create_engine
    psycopg.connect = refusing_connect
    psycopg.Connection.connect = classmethod(refusing_connect)

    t0 = time.perf_counter()
    import secassist.http.app as app_module
    imported = time.perf_counter() - t0

    from secassist.reference.service import get_reference
    loaded_at_import = get_reference.cache_info().currsize

    t1 = time.perf_counter()
    app = app_module.create_app()
    created = time.perf_counter() - t1

    print(json.dumps({
        "engines": engines,
        "connects": connects,
        "import_seconds": imported,
        "create_seconds": created,
        "reference_loaded": loaded_at_import + get_reference.cache_info().currsize,
        "routes": len(app.routes),
    }))
    """
)


def test_importing_the_app_module_and_creating_the_app_touch_no_database() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECASSIST_")}
    env["SECASSIST_DATABASE_URL"] = UNREACHABLE_PG
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["engines"] == []
    assert report["connects"] == []
    assert report["reference_loaded"] == 0
    assert report["routes"] > 0
    # No timing bound here (a loaded CI machine would make it flaky): the hooks above
    # already record every engine creation and connection attempt, which is the claim.


def test_create_app_in_process_neither_makes_nor_pings_an_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    import secassist.http.app as app_module

    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("create_app() touched the database")

    monkeypatch.setattr(app_module, "engine_from_settings", forbidden)
    monkeypatch.setattr(app_module, "ping", forbidden)
    monkeypatch.setattr(app_module, "ensure_at_head", forbidden)
    monkeypatch.setattr(app_module, "load_settings", forbidden)
    app = app_module.create_app()
    assert app.openapi_url == "/api/v1/openapi.json"


# --- the lifespan refuses a database it cannot serve ------------------------------------------


def test_startup_fails_on_a_database_without_schema(empty_db_url: str) -> None:
    from fastapi.testclient import TestClient

    engine = make_engine(empty_db_url)
    try:
        app = create_app(settings=Settings(database_url=empty_db_url), engine=engine)
        with (
            pytest.raises(DatabaseNotMigratedError, match="has no schema yet") as exc_info,
            TestClient(app),
        ):
            pass
    finally:
        engine.dispose()
    assert head_revision() in str(exc_info.value)
    assert "secassist db upgrade" in str(exc_info.value)


def test_startup_fails_on_a_database_at_another_revision(engine: Engine, settings: Settings) -> None:
    from fastapi.testclient import TestClient

    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    app = create_app(settings=settings, engine=engine)
    with pytest.raises(DatabaseNotMigratedError, match="is at revision ffffffffffff"), TestClient(app):
        pass


def idle_connections(eng: Engine) -> int:
    """Connections open in the engine's pool (0 once the engine is disposed)."""
    assert isinstance(eng.pool, QueuePool)
    return eng.pool.checkedin()


@pytest.fixture
def engines_made_by_the_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Engine]]:
    """Records the engines the lifespan makes itself, and disposes of them after the test."""
    import secassist.http.app as app_module

    made: list[Engine] = []

    def recording_engine_from_settings(s: Settings) -> Engine:
        eng = engine_from_settings(s)
        made.append(eng)
        return eng

    monkeypatch.setattr(app_module, "engine_from_settings", recording_engine_from_settings)
    yield made
    for eng in made:
        eng.dispose()


def test_startup_builds_its_own_engine_from_settings_and_checks_it(
    empty_db_url: str, engines_made_by_the_app: list[Engine]
) -> None:
    """Without an injected engine, the lifespan makes one from the settings (production path)."""
    from fastapi.testclient import TestClient

    app = create_app(settings=Settings(database_url=empty_db_url))
    assert engines_made_by_the_app == []
    with pytest.raises(DatabaseNotMigratedError), TestClient(app):
        pass
    assert len(engines_made_by_the_app) == 1


def test_startup_serves_and_then_disposes_its_own_engine(
    db_url: str, engines_made_by_the_app: list[Engine], backend: str
) -> None:
    from fastapi.testclient import TestClient

    app = create_app(settings=Settings(database_url=db_url))
    with TestClient(app) as c:
        assert c.get("/api/v1/health").json()["database"] == backend
        (eng,) = engines_made_by_the_app
        assert idle_connections(eng) == 1
    assert idle_connections(eng) == 0  # disposed at shutdown


def test_failed_startup_disposes_the_engine_it_made(
    empty_db_url: str, engines_made_by_the_app: list[Engine]
) -> None:
    from fastapi.testclient import TestClient

    app = create_app(settings=Settings(database_url=empty_db_url))
    with pytest.raises(DatabaseNotMigratedError), TestClient(app):
        pass
    (eng,) = engines_made_by_the_app
    assert idle_connections(eng) == 0, "the pooled connection of the failed start-up is still open"


def test_startup_fails_when_the_database_cannot_be_reached(tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    url = f"sqlite:///{tmp_path}/missing-dir/secassist.db"
    app = create_app(settings=Settings(database_url=url))
    with pytest.raises(DatabaseUnavailableError, match="cannot reach the database"), TestClient(app):
        pass
