"""Small shared value types."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from secassist.core.errors import ValidationFailedError

CENT = Decimal("0.01")
# Amounts are stored as NUMERIC(18, 2): sixteen digits before the point. A larger one
# would overflow PostgreSQL's column (a 500), and no appropriation comes near it.
MAX_MONEY = Decimal(10**16) - CENT


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
    if abs(amount) > MAX_MONEY:
        raise ValidationFailedError(
            f"{field}: {value!r} is beyond the largest amount ({MAX_MONEY})", field=field
        )
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


# The dates a request may carry. No record of U.S. security assistance predates the
# twentieth century (Lend-Lease 1941, the Foreign Assistance Act 1961, the Arms Export
# Control Act 1976), and no plan, expiry or appropriation period runs two centuries
# ahead: outside this horizon a date is a typo (or a probe), "99999-01-01" included.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _within_horizon(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"a date between {MIN_DATE} and {MAX_DATE}")
    return value


# A calendar date, accepted only as an ISO 8601 YYYY-MM-DD string (or a date), within
# [MIN_DATE, MAX_DATE]; the OpenAPI document says so (pattern and description).
IsoDate = Annotated[
    date,
    BeforeValidator(_iso_day_only),
    AfterValidator(_within_horizon),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": ISO_DATE_PATTERN,
            "description": f"A date, YYYY-MM-DD, from {MIN_DATE} to {MAX_DATE}.",
        }
    ),
]

# Bounded integers for request bodies. Python's int is unbounded; the columns are not
# (INTEGER is 32-bit on PostgreSQL), and an unbounded value reached the driver as an
# overflow (a 500). With these the answer is a 422 naming the field, and the bounds are
# published in the OpenAPI document.
MAX_INT32 = 2**31 - 1
# A row's id (primary keys start at 1).
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
# An optimistic-lock version as the client read it (an INTEGER column).
Version = Annotated[int, Field(ge=0, le=MAX_INT32, description="The version you read; a stale one is a 409.")]
# A count of articles: a line's or a lot's quantity.
MAX_QUANTITY = 100_000_000
Quantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]
# A whole-dollar amount given as a JSON integer (a string is bounded by to_money).
MoneyInt = Annotated[int, Field(ge=-(10**16) + 1, le=10**16 - 1)]
# Money in a request body: a string ("1,250.00") or a whole-dollar integer, never a
# float (the service refuses one, naming the field).
MoneyIn = str | MoneyInt
# Fiscal years the ledger accepts (programs.service checks the same range).
MIN_FISCAL_YEAR = 1950
MAX_FISCAL_YEAR = 2200
FiscalYear = Annotated[int, Field(ge=MIN_FISCAL_YEAR, le=MAX_FISCAL_YEAR)]
