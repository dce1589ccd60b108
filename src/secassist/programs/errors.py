"""Program errors: each a :class:`ValidationFailedError` naming the field, with its own code."""

from __future__ import annotations

from secassist.core.errors import StateConflictError, ValidationFailedError


class InsufficientFundsError(StateConflictError):
    """The pool the entry draws on (appropriation, allocation, obligation) would go negative.

    A conflict with the pool's current balance (409, RFC 9110 §15.5.10), not bad input: the
    same amount fits once the pool is funded or an entry is reversed, and a concurrent
    obligation that committed first is exactly how a valid request comes to exceed it. The
    message names the pool and what it holds now. (An amount <= 0 is refused as a plain
    422 before any pool is looked at.)"""

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


class ReversalConflictError(StateConflictError, ReversalRefusedError):
    """A reversal refused because of the ledger's current state: the entry was already
    reversed (by a concurrent reversal, typically), or later entries now draw on the funds it
    provided. 409 (RFC 9110 §15.5.10); still a :class:`ReversalRefusedError`. Reversing a
    reversal, or dating it before its entry, stays a 422."""

    code = "program.reversal_conflict"
    title = "Reversal conflicts with the ledger"
