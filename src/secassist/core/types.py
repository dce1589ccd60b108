"""Small shared value types."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from secassist.core.errors import ValidationFailedError

CENT = Decimal("0.01")


def to_money(value: object, *, field: str = "amount", allow_negative: bool = False) -> Decimal:
    """Parse a money amount exactly (never through float), to the cent.

    Rejects floats outright: a binary float cannot carry a dollar amount exactly.
    """
    if isinstance(value, bool | float):
        raise ValidationFailedError(f"{field}: give money as a string or integer, not {value!r}", field=field)
    try:
        amount = Decimal(str(value).replace(",", "").replace("$", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailedError(f"{field}: {value!r} is not a number", field=field) from None
    if not amount.is_finite():
        raise ValidationFailedError(f"{field}: {value!r} is not a finite amount", field=field)
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_EVEN):
        raise ValidationFailedError(f"{field}: {value!r} has fractions of a cent", field=field)
    if amount < 0 and not allow_negative:
        raise ValidationFailedError(f"{field}: {value!r} is negative", field=field)
    return amount.quantize(CENT)


# Serialised as a string so JSON clients never round-trip money through a float.
Money = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str, when_used="json")]


# The largest value of a signed 64-bit integer column (SQLite INTEGER, PostgreSQL BIGINT:
# the audit log's sequence numbers and tree sizes).
MAX_INT64 = 2**63 - 1
# The largest row id: primary keys are INTEGER, 32-bit on PostgreSQL (64-bit on SQLite);
# a larger id is no row's on either, and would overflow PostgreSQL's parameter.
MAX_ROW_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]+")


def row_id_of(text: str) -> int | None:
    """``text`` as a row id when it is written in ASCII digits, else None (an identifier).

    ``str.isdigit`` also accepts superscripts and other scripts' digits (``"²"``), which
    ``int`` then refuses; and a number beyond 64 bits overflows the database driver. A
    number beyond :data:`MAX_ROW_ID` comes back as 0, which no row has (ids start at 1),
    so the lookup answers "not found" like any other missing id.
    """
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_ROW_ID else 0


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day_only(value: object) -> object:
    # pydantic's lax date also takes a number as Unix time ("0" is 1970-01-01) and other
    # shapes; a date the user meant is always written YYYY-MM-DD (ISO 8601).
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise ValueError("a date as YYYY-MM-DD")


# A calendar date, accepted only as an ISO 8601 YYYY-MM-DD string (or a date).
IsoDate = Annotated[date, BeforeValidator(_iso_day_only)]
