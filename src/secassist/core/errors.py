"""One error hierarchy for the whole system.

Every error carries a stable ``code`` (``area.reason``) that API clients and scripts can
rely on, an HTTP status and a CLI exit code; each adapter maps the hierarchy once.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SecassistError(Exception):
    """Base of every error secassist raises on purpose."""

    code: ClassVar[str] = "secassist.error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1
    title: ClassVar[str] = "Error"
    # Seconds after which a retry may succeed (sent as Retry-After); None: do not retry.
    retry_after: ClassVar[int | None] = None

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_problem(self) -> dict[str, Any]:
        """RFC 9457 problem-details body."""
        body: dict[str, Any] = {
            "type": f"urn:secassist:error:{self.code}",
            "title": self.title,
            "status": self.http_status,
            "detail": self.message,
            "code": self.code,
        }
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        if self.detail:
            # Same shape as request-validation errors: a list of {field, message, ...}.
            body["errors"] = [{"field": self.detail.get("field"), "message": self.message, **self.detail}]
        return body


class ConfigurationError(SecassistError):
    """Settings that cannot work (a default secret in production, a malformed URL)."""

    code = "config.invalid"
    title = "Invalid configuration"
    exit_code = 78  # EX_CONFIG


class DatabaseUnavailableError(SecassistError):
    """The configured database cannot be reached."""

    code = "database.unavailable"
    http_status = 503
    title = "Database unavailable"
    exit_code = 69  # EX_UNAVAILABLE


class DatabaseBusyError(DatabaseUnavailableError):
    """Every pooled connection is in use: the request waited the pool timeout and gave
    up rather than hang. Nothing was done; retry shortly."""

    code = "database.busy"
    title = "Database busy"
    retry_after = 1


class DatabaseNotMigratedError(SecassistError):
    """The database schema is behind (or ahead of) the code's migrations."""

    code = "database.not_migrated"
    http_status = 503
    title = "Database not migrated"
    exit_code = 75  # EX_TEMPFAIL


class SchemaDriftError(SecassistError):
    """The ORM models and the migration history describe different schemas."""

    code = "database.schema_drift"
    title = "Models and migrations differ"
    exit_code = 1


class ValidationFailedError(SecassistError):
    """Input that breaks a rule; ``field`` names what was wrong."""

    code = "validation.failed"
    http_status = 422
    title = "Invalid input"
    exit_code = 65  # EX_DATAERR

    def __init__(self, message: str, *, field: str | None = None, **detail: Any) -> None:
        if field is not None:
            detail["field"] = field
        super().__init__(message, **detail)
        self.field = field


class NotFoundError(SecassistError):
    """The record does not exist, or the actor may not see it (the two look the same)."""

    code = "not_found"
    http_status = 404
    title = "Not found"
    exit_code = 66  # EX_NOINPUT


class ConflictError(SecassistError):
    """A concurrent change won; the caller should reload and retry."""

    code = "conflict"
    http_status = 409
    title = "Conflict"
    exit_code = 75


class RetryableConflictError(ConflictError):
    """The database refused the transaction because of a concurrent one (a deadlock, a
    serialization failure, SQLite's write lock held past its busy timeout). Nothing was
    written; the same request may succeed if sent again."""

    code = "database.retry"
    title = "Concurrent transaction; retry"
    retry_after = 1


class StateConflictError(ConflictError, ValidationFailedError):
    """A well-formed request refused because the resource's *current state* stands in its
    way: the case is no longer in the status the move starts from, the item is no longer
    held or already went elsewhere, the balance no longer covers the amount, the approval
    was already decided. RFC 9110 §15.5.10: 409 Conflict is for "a conflict with the
    current state of the target resource" that the client may be able to resolve (re-read
    and decide again) — unlike 422, which refuses input no state could make valid (a bad
    field, a move the lifecycle never allows, an amount <= 0).

    Under concurrency this is what every loser of a race gets once it is serialized behind
    the winner. It is also a :class:`ValidationFailedError` (it names the ``field`` the
    state conflicts with), so forms still show it beside that field. The CLI exit code
    stays EX_DATAERR: sending the same command again will not help, unlike
    :class:`RetryableConflictError`."""

    code = "conflict.state"
    title = "Conflicts with the current state"
    exit_code = 65  # EX_DATAERR


class PermissionDeniedError(SecassistError):
    """The actor is known but may not do this."""

    code = "permission.denied"
    http_status = 403
    title = "Forbidden"
    exit_code = 77  # EX_NOPERM


class SeparationOfDutiesError(PermissionDeniedError):
    """The actor holds the permission but this act is another person's duty: a sign-off
    by a user outside the named office, an approval resting on the approver's own sign-off,
    a purchaser's acceptance recorded by someone who is not the purchaser (issue #16).
    ``rule`` names which (``signoff_office``, ``own_signoff``, ``acceptance_party``)."""

    code = "duty.separation"
    title = "Another person's duty"

    def __init__(self, rule: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field, rule=rule)
        self.rule = rule


class ReferenceDataError(SecassistError):
    """A reference data file is malformed; the message names the file and the entry."""

    code = "reference.data_invalid"
    title = "Invalid reference data"
    exit_code = 65


class UnknownCodeError(ValidationFailedError):
    """A country, body or other code that the reference data does not know."""

    code = "reference.unknown_code"
    http_status = 404
    title = "Unknown code"


class DateOutOfRangeError(ValidationFailedError):
    """A date the reference data does not cover; answering would be a guess."""

    code = "reference.date_out_of_range"
    title = "Date outside the data's range"
