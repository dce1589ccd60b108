"""The unit of work: the one place that commits.

Services take a ``Session`` and never commit; an adapter (one HTTP request, one CLI
command) opens a unit of work, calls services, and the unit of work commits once when
the block finishes without error. An exception rolls everything back, so an audit entry
and the change it records land together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from secassist.storage.engine import WRITE_OPTION, translate_error


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, lazy: bool = False) -> Iterator[Session]:
    """One writing transaction, committed once when the block ends without error.

    The transaction begins as a write (on SQLite ``BEGIN IMMEDIATE``, see
    ``storage.engine``) up front, or with ``lazy`` at its first statement, in whichever
    thread runs it: an HTTP write then takes its connection in the thread of its handler,
    not in the thread that opened the unit of work, and holds none while it waits for a
    worker thread."""
    write_bind = _write_bind(factory) if lazy else None
    session = factory() if write_bind is None else factory(bind=write_bind)
    try:
        if write_bind is None:
            session.connection(execution_options={WRITE_OPTION: True})
        yield session
        session.commit()
    except (DBAPIError, PoolTimeoutError) as exc:
        session.rollback()
        mapped = translate_error(exc)
        if mapped is None:
            raise
        raise mapped from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# The attribute of an engine holding the same engine (same pool) with one execution option
# set, per option. Kept on the engine itself, not in a WeakKeyDictionary keyed by it: an
# optioned engine refers to its parent, so such a dictionary's value would keep its own
# key alive and no disposed engine would ever be freed; on the engine, the reference is a
# cycle the garbage collector frees with it.
_OPTIONED = "_secassist_optioned"


def _optioned(engine: Engine, option: str) -> Engine:
    """``engine`` with ``option`` set on every connection it lends, made once per engine."""
    by_option: dict[str, Engine] = engine.__dict__.setdefault(_OPTIONED, {})
    found = by_option.get(option)
    if found is None:
        found = by_option[option] = engine.execution_options(**{option: True})
    return found


def _write_bind(factory: sessionmaker[Session]) -> Engine | None:
    """The factory's engine with every transaction begun as a write; None when the factory
    is bound to something else (a connection), which then begins up front."""
    bind = factory.kw.get("bind")
    return _optioned(bind, WRITE_OPTION) if isinstance(bind, Engine) else None


def open_read(factory: sessionmaker[Session]) -> Session:
    """A new session for queries only; no I/O until its first query. On PostgreSQL its
    transaction is READ ONLY: the server refuses any write in it (SQLSTATE 25006), which
    is what lets :func:`close_read` end it with COMMIT. Pair it with :func:`close_read`."""
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        # psycopg then starts the transaction with BEGIN READ ONLY (no extra statement)
        # and SQLAlchemy resets the flag when the connection goes back to the pool.
        return factory(bind=_optioned(bind, "postgresql_readonly"))
    return factory()


def close_read(session: Session) -> None:
    """End a session made by :func:`open_read`; nothing it did is ever kept.

    On PostgreSQL the READ ONLY transaction ends with COMMIT, not ROLLBACK: psycopg
    forgets every prepared statement of a connection at each ROLLBACK (it cannot tell
    what a rolled-back transaction undid), so reads that always rolled back never reached
    its prepare threshold and PostgreSQL planned every read query afresh on every
    request: about half its CPU under ``make load``. A READ ONLY transaction has nothing
    to commit; the server has refused any write in it. Elsewhere (SQLite) the session is
    rolled back."""
    try:
        if session.in_transaction() and session.get_bind().get_execution_options().get("postgresql_readonly"):
            session.commit()
    finally:
        session.close()


@contextmanager
def read_only(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for queries only: it never keeps a change (see :func:`close_read`)."""
    session = open_read(factory)
    try:
        yield session
    except BaseException:
        session.close()  # a failed read ends as it always did, rolled back
        raise
    close_read(session)
