"""The demo dataset: what `make run` shows a new user.

Reference data now; later domains add their demo records here, each marked as demo data.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from secassist.reference.service import get_reference
from secassist.reference.sync import sync_reference

# (user, password, organization) for the people `make run` invites to log in.
DEMO_LOGINS: list[tuple[str, str, str]] = []


def load_demo(session: Session) -> str:
    """Load the demo dataset into ``session`` (idempotent). Never commits."""
    result = sync_reference(session, data=get_reference())
    return (
        f"reference countries: {result.inserted} inserted, "
        f"{result.updated} updated, {result.unchanged} unchanged"
    )
