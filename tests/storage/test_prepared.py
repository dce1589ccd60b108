"""Prepared statements bind by name, keep the literals written into them, convert results
with the columns' own types, and refuse a call that leaves a parameter out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Date, Integer, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.storage.prepared import Prepared
from secassist.storage.types import Money, UTCDateTime
from secassist.storage.uow import read_only


def test_binds_by_name_and_keeps_literals(session_factory: sessionmaker[Session]) -> None:
    add = Prepared(select(bindparam("x", type_=Integer) + 1))
    doubled = Prepared(select(bindparam("y", 5, type_=Integer) * 2))
    with read_only(session_factory) as s:
        assert add.first(s, {"x": 41}) == (42,)
        assert add.all(s, {"x": -1}) == [(0,)]
        assert doubled.first(s) == (10,)
        assert doubled.first(s, {"y": 7}) == (14,)
        with pytest.raises(KeyError, match="'x'"):
            add.all(s, {"y": 1})


def test_values_round_trip_through_the_column_types(session_factory: sessionmaker[Session]) -> None:
    at = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)
    stmt = Prepared(
        select(
            bindparam("m", type_=Money()),
            bindparam("d", type_=Date()),
            bindparam("t", type_=UTCDateTime()),
        )
    )
    with read_only(session_factory) as s:
        row = stmt.first(s, {"m": Decimal("1.5"), "d": date(2026, 1, 2), "t": at})
    assert row == (Decimal("1.50"), date(2026, 1, 2), at)
    assert row is not None
    assert isinstance(row[0], Decimal)
    assert row[2].tzinfo is not None
