"""Notification test factories: one principal per stakeholder kind, real cases to link to."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.models import Case
from secassist.core.clock import FixedClock
from secassist.identity.policy import Principal
from secassist.storage.uow import unit_of_work
from tests.identity.factories import make_org, make_user, principal_of


def make_people(session_factory: sessionmaker[Session]) -> dict[str, Principal]:
    """One principal per stakeholder kind (partners and SCOs in Saudi Arabia and Poland)."""
    specs = [
        ("state", "state", None),
        ("dod", "dod", None),
        ("congress", "congress", None),
        ("industry", "industry", None),
        ("partner_sa", "partner", "SA"),
        ("partner_pl", "partner", "PL"),
        ("sco_sa", "sco", "SA"),
        ("sco_pl", "sco", "PL"),
        ("auditor", "auditor", None),
    ]
    out: dict[str, Principal] = {}
    with unit_of_work(session_factory) as s:
        for name, kind, country in specs:
            org = make_org(s, f"org {name}", kind, country)
            user = make_user(s, org, name.replace("_", "."))
            out[name] = principal_of(s, user)
    return out


def make_case(session_factory: sessionmaker[Session], clock: FixedClock, purchaser: str = "SA") -> int:
    """A real FMS case (status lor_received, no lines) for the notification's foreign key."""
    from tests.cases.factories import open_case

    with unit_of_work(session_factory) as s:
        n = s.scalar(select(func.count(Case.id))) or 0
        return open_case(s, None, clock, purchaser=purchaser, reference_number=f"{purchaser}-LOR-{n + 1:03d}")
