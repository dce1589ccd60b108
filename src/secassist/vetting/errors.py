"""Vetting errors (the rest of the hierarchy is ``core.errors``)."""

from __future__ import annotations

from secassist.core.errors import SecassistError


class LeahyNotApprovedError(SecassistError):
    """Assistance funds may not be obligated to a unit without a current approved vetting."""

    code = "leahy.not_approved"
    http_status = 409
    title = "No current Leahy approval"
    exit_code = 65
