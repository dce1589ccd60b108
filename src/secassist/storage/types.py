"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC-aware in Python.

    PostgreSQL stores ``timestamptz``; SQLite has no zone, so values are stored as UTC
    and the zone is put back on read. Naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: secassist stores UTC-aware times only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def sqlite_text(value: datetime) -> str:
    """The text :class:`UTCDateTime` stores on SQLite for ``value`` (what the ORM writes
    through SQLAlchemy's SQLite DATETIME), for code that writes rows with the raw driver:
    one C call where the type's processors take several Python ones."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: secassist stores UTC-aware times only")
    # In UTC the form is always 26 characters before the "+00:00" (a 4-digit year):
    # slicing it off is cheaper than replace(tzinfo=None).
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


class Money(TypeDecorator[Decimal]):
    """US dollars to the cent as an exact decimal (NUMERIC(18, 2)).

    SQLite's NUMERIC affinity would store REAL; this type stores the canonical string
    there so no amount ever passes through a binary float.
    """

    impl = Numeric(18, 2, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            from sqlalchemy import String

            return dialect.type_descriptor(String(24))
        return dialect.type_descriptor(Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be Decimal, got {type(value).__name__}")
        q = value.quantize(Decimal("0.01"))
        return str(q) if dialect.name == "sqlite" else q

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal("0.01"))
