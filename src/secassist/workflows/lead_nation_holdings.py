"""Who holds what of a multinational (lead-nation) case: its participating nations, and its
delivered items and lots by current holder country — the "holdings by nation" view (issue
#13; SAMM C5.6 [S21]; the LNP case note [S70]). Read-only; it reads three domains (cases,
equipment, transfers), hence a workflow.

Access (the issue's "Access" section), in the queries:

* the case is read through ``cases.common.resolve_case``: its purchaser's country and each
  participant named on it see it; anyone else (another partner, congressional staff) gets
  the same 404 as for a case that does not exist;
* the per-nation totals (how many items and units, at what original acquisition value) are
  the case's own facts and shown to everyone who sees the case;
* the items and lots themselves — serials, sites, holding organizations — are read under
  the equipment scope (by holder country): a participant sees the items it holds, never
  another participant's internal sites. State, DoD and auditors see all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secassist.cases import participants as parts
from secassist.cases.common import resolve_case, scoped_cases
from secassist.cases.models import Case, CaseParticipant
from secassist.core.errors import NotFoundError
from secassist.equipment import custody
from secassist.equipment.catalog import get_catalog
from secassist.equipment.lots import held_units
from secassist.equipment.models import Item, Lot, Site
from secassist.equipment.queries import dollars, scoped
from secassist.identity.policy import Principal
from secassist.transfers import lead_nation as lnp


@dataclass(frozen=True)
class Participant:
    country: str
    assurances_signed_on: date | None
    assurances_signatory: str | None
    named_in_notification: bool
    notified_on: date | None  # the written notice to State of the initial transfer, if any

    def as_json(self) -> dict[str, object]:
        return {
            "country": self.country,
            "assurances_signed_on": self.assurances_signed_on.isoformat()
            if self.assurances_signed_on
            else None,
            "assurances_signatory": self.assurances_signatory,
            "named_in_notification": self.named_in_notification,
            "notice_on": self.notified_on.isoformat() if self.notified_on else None,
        }


@dataclass(frozen=True)
class NationHolding:
    """What one country holds of the case: serialized items and lot units, with their
    original acquisition value (the §3(d) basis, domain.md §2)."""

    country: str
    role: str  # lead, participant, or other (a holder outside the named nations)
    items: int
    item_value_cents: int
    lot_units: int
    lot_value_cents: int

    def as_json(self) -> dict[str, object]:
        return {
            "country": self.country,
            "role": self.role,
            "items": self.items,
            "item_value_usd": str(dollars(self.item_value_cents)),
            "lot_units": self.lot_units,
            "lot_value_usd": str(dollars(self.lot_value_cents)),
        }


@dataclass(frozen=True)
class HeldItem:
    serial: str
    item_type: str
    holder_country: str | None
    holder_org: str | None
    site: str | None
    state: str
    value_cents: int

    def as_json(self) -> dict[str, object]:
        return {
            "serial": self.serial,
            "item_type": self.item_type,
            "holder_country": self.holder_country,
            "holder_org": self.holder_org,
            "site": self.site,
            "state": self.state,
            "value_usd": str(dollars(self.value_cents)),
        }


@dataclass(frozen=True)
class HeldLot:
    lot_id: int
    lot_number: str | None
    item_type: str
    country: str
    site: str
    held: int
    parent_lot_id: int | None

    def as_json(self) -> dict[str, object]:
        return {
            "lot_id": self.lot_id,
            "lot_number": self.lot_number,
            "item_type": self.item_type,
            "country": self.country,
            "site": self.site,
            "held": self.held,
            "parent_lot_id": self.parent_lot_id,
        }


@dataclass(frozen=True)
class CaseHoldings:
    case_id: int
    case_ref: str
    title: str
    lead: str
    participants: list[Participant]
    nations: list[NationHolding]
    items: list[HeldItem]
    lots: list[HeldLot]

    def as_json(self) -> dict[str, object]:
        return {
            "case": self.case_ref,
            "title": self.title,
            "lead": self.lead,
            "participants": [p.as_json() for p in self.participants],
            "holdings": [n.as_json() for n in self.nations],
            "items": [i.as_json() for i in self.items],
            "lots": [lt.as_json() for lt in self.lots],
        }


def lead_nation_case(session: Session, *, actor: Principal | None, case_ref: str | int) -> Case:
    """A multinational case the actor may see (its purchaser's country or a named
    participant; 404 otherwise), that names participating nations."""
    case = resolve_case(session, actor=actor, ref=case_ref)
    if not parts.participants_of(session, case.id):
        raise NotFoundError(f"case: {case.identifier} names no participating nations", field="case")
    return case


def participants(session: Session, case: Case) -> list[Participant]:
    """The case's participating nations with their assurances, §36(b) naming and the date of
    the notice to State of the initial transfer to each."""
    notices = {n.to_country: n.notified_on for n in lnp.notices_of(session, case.id)}
    return [
        Participant(
            p.country_code,
            p.assurances_signed_on,
            p.assurances_signatory,
            p.named_in_notification,
            notices.get(p.country_code),
        )
        for p in parts.participants_of(session, case.id)
    ]


def holdings(session: Session, *, actor: Principal | None, case_ref: str | int) -> CaseHoldings:
    """The case's participants, its holdings by nation, and the items and lots the actor
    may see (see the module docstring for who sees what)."""
    case = lead_nation_case(session, actor=actor, case_ref=case_ref)
    people = participants(session, case)
    named = {p.country for p in people}

    def role(cc: str) -> str:
        return "lead" if cc == case.purchaser_code else "participant" if cc in named else "other"

    totals: dict[str, list[int]] = {}
    held = tuple(custody.HELD)
    stmt = (
        select(Item.holder_country, func.count(), func.coalesce(func.sum(Item.unit_value_cents), 0))
        .where(Item.case_id == case.id, Item.state.in_(held), Item.holder_country.is_not(None))
        .group_by(Item.holder_country)
    )
    for cc, n, cents in session.execute(stmt):
        totals[str(cc)] = [int(n), int(cents), 0, 0]
    # Lots are few per case; each one's holdings are its folded events.
    lot_rows = list(
        session.execute(
            select(Lot, Site.country_code, Site.name)
            .join(Site, Lot.site_id == Site.id)
            .where(Lot.case_id == case.id)
            .order_by(Lot.id)
        )
    )
    lot_held: dict[int, int] = {}
    for lot, cc, _ in lot_rows:
        units = held_units(session, lot).held
        lot_held[lot.id] = units
        if units:
            row = totals.setdefault(cc, [0, 0, 0, 0])
            row[2] += units
            row[3] += units * lot.unit_value_cents
    order = [case.purchaser_code, *[p.country for p in people]]
    countries = sorted(totals, key=lambda cc: (order.index(cc) if cc in order else len(order), cc))
    nations = [NationHolding(cc, role(cc), *totals[cc]) for cc in countries]

    visible = scoped(
        select(Item).where(Item.case_id == case.id, Item.state.in_(held)), actor, Item.holder_country
    )
    rows = list(session.scalars(visible.order_by(Item.holder_country, Item.serial)))
    site_ids = {it.site_id for it in rows if it.site_id is not None}
    site_names = {i: n for i, n in session.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids)))}
    cat = get_catalog()
    items = [
        HeldItem(
            it.serial,
            cat.item_type(it.item_type).nomenclature,
            it.holder_country,
            it.holder_org,
            site_names.get(it.site_id) if it.site_id is not None else None,
            it.state,
            it.unit_value_cents,
        )
        for it in rows
    ]
    seen_lots = set(
        session.scalars(
            scoped(select(Lot.id).join(Site, Lot.site_id == Site.id), actor, Site.country_code).where(
                Lot.case_id == case.id
            )
        )
    )
    lots = [
        HeldLot(
            lot.id,
            lot.lot_number,
            cat.item_type(lot.item_type).nomenclature,
            cc,
            name,
            lot_held[lot.id],
            lot.parent_lot_id,
        )
        for lot, cc, name in lot_rows
        if lot.id in seen_lots and lot_held[lot.id]
    ]
    return CaseHoldings(
        case.id, case.identifier, case.title, case.purchaser_code, people, nations, items, lots
    )


def multinational_cases(session: Session, *, actor: Principal | None) -> list[Case]:
    """The multinational cases the actor may see (those naming participating nations)."""
    stmt = scoped_cases(actor).where(Case.id.in_(select(CaseParticipant.case_id)))
    return list(session.scalars(stmt.order_by(Case.identifier)))
