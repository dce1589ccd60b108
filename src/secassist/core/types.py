"""Small shared value types."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated

from pydantic import PlainSerializer

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
