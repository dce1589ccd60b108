"""Who does what in the demo: the users the loaders act as, so the demo walks the duties as
the services enforce them (issue #16) — each office's sign-off by a user of that office,
the final decision by another officer, a purchaser's acceptance by the purchaser."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.identity import service as identity
from secassist.identity.models import Organization, User
from secassist.identity.policy import Principal

# The State officer who decides (vetting final decisions, transfer decisions).
DECIDER = "pm.officer"
# One user per vetting review office; none of them is the decider.
OFFICE_SIGNERS = {
    "political_military": "pm.reviewer",
    "human_rights": "drl.officer",
    "technology_security": "isn.officer",
}


def principal(session: Session, username: str) -> Principal:
    """The demo user ``username`` as a principal (the demo users are created first)."""
    return identity.principal_for(session, identity.user_by_name(session, username))


def signer(session: Session, office: str) -> Principal:
    """The demo user who signs off for ``office``."""
    return principal(session, OFFICE_SIGNERS[office])


def purchaser_user(session: Session, country: str | None) -> Principal | None:
    """A demo user of the purchasing country's government, if the demo has one."""
    if country is None:
        return None
    user = session.scalar(
        select(User)
        .join(Organization, Organization.id == User.organization_id)
        .where(Organization.kind == "partner", Organization.country_code == country, User.is_active)
        .order_by(User.id)
        .limit(1)
    )
    return identity.principal_for(session, user) if user else None
