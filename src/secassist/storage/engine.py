"""Engine set-up for the embedded SQLite default and for PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.config import Settings
from secassist.core.errors import (
    ConfigurationError,
    DatabaseBusyError,
    DatabaseUnavailableError,
    RetryableConflictError,
    SecassistError,
)

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


def make_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = 2.0,
) -> Engine:
    """Create an engine for ``url``; a malformed or unsupported URL is a ConfigurationError.

    ``pool_timeout`` is how long a request waits for a free connection before
    :func:`translate_error` turns the wait into :class:`DatabaseBusyError` (503): short,
    so an exhausted pool answers at once instead of freezing every caller."""
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
    if parsed.database not in (None, "", ":memory:"):  # in-memory SQLite keeps one connection
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout)
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


def engine_from_settings(settings: Settings) -> Engine:
    """The engine the settings describe (URL, echo, pool size, overflow and timeout)."""
    return make_engine(
        settings.database_url,
        echo=settings.database_echo,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
    )


def _sqlite_begin(conn: Any) -> None:
    # A writing unit of work takes the write lock up front (BEGIN IMMEDIATE): two writers
    # then queue on the busy timeout instead of one failing when it upgrades a read
    # snapshot to a write. Readers keep deferred transactions and never block.
    mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
    # Straight to the driver (autocommit mode, see _sqlite_pragmas): the statement needs
    # no parameters or result, and every request's transaction starts here.
    statement = f"BEGIN {mode}"
    try:
        conn.connection.driver_connection.execute(statement)
    except sqlite3.Error as exc:
        # SQLAlchemy wraps driver errors of the statements it runs, not of an event
        # handler's own: wrapped here, a write that waited out the busy timeout is the
        # retryable conflict (409) translate_error makes of SQLITE_BUSY, not a 500.
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


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


# SQLSTATEs after which the same transaction may succeed if simply run again (PostgreSQL
# appendix A): serialization_failure, deadlock_detected, lock_not_available.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# SQLite's SQLITE_BUSY / SQLITE_LOCKED: another connection held the lock past busy_timeout.
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def translate_error(exc: BaseException) -> SecassistError | None:
    """The error an adapter reports for a database failure, or None when ``exc`` is not
    one this knows (a bug: let it surface as a 500).

    * the pool had no free connection within its timeout: :class:`DatabaseBusyError` (503);
    * a concurrent transaction made this one fail (deadlock, serialization failure,
      SQLite busy): :class:`RetryableConflictError` (409), nothing was written;
    * any other operational failure (the server went away): :class:`DatabaseUnavailableError`.
    """
    if isinstance(exc, PoolTimeoutError):
        return DatabaseBusyError("every database connection is in use; retry shortly")
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    text_ = str(orig).strip().splitlines()[0] if orig is not None and str(orig).strip() else str(exc)
    busy_name = str(getattr(orig, "sqlite_errorname", ""))
    if sqlstate in _RETRYABLE_SQLSTATES or busy_name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return RetryableConflictError(f"a concurrent transaction interfered ({text_}); retry")
    if isinstance(exc, OperationalError):
        if text_.lower().startswith(_SQLITE_BUSY):
            return RetryableConflictError(f"a concurrent transaction interfered ({text_}); retry")
        return DatabaseUnavailableError(f"database error: {text_}")
    return None
