"""Shared fixtures. Which one to use:

- ``db_url``: a fresh, migrated database of the backend under test (SQLite file, or a
  PostgreSQL database cloned from a migrated template when SECASSIST_TEST_DATABASE_URL is
  set). Use it for CLI tests that run ``secassist`` in a subprocess.
- ``engine`` / ``session_factory``: the same database opened in-process. Services get a
  session from ``unit_of_work(session_factory)`` exactly as adapters do.
- ``empty_db_url``: a database with no schema at all, for migration tests.
- ``client``: a FastAPI TestClient over ``engine`` (lifespan run).
- ``live_server``: uvicorn on a loopback port over ``engine``, for the browser tests.
- ``reference``: the packaged reference data.
The suite runs twice in ``make test``: once on SQLite, once on PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.config import Settings
from secassist.identity import passwords
from secassist.reference.service import ReferenceData, get_reference
from secassist.storage.engine import make_engine, make_session_factory
from secassist.storage.migrate import upgrade

# Argon2's RFC 9106 parameters cost ~100 ms a hash; tests create many users.
passwords.use_cheap_hashing_for_tests()

PG_URL = os.environ.get("SECASSIST_TEST_DATABASE_URL")
BACKEND = "postgresql" if PG_URL else "sqlite"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_counter = itertools.count()


def pytest_report_header() -> str:
    return f"secassist backend: {BACKEND}"


@pytest.fixture(scope="session")
def backend() -> str:
    return BACKEND


class _Databases:
    """Creates fresh databases quickly: copies of one migrated template."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []
        if PG_URL:
            self.admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
            self.template = f"secassist_tpl_{os.getpid()}"
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.template}"'))
                c.execute(text(f'CREATE DATABASE "{self.template}"'))
            eng = make_engine(self._pg_url(self.template))
            upgrade(eng)
            eng.dispose()
        else:
            self.template_file = tmp / "template.db"
            eng = make_engine(f"sqlite:///{self.template_file}")
            upgrade(eng)
            with eng.connect() as c:
                c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            eng.dispose()

    def _pg_url(self, name: str) -> str:
        assert PG_URL
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def new(self, *, migrated: bool = True) -> str:
        n = next(_counter)
        if PG_URL:
            name = f"secassist_t{os.getpid()}_{n}"
            tpl = f' TEMPLATE "{self.template}"' if migrated else ""
            with self.admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"{tpl}'))
            self.created.append(name)
            return self._pg_url(name)
        path = self.tmp / f"t{n}.db"
        if migrated:
            shutil.copyfile(self.template_file, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        if PG_URL:
            name = make_url(url).database
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if PG_URL:
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Databases]:
    dbs = _Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture
def db_url(databases: _Databases) -> Iterator[str]:
    url = databases.new()
    yield url
    databases.drop(url)


@pytest.fixture
def empty_db_url(databases: _Databases) -> Iterator[str]:
    url = databases.new(migrated=False)
    yield url
    databases.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, env="development", data_dir=tmp_path / "var")


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return get_reference()


@pytest.fixture
def app_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running ``secassist`` in a subprocess against the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECASSIST_")}
    env["SECASSIST_DATABASE_URL"] = db_url
    env["SECASSIST_DATA_DIR"] = str(tmp_path / "var")
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    return env


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from secassist.http.app import create_app

    with TestClient(create_app(settings=settings, engine=engine)) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live_server(settings: Settings, engine: Engine) -> Iterator[str]:
    import uvicorn

    from secassist.http.app import create_app

    port = _free_port()
    config = uvicorn.Config(
        create_app(settings=settings, engine=engine),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
