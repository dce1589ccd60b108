"""Errors of the equipment domain (each with its stable code; adapters map them once)."""

from __future__ import annotations

from typing import Any

from secassist.core.errors import ConflictError, StateConflictError, ValidationFailedError


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


class CustodyConflictError(StateConflictError, CustodyRefusedError):
    """A custody event refused because of where the item or lot is *now*, not because the
    event is malformed: the item was already delivered, has left U.S.-accountable custody
    (``after_end``), is registered at another site (``two_places``), cannot take this event
    in its current state (``not_allowed``), already has a later event (``out_of_order``), or
    the lot no longer holds enough units (``insufficient``). Typically a concurrent event
    landed first; re-read the item. 409 (RFC 9110 §15.5.10) with the same ``rule`` as a
    :class:`CustodyRefusedError`, which it still is."""

    code = "equipment.custody_conflict"
    title = "Custody event conflicts with the item's current custody"


class ConcurrentCustodyChangeError(ConflictError):
    """Another event on the same item or lot, or a delivery of the same serial, committed
    while this one was being written (the unique ``(item_id, seq)`` / ``(lot_id, seq)`` key
    caught it). Nothing was written; reload the item and decide again (409)."""

    code = "equipment.concurrent_change"
    title = "The item was changed by someone else"


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
