from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.errors import ConfigurationError, DatabaseUnavailableError, RetryableConflictError
from secassist.reference.models import CountryRow
from secassist.storage.engine import WRITE_OPTION, make_engine, make_session_factory, ping
from secassist.storage.uow import close_read, open_read, read_only, unit_of_work


def test_backend_specific_engine_setup(engine: Engine, backend: str) -> None:
    with engine.connect() as c:
        if backend == "sqlite":
            assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert c.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        else:
            assert engine.dialect.driver == "psycopg"
            assert c.execute(text("SHOW TimeZone")).scalar() is not None
            assert c.execute(text("SELECT current_setting('server_encoding')")).scalar() == "UTF8"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://u@h/db", "psycopg 3"),
    ],
)
def test_bad_urls_are_configuration_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_engine(url)


def test_unreachable_database_is_one_clear_error() -> None:
    eng = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    with pytest.raises(DatabaseUnavailableError, match=r"cannot reach the database at .*127\.0\.0\.1:1"):
        ping(eng)


def _count(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(CountryRow)) or 0


def test_unit_of_work_commits_once_on_success(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        s.add(CountryRow(code="ZZ", alpha3="ZZZ", name="Test", region="EUR", fms_code="ZZ", territory=False))
        s.flush()
        assert _count(session_factory) == 0  # not visible before the commit
    assert _count(session_factory) == 1


def _write_two_then_fail(factory: sessionmaker[Session], *, lazy: bool = False) -> None:
    with unit_of_work(factory, lazy=lazy) as s:
        s.add(CountryRow(code="ZY", alpha3="ZZY", name="A", region="EUR", fms_code="ZY", territory=False))
        s.flush()
        s.add(CountryRow(code="ZX", alpha3="ZZX", name="B", region="EUR", fms_code="ZX", territory=False))
        s.flush()
        raise RuntimeError("boom after two writes")


def test_unit_of_work_rolls_back_everything_on_error(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _write_two_then_fail(session_factory)
    assert _count(session_factory) == 0


def test_read_only_never_commits(session_factory: sessionmaker[Session], backend: str) -> None:
    def write_in_a_read() -> None:
        with read_only(session_factory) as s:
            s.add(CountryRow(code="ZW", alpha3="ZZW", name="C", region="EUR", fms_code="ZW", territory=False))
            s.flush()

    if backend == "postgresql":
        # The read transaction is READ ONLY (it ends with COMMIT): the server refuses the write.
        with pytest.raises(DBAPIError, match="read-only transaction"):
            write_in_a_read()
    else:
        write_in_a_read()
    assert _count(session_factory) == 0


def test_read_session_closed_by_close_read_keeps_nothing(session_factory: sessionmaker[Session]) -> None:
    s = open_read(session_factory)
    try:
        s.execute(text("SELECT 1"))
    finally:
        close_read(s)
    assert not s.in_transaction()
    with read_only(session_factory) as s2:
        assert s2.scalar(text("SELECT 2")) == 2


def test_reads_are_read_only_and_writes_are_not_on_the_same_pool(
    session_factory: sessionmaker[Session], backend: str
) -> None:
    # One pooled connection serves reads and writes in turn: the read-only flag must not
    # leak from a read to the unit of work that next checks the connection out.
    for _ in range(3):
        with read_only(session_factory) as s:
            if backend == "postgresql":
                assert s.scalar(text("SHOW transaction_read_only")) == "on"
            assert s.scalar(select(func.count()).select_from(CountryRow)) is not None
        with unit_of_work(session_factory) as s:
            if backend == "postgresql":
                assert s.scalar(text("SHOW transaction_read_only")) == "off"
    with unit_of_work(session_factory) as s:
        s.add(CountryRow(code="ZV", alpha3="ZZV", name="D", region="EUR", fms_code="ZV", territory=False))
    assert _count(session_factory) == 1


def test_repeated_reads_are_prepared_once_per_connection(engine: Engine, backend: str) -> None:
    """psycopg prepares a statement after its 5th run on a connection, and forgets all of
    them at a ROLLBACK: reads end with COMMIT on PostgreSQL so that the hot queries are
    prepared rather than planned on every request."""
    factory = make_session_factory(engine)
    query = select(CountryRow.name).where(CountryRow.code == "PL")
    seen = set()
    for _ in range(8):
        with read_only(factory) as s:
            seen.add(tuple(s.execute(query).all()))
    assert len(seen) == 1  # a prepared statement answers as the planned one did
    if backend == "postgresql":
        with read_only(factory) as s:
            prepared = s.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
        assert any("FROM reference_country" in p for p in prepared), prepared


def test_a_lazy_unit_of_work_takes_its_connection_at_its_first_statement(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    """An HTTP write opens its unit of work in one worker thread and runs its handler in
    another: lazily begun, it holds no connection in between (issue #16), and its
    transaction still begins as a write and commits once."""
    before = engine.pool.checkedout()
    with unit_of_work(session_factory, lazy=True) as s:
        assert engine.pool.checkedout() == before
        s.add(CountryRow(code="ZY", alpha3="ZZY", name="E", region="EUR", fms_code="ZY", territory=False))
        s.flush()
        assert engine.pool.checkedout() == before + 1
        assert s.connection().get_execution_options().get(WRITE_OPTION) is True
    assert engine.pool.checkedout() == before
    assert _count(session_factory) == 1


def test_a_lazy_unit_of_work_rolls_back_on_error(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _write_two_then_fail(session_factory, lazy=True)
    assert _count(session_factory) == 0


def test_a_write_that_waits_out_sqlites_lock_is_a_retryable_conflict(tmp_path: Path) -> None:
    """SQLite's write lock held past the busy timeout fails the writer's ``BEGIN
    IMMEDIATE``, which the engine sends itself: it must reach callers as the retryable
    409 of :func:`translate_error`, not as the driver's bare error (an HTTP 500)."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.commit()
        holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock throughout
        try:
            factory = make_session_factory(engine)
            with pytest.raises(RetryableConflictError, match="database is locked"), unit_of_work(factory):
                pass
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    finally:
        engine.dispose()


def test_an_engine_with_options_set_is_cached_without_keeping_the_engine_alive(tmp_path: Path) -> None:
    # The read-only bind (PostgreSQL) and the lazy write bind (HTTP writes, both databases)
    # are the engine with an option set, made once per engine: that cache must not keep a
    # disposed engine alive (every test engine was).
    import gc
    import weakref

    from secassist.storage.uow import _optioned

    engine = make_engine(f"sqlite:///{tmp_path / 'freed.db'}")
    first = _optioned(engine, "postgresql_readonly")
    assert _optioned(engine, "postgresql_readonly") is first
    assert first.get_execution_options()["postgresql_readonly"] is True
    engine.dispose()
    ref = weakref.ref(engine)
    del engine, first
    gc.collect()
    assert ref() is None
