"""Program errors: each a :class:`ValidationFailedError` naming the field, with its own code."""

from __future__ import annotations

from secassist.core.errors import ValidationFailedError


class InsufficientFundsError(ValidationFailedError):
    """The pool the entry draws on (appropriation, allocation, obligation) would go negative."""

    code = "program.insufficient_funds"
    title = "Insufficient funds"


class FundsExpiredError(ValidationFailedError):
    """The entry's date is outside the appropriation's period of availability."""

    code = "program.funds_unavailable"
    title = "Funds not available on that date"


class ReversalRefusedError(ValidationFailedError):
    """A reversal of a reversal, of an entry already reversed, or one that would strand later entries."""

    code = "program.reversal_refused"
    title = "Reversal refused"
