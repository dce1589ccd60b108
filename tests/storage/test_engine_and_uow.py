from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.errors import ConfigurationError, DatabaseUnavailableError
from secassist.reference.models import CountryRow
from secassist.storage.engine import make_engine, ping
from secassist.storage.uow import read_only, unit_of_work


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


def _write_two_then_fail(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as s:
        s.add(CountryRow(code="ZY", alpha3="ZZY", name="A", region="EUR", fms_code="ZY", territory=False))
        s.flush()
        s.add(CountryRow(code="ZX", alpha3="ZZX", name="B", region="EUR", fms_code="ZX", territory=False))
        s.flush()
        raise RuntimeError("boom after two writes")


def test_unit_of_work_rolls_back_everything_on_error(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _write_two_then_fail(session_factory)
    assert _count(session_factory) == 0


def test_read_only_never_commits(session_factory: sessionmaker[Session]) -> None:
    with read_only(session_factory) as s:
        s.add(CountryRow(code="ZW", alpha3="ZZW", name="C", region="EUR", fms_code="ZW", territory=False))
        s.flush()
    assert _count(session_factory) == 0
