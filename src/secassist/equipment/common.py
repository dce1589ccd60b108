"""Small helpers the equipment services share (clock, actor label, text fields)."""

from __future__ import annotations

from secassist.core.clock import Clock, SystemClock
from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal


def clock_of(clock: Clock | None) -> Clock:
    """The given clock, or the system's."""
    return clock or SystemClock()


def label_of(actor: Principal | None) -> str:
    """Who did it, as stored in ``recorded_by`` columns (``system`` for the console)."""
    return "system" if actor is None else actor.label


def text(value: str | None, field: str, *, limit: int = 300, required: bool = True) -> str:
    """A stripped text field, refused when empty (if required) or too long, naming the field."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailedError(f"{field}: must not be empty", field=field)
    if len(value) > limit:
        raise ValidationFailedError(f"{field}: longer than {limit} characters", field=field)
    return value
