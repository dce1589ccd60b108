"""Register a recipient unit of the equipment registry as the Leahy unit vetting holds.

The vetting domain owns Leahy units (FAA §620M and 10 U.S.C. 362 vetting of foreign
security-force units, domain.md §8); the equipment domain records which unit holds an
item. This step reads the Leahy unit through the vetting domain (scoped to the actor) and
hands its id and country to the equipment service, which refuses a unit of another country.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.equipment import sites
from secassist.equipment.models import RecipientUnit
from secassist.equipment.schemas import LeahyLink
from secassist.identity.policy import Principal
from secassist.vetting import leahy


def register_recipient_unit(
    session: Session,
    *,
    actor: Principal | None,
    country: str,
    name: str | None = None,
    leahy_unit_id: int | None = None,
    clock: Clock | None = None,
) -> RecipientUnit:
    """A recipient unit named ``name`` (default: the Leahy unit's name), linked to
    ``leahy_unit_id`` when given."""
    link = None
    if leahy_unit_id is not None:
        unit = leahy.get_unit(session, actor=actor, unit_id=leahy_unit_id)
        link = LeahyLink(unit_id=unit.id, country=unit.country_code)
        name = name or unit.name
    return sites.create_unit(session, actor=actor, country=country, name=name or "", leahy=link, clock=clock)
