"""Portable column types behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Integer, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from secassist.storage.types import Money, UTCDateTime, sqlite_text


class _Base(DeclarativeBase):
    pass


class Probe(_Base):
    __tablename__ = "probe_types"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    amount: Mapped[Decimal | None] = mapped_column(Money())


@pytest.fixture
def probe_engine(engine: Engine) -> Iterator[Engine]:
    _Base.metadata.create_all(engine)
    yield engine
    _Base.metadata.drop_all(engine)


def test_datetimes_come_back_utc_aware(probe_engine: Engine) -> None:
    plus5 = timezone(timedelta(hours=5))
    with Session(probe_engine) as s:
        s.add(Probe(id=1, at=datetime(2026, 3, 1, 17, 30, tzinfo=plus5)))
        s.commit()
    with Session(probe_engine) as s:
        got = s.scalars(select(Probe.at)).one()
    assert got == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert got is not None
    assert got.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(probe_engine: Engine) -> None:
    with Session(probe_engine) as s:
        s.add(Probe(id=2, at=datetime(2026, 3, 1)))
        with pytest.raises(StatementError, match="naive datetime"):
            s.flush()


@pytest.mark.parametrize("amount", ["0.01", "14000000.00", "9999999999999999.99", "-123.45"])
def test_money_round_trips_exactly(probe_engine: Engine, amount: str) -> None:
    with Session(probe_engine) as s:
        s.add(Probe(id=3, amount=Decimal(amount)))
        s.commit()
    with Session(probe_engine) as s:
        got = s.scalars(select(Probe.amount)).one()
    assert got == Decimal(amount)
    assert isinstance(got, Decimal)


def test_money_refuses_float(probe_engine: Engine) -> None:
    with Session(probe_engine) as s:
        s.add(Probe(id=4, amount=0.1))  # type: ignore[arg-type]
        with pytest.raises(StatementError, match="money must be Decimal"):
            s.flush()


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5)), timezone(timedelta(hours=-11))])
    )
)
def test_sqlite_text_is_what_the_orm_stores(at: datetime) -> None:
    # The audit log writes `at` with the raw driver; a row it writes must hold the same
    # text as one the ORM writes.
    dialect = sqlite.dialect()
    orm = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert orm is not None
    try:
        expected = orm(at)
    except OverflowError:  # outside datetime's range once moved to UTC
        return
    assert sqlite_text(at) == expected


def test_sqlite_text_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_text(datetime(2026, 1, 1))
