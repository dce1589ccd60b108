from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from secassist.core.clock import FixedClock, SystemClock
from secassist.core.errors import (
    ConflictError,
    NotFoundError,
    SecassistError,
    UnknownCodeError,
    ValidationFailedError,
)
from secassist.core.types import to_money


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", "1.00"),
        ("1,250,000", "1250000.00"),
        ("$14,000,000", "14000000.00"),
        (5, "5.00"),
        ("0.10", "0.10"),
    ],
)
def test_money_parses_exactly(raw: object, expected: str) -> None:
    assert to_money(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["-1", "abc", "1.001", "NaN", "Infinity", 1.5, True, ""])
def test_money_rejects_bad_amounts_naming_the_field(raw: object) -> None:
    with pytest.raises(ValidationFailedError) as exc:
        to_money(raw, field="unit_cost")
    assert exc.value.field == "unit_cost"
    assert "unit_cost" in exc.value.message


def test_negative_money_allowed_for_reversals() -> None:
    assert to_money("-10.50", allow_negative=True) == Decimal("-10.50")


def test_fixed_clock_is_aware_and_advances() -> None:
    clock = FixedClock(datetime(2026, 1, 1, 12, tzinfo=UTC))
    clock.advance(timedelta(days=1))
    assert clock.now() == datetime(2026, 1, 2, 12, tzinfo=UTC)
    assert clock.today().isoformat() == "2026-01-02"
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))


def test_system_clock_is_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_error_codes_are_stable_and_distinct() -> None:
    classes = [SecassistError, ValidationFailedError, NotFoundError, ConflictError, UnknownCodeError]
    codes = [c.code for c in classes]
    assert len(set(codes)) == len(codes)
    assert NotFoundError.http_status == 404
    assert ConflictError.http_status == 409
    problem = UnknownCodeError("unknown country code 'XX'", field="country").to_problem()
    assert problem["status"] == 404
    assert problem["code"] == "reference.unknown_code"
    assert problem["errors"] == [{"field": "country", "message": "unknown country code 'XX'"}]
