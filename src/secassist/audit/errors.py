"""Errors of the audit log. Each is a SecassistError, so every adapter maps it once."""

from __future__ import annotations

from secassist.core.errors import SecassistError


class CheckpointError(SecassistError):
    """A checkpoint that is malformed or whose signature does not verify."""

    code = "audit.checkpoint_invalid"
    http_status = 422
    title = "Invalid checkpoint"
    exit_code = 1


class ProofInvalidError(SecassistError):
    """An inclusion or consistency proof that is malformed or does not verify."""

    code = "audit.proof_invalid"
    http_status = 422
    title = "Invalid proof"
    exit_code = 1


class LogVerificationError(SecassistError):
    """`secassist audit verify` found a problem; the message names the entry or the row."""

    code = "audit.verification_failed"
    http_status = 409
    title = "Audit log does not verify"
    exit_code = 1


class BackupError(SecassistError):
    """A backup that cannot be made or restored: damaged, altered, of another database
    kind or a newer schema. The message names the problem."""

    code = "backup.invalid"
    http_status = 422
    title = "Invalid backup"
    exit_code = 65  # EX_DATAERR


class WitnessError(SecassistError):
    """A witness refuses to countersign: the log does not extend the checkpoint it kept
    (truncated, rewritten, forked), or the witness's own files are unusable."""

    code = "audit.witness_refused"
    http_status = 409
    title = "Witness refuses the checkpoint"
    exit_code = 1
