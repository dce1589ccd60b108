"""Errors of the equipment domain (each with its stable code; adapters map them once)."""

from __future__ import annotations

from typing import Any

from secassist.core.errors import ValidationFailedError


class CustodyRefusedError(ValidationFailedError):
    """A custody event the chronology or the state machine forbids; ``rule`` names the rule
    (``before_delivery``, ``after_end``, ``future``, ``out_of_order``, ``not_allowed``,
    ``two_places``, ``needs_site``, ``needs_unit``; for bulk lots also ``quantity``,
    ``insufficient``, ``needs_holder``) and nothing was written."""

    code = "equipment.custody_refused"
    title = "Custody event refused"

    def __init__(self, rule: str, message: str, *, field: str = "kind", **detail: Any) -> None:
        super().__init__(f"{field}: {message} (rule {rule})", field=field, rule=rule, **detail)
        self.rule = rule


class OverDeliveryError(ValidationFailedError):
    """A delivery that would bring a line's delivered quantity above its quantity."""

    code = "equipment.over_delivery"
    title = "Delivery exceeds the line's quantity"


class DuplicateSerialError(ValidationFailedError):
    """A serial already registered for the same item type and manufacturer."""

    code = "equipment.duplicate_serial"
    title = "Serial already registered"


class MalformedFileError(ValidationFailedError):
    """A reconciliation file that cannot be read; names the line and the column."""

    code = "equipment.malformed_file"
    title = "Malformed inventory file"
