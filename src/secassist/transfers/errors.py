"""Errors of the transfers domain (each with its stable code; adapters map them once)."""

from __future__ import annotations

from typing import Any

from secassist.core.errors import StateConflictError, ValidationFailedError


class TransferRefusedError(ValidationFailedError):
    """A decision or execution the transfer rules forbid; ``rule`` names the rule
    (``blocked``, ``not_approved``, ``lapsed``, ``serials``, ``review_period``,
    ``not_certified``, ``not_held``, ``not_temporary``, ``not_executed``, ``site``) and nothing
    was written."""

    code = "transfer.refused"
    title = "Transfer refused"

    def __init__(self, rule: str, message: str, *, field: str = "id", **detail: Any) -> None:
        super().__init__(f"{field}: {message} (rule {rule})", field=field, rule=rule, **detail)
        self.rule = rule


class TransferConflictError(StateConflictError, TransferRefusedError):
    """A transfer step refused because of the *current* state of the request or its items,
    not because the step is malformed: an item is no longer held by the sending country
    (``not_held`` — already transferred, or gone), a request already decided, executed or
    returned (``not_approved``, ``not_executed``). A concurrent step that committed first is
    the usual cause; re-read the request. 409 (RFC 9110 §15.5.10) with the same ``rule`` as
    a :class:`TransferRefusedError`, which it still is."""

    code = "transfer.conflict"
    title = "Transfer conflicts with the current state"
