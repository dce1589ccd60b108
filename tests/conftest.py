"""Shared fixtures. Which one to use:

- ``db_url``: a fresh, migrated database of the backend under test (SQLite file, or a
  PostgreSQL database cloned from a migrated template when SECASSIST_TEST_DATABASE_URL is
  set). ``app_env`` is the environment that points ``secassist`` at it (``tests.support.run_cli``).
- ``demo_db``: request it and that database starts with the demo dataset loaded.
- ``engine`` / ``session_factory``: the same database opened in-process. Services get a
  session from ``unit_of_work(session_factory)`` exactly as adapters do.
- ``empty_db_url``: a database with no schema at all, for migration tests.
- ``client``: a FastAPI TestClient over ``engine`` (lifespan run).
- ``live_server``: uvicorn on a loopback port over ``engine``, for the browser tests.
- ``browser`` / ``page``: the run's one Chromium, and a fresh context on ``live_server`` per test.
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
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.config import Settings
from secassist.identity import passwords
from secassist.reference.service import ReferenceData, get_reference
from secassist.storage.engine import make_engine, make_session_factory
from secassist.storage.migrate import upgrade
from secassist.storage.uow import unit_of_work

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import Browser, Page

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


def load_demo_into(url: str) -> None:
    """Load the demo dataset into the database at ``url`` (the suite's one reference to the loader)."""
    from secassist.demo.dataset import load_demo

    eng = make_engine(url)
    try:
        with unit_of_work(make_session_factory(eng)) as s:
            load_demo(s)
        if not PG_URL:
            with eng.connect() as c:
                c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        eng.dispose()


def _create_database(name: str, template: str | None) -> str:
    """CREATE DATABASE as a file copy of ``template``: PostgreSQL 15's default strategy
    (WAL_LOG) writes every block of the copy to the WAL, about 150 ms a database here
    against 45 ms for FILE_COPY, and the suite creates one database per test."""
    tpl = f' TEMPLATE "{template}"' if template else ""
    return f'CREATE DATABASE "{name}"{tpl} STRATEGY FILE_COPY'


class _Databases:
    """Creates fresh databases quickly: copies of one migrated template, or of a second
    template with the demo dataset loaded (made on first use, once per test process).

    A SQLite database lives alone in its own directory and is copied with that directory,
    so whatever is kept beside the file (the audit signing key) travels with it.
    """

    FILE = "secassist.db"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []
        self.templates: list[str] = []
        self.demo_template: str | None = None
        if PG_URL:
            self.admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
            self.template = self._create_pg(f"secassist_tpl_{os.getpid()}", template=None)
            eng = make_engine(self._pg_url(self.template))
            upgrade(eng)
            eng.dispose()
        else:
            self.template = str(tmp / "template")
            eng = make_engine(self._sqlite_url(self.template))
            upgrade(eng)
            with eng.connect() as c:
                c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            eng.dispose()

    def _pg_url(self, name: str) -> str:
        assert PG_URL
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def _sqlite_url(self, directory: str) -> str:
        Path(directory).mkdir(exist_ok=True)
        return f"sqlite:///{Path(directory) / self.FILE}"

    def _create_pg(self, name: str, *, template: str | None) -> str:
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            c.execute(text(_create_database(name, template)))
        self.templates.append(name)
        return name

    def _demo(self) -> str:
        """The demo template: a copy of the migrated one with the demo dataset loaded."""
        if self.demo_template is None:
            if PG_URL:
                name = self._create_pg(f"secassist_demo_{os.getpid()}", template=self.template)
                load_demo_into(self._pg_url(name))
            else:
                name = str(self.tmp / "demo")
                shutil.copytree(self.template, name)
                load_demo_into(self._sqlite_url(name))
            self.demo_template = name
        return self.demo_template

    def new(self, *, migrated: bool = True, demo: bool = False) -> str:
        n = next(_counter)
        template = self._demo() if demo else self.template if migrated else None
        if PG_URL:
            name = f"secassist_t{os.getpid()}_{n}"
            with self.admin.connect() as c:
                c.execute(text(_create_database(name, template)))
            self.created.append(name)
            return self._pg_url(name)
        directory = str(self.tmp / f"t{n}")
        if template:
            shutil.copytree(template, directory)
        return self._sqlite_url(directory)

    def drop(self, url: str) -> None:
        if PG_URL:
            name = make_url(url).database
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if PG_URL:
            with self.admin.connect() as c:
                for name in self.templates:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Databases]:
    dbs = _Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture
def demo_db() -> None:
    """Ask for it, in a test or in a fixture, and the test's database (``db_url``, ``engine``,
    ``session_factory``, ``client``, ``live_server``, ``app_env``) starts with the demo dataset
    loaded: a copy of a template loaded once per test process, instead of a load per test."""


@pytest.fixture
def db_url(request: pytest.FixtureRequest, databases: _Databases) -> Iterator[str]:
    url = databases.new(demo="demo_db" in request.fixturenames)
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
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, env="development")


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return get_reference()


@pytest.fixture
def app_env(db_url: str) -> dict[str, str]:
    """The environment that points ``secassist`` (``tests.support.run_cli``) at the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECASSIST_")}
    env["SECASSIST_DATABASE_URL"] = db_url
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    return env


def _app(settings: Settings, engine: Engine) -> FastAPI:
    """The application under test (the suite's one reference to the app factory)."""
    from secassist.http.app import create_app

    return create_app(settings=settings, engine=engine)


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[object]:
    from fastapi.testclient import TestClient

    with TestClient(_app(settings, engine)) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live_server(settings: Settings, engine: Engine) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(
        _app(settings, engine),
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


# --- the browser ---------------------------------------------------------------------------
# Debian's Chromium driven by Playwright (Playwright's own browser download does not work
# here). One Chromium serves the whole test process; each test opens its own context.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The run's one Chromium, started on first use."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser context per test, its relative URLs resolved against the live server.
    With the demo: ``pytestmark = pytest.mark.usefixtures("demo_db")`` (or ask for ``demo_db``)."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()
