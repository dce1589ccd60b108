"""Errors of the transfers domain (each with its stable code; adapters map them once)."""

from __future__ import annotations

from typing import Any

from secassist.core.errors import ValidationFailedError


class TransferRefusedError(ValidationFailedError):
    """A decision or execution the transfer rules forbid; ``rule`` names the rule
    (``blocked``, ``not_approved``, ``lapsed``, ``serials``, ``review_period``,
    ``not_certified``, ``not_held``, ``not_temporary``, ``site``) and nothing was written."""

    code = "transfer.refused"
    title = "Transfer refused"

    def __init__(self, rule: str, message: str, *, field: str = "id", **detail: Any) -> None:
        super().__init__(f"{field}: {message} (rule {rule})", field=field, rule=rule, **detail)
        self.rule = rule
