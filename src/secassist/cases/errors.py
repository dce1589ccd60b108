"""Errors of the cases domain (each with its stable code; adapters map them once)."""

from __future__ import annotations

from secassist.core.errors import ConflictError, SecassistError, StateConflictError, ValidationFailedError


class TransitionNotAllowedError(ValidationFailedError):
    """A status change the lifecycle does not allow from the current status, or whose
    guard fails (the field names what is missing)."""

    code = "case.transition_not_allowed"
    title = "Transition not allowed"


class TransitionConflictError(StateConflictError, TransitionNotAllowedError):
    """A move the lifecycle allows, from a status the case has already moved past: it was
    advanced (or cancelled) by someone else since the caller decided, so the move now
    conflicts with the case's current status (409, RFC 9110 §15.5.10; SAMM C5 lifecycle).
    The message names the status the move starts from and the status the case is in now.
    A move the case has not reached yet, or that no status allows, stays a 422
    :class:`TransitionNotAllowedError`."""

    code = "case.transition_conflict"
    title = "The case is no longer where the move starts"


class CaseVersionConflictError(ConflictError):
    """Someone else changed the case since the caller read it (optimistic locking)."""

    code = "case.version_conflict"
    title = "The case was changed by someone else"


class OfferBlockedError(SecassistError):
    """The offer workflow refused: at least one offer gate is unsatisfied.

    HTTP 409: the request is well-formed but conflicts with the case's current state
    (a gate may clear later without the request changing). ``gates`` lists every
    unsatisfied gate with its reason.
    """

    code = "case.offer_blocked"
    http_status = 409
    exit_code = 75
    title = "Offer blocked by gates"
