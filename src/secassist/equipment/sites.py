"""Sites, their physical-security inspections, and recipient units: the places and the
holders of the custody chain. Keyword-only services that take the session, never commit
and write one audit entry per change."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import ValidationFailedError
from secassist.equipment.common import clock_of, label_of, text
from secassist.equipment.models import INSPECTION_RESULTS, RecipientUnit, Site, SiteInspection
from secassist.equipment.queries import get_site, require
from secassist.equipment.schemas import LeahyLink
from secassist.identity.policy import Principal, actor_of
from secassist.reference.service import get_reference


def create_site(
    session: Session,
    *,
    actor: Principal | None,
    country: str,
    name: str,
    organization: str,
    is_demo: bool = False,
    clock: Clock | None = None,
) -> Site:
    """Register a storage site in a partner country."""
    code = get_reference().country(country).code
    require(actor, "write", code, what="country")
    site_name = text(name, "name", limit=200)
    if session.scalar(select(Site.id).where(Site.name == site_name)) is not None:
        raise ValidationFailedError(f"name: a site named {site_name!r} exists", field="name")
    site = Site(
        country_code=code,
        name=site_name,
        organization=text(organization, "organization", limit=200),
        created_at=now(clock),
        is_demo=is_demo,
    )
    add_recorded(
        session,
        [site],
        actor=actor_of(actor),
        tag="equipment:site:created",
        subject_type="equipment_site",
        clock=clock,
    )
    return site


def inspect_site(
    session: Session,
    *,
    actor: Principal | None,
    site: str | int,
    on: date,
    result: str,
    office: str,
    note: str | None = None,
    clock: Clock | None = None,
) -> SiteInspection:
    """Record a physical-security inspection of a site (EEUM storage, SAMM C8.4 [S77][S78])."""
    row = get_site(session, actor=actor, ref=site)
    require(actor, "write", row.country_code, what="site")
    if result not in INSPECTION_RESULTS:
        raise ValidationFailedError(
            f"result: one of {', '.join(INSPECTION_RESULTS)}, not {result!r}", field="result"
        )
    today = clock_of(clock).today()
    if on > today:
        raise ValidationFailedError(f"on: {on} is after today ({today})", field="on")
    insp = SiteInspection(
        site_id=row.id,
        inspected_on=on,
        result=result,
        inspecting_office=text(office, "office", limit=200),
        note=text(note, "note", limit=2000, required=False) or None,
        recorded_at=now(clock),
        recorded_by=label_of(actor),
    )
    add_recorded(
        session,
        [insp],
        actor=actor_of(actor),
        tag="equipment:site:inspected",
        subject_type="equipment_site_inspection",
        clock=clock,
    )
    return insp


def create_unit(
    session: Session,
    *,
    actor: Principal | None,
    country: str,
    name: str,
    leahy: LeahyLink | None = None,
    is_demo: bool = False,
    clock: Clock | None = None,
) -> RecipientUnit:
    """Register a recipient unit, linked to the Leahy unit vetting holds for it (which must
    be of the same country: vetting one country's unit says nothing of another's)."""
    code = get_reference().country(country).code
    require(actor, "write", code, what="country")
    unit_name = text(name, "name")
    if leahy is not None and leahy.country != code:
        raise ValidationFailedError(
            f"leahy_unit: Leahy unit {leahy.unit_id} is in {leahy.country}, not {code}", field="leahy_unit"
        )
    exists = select(RecipientUnit.id).where(
        RecipientUnit.country_code == code, RecipientUnit.name == unit_name
    )
    if session.scalar(exists) is not None:
        raise ValidationFailedError(f"name: {code} already has a unit named {unit_name!r}", field="name")
    unit = RecipientUnit(
        country_code=code,
        name=unit_name,
        leahy_unit_id=leahy.unit_id if leahy else None,
        created_at=now(clock),
        is_demo=is_demo,
    )
    add_recorded(
        session,
        [unit],
        actor=actor_of(actor),
        tag="equipment:unit:created",
        subject_type="equipment_unit",
        clock=clock,
    )
    return unit
