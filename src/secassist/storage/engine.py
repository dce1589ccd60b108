"""Engine set-up for the embedded SQLite default and for PostgreSQL (psycopg 3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.errors import ConfigurationError, DatabaseUnavailableError

SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"


WRITE_OPTION = "secassist_write"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN
    # cannot say IMMEDIATE).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    # WAL lets the web server read while a CLI command writes; foreign keys are off
    # by default in SQLite; the busy timeout turns lock contention into waiting.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url``; a malformed or unsupported URL is a ConfigurationError."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"SECASSIST_DATABASE_URL is not a database URL: {url!r} "
            "(expected sqlite:///path.db or postgresql+psycopg://user@host:port/name)"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigurationError(
            f"SECASSIST_DATABASE_URL names an unsupported database {backend!r}; "
            f"use one of {', '.join(SUPPORTED_BACKENDS)}"
        )
    if backend == "postgresql" and parsed.get_driver_name() not in ("psycopg", "postgresql"):
        raise ConfigurationError("PostgreSQL URLs must use the psycopg 3 driver: postgresql+psycopg://…")
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if backend == "postgresql":
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigurationError(f"SECASSIST_DATABASE_URL {_redact(url)} is invalid: {exc}") from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(conn: Any) -> None:
    # A writing unit of work takes the write lock up front (BEGIN IMMEDIATE): two writers
    # then queue on the busy timeout instead of one failing when it upgrades a read
    # snapshot to a write. Readers keep deferred transactions and never block.
    mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
    # Straight to the driver (autocommit mode, see _sqlite_pragmas): the statement needs
    # no parameters or result, and every request's transaction starts here.
    conn.connection.driver_connection.execute(f"BEGIN {mode}")


def ping(engine: Engine) -> None:
    """Open one connection; an unreachable database is a DatabaseUnavailableError."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailableError(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: {reason}"
        ) from None


class ProjectSession(Session):
    """The class of every session secassist's sessionmakers make. Session hooks of the
    platform (the audit write buffer, ``audit/buffer.py``) listen on this class rather
    than on ``Session``, so a plain SQLAlchemy session elsewhere in the process runs none
    of them."""


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Every model imported first, so that foreign keys across domains (program_entry →
    # fms_case_line) resolve whichever domain a command happens to touch.
    from secassist.storage.base import load_all_models

    load_all_models()
    # expire_on_commit=False: adapters render objects after the unit of work commits.
    return sessionmaker(bind=engine, class_=ProjectSession, expire_on_commit=False, autoflush=True)
