"""Errors of the cases domain (each with its stable code; adapters map them once)."""

from __future__ import annotations

from secassist.core.errors import ConflictError, SecassistError, ValidationFailedError


class TransitionNotAllowedError(ValidationFailedError):
    """A status change the lifecycle does not allow from the current status, or whose
    guard fails (the field names what is missing)."""

    code = "case.transition_not_allowed"
    title = "Transition not allowed"


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
