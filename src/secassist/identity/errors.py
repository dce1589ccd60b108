"""Identity errors: authentication failed (credentials missing, wrong, expired or revoked)."""

from __future__ import annotations

from secassist.core.errors import SecassistError


class AuthenticationError(SecassistError):
    """Credentials missing, wrong, expired or revoked. Deliberately vague about which."""

    code = "auth.failed"
    http_status = 401
    title = "Authentication required"
    exit_code = 77
