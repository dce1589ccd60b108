"""Filing a third-party transfer request and running its checks: the equipment registry's
items, the vetting engine, the §3(d) thresholds, the registry's incidents and inventories.

The checks, each a finding with its evidence (issue #13):

- **direct eligibility** — AECA §3(a)(2)/(b): consent only if the United States would itself
  transfer the items to the recipient [S37]. The vetting engine runs on a proposal built
  from the request (embargoes, ITAR §126.1, screening of the named parties, the rest), filed
  with ``reference = "transfer:<id>"``; its recommendation is the finding (deny → block).
- **§3(d) certification** — on the items' original acquisition cost with the thresholds and
  groups as of the requested date (``notification/thresholds.py``, kind ``retransfer``), none
  for the exclusions of domain.md §2 note (d) (:func:`secassist.transfers.rules.certification_exclusion`).
  Required is a concern: the certification and its review period gate execution.
- **open incidents** on the items (SAMM C8.6 [S73]) — block: an item under investigation
  for unauthorized use or transfer is not moved.
- **overdue EEUM inventories** (SAMM C8.4 [S77]) — block: consent is not given for items
  whose presence has not been verified on schedule.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import custody, monitoring, queries
from secassist.equipment.catalog import get_catalog
from secassist.equipment.lots import held_units
from secassist.equipment.models import Item, Lot
from secassist.equipment.service import position_of
from secassist.identity.policy import Principal, Resource, allowed
from secassist.notification.thresholds import requirement
from secassist.reference.service import get_reference
from secassist.transfers import queries as transfer_queries
from secassist.transfers import rules
from secassist.transfers import service as transfers
from secassist.transfers.models import TransferRequest
from secassist.vetting import queries as vetting_queries
from secassist.vetting import service as vetting
from secassist.vetting.decisions_models import VettingDecision
from secassist.vetting.proposal import Determination, Proposal, ScreeningOutcome, parse_proposal
from secassist.vetting.screened import NamedParty, check_cited_screenings, screen_parties
from secassist.workflows.diversion_history import EquipmentDiversionHistory
from secassist.workflows.offer import WITHHELD


def transfer_reference(request_id: int) -> str:
    """The reference a transfer's vetting proposals are filed under."""
    return f"transfer:{request_id}"


@dataclass(frozen=True)
class FindingRow:
    factor: str
    outcome: str
    rationale: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Filed:
    request: TransferRequest
    decision: VettingDecision | None
    findings: list[FindingRow]


def _items(session: Session, actor: Principal | None, source: str, serials: Sequence[str]) -> list[Item]:
    seen: set[str] = set()
    out: list[Item] = []
    for raw in serials:
        serial = raw.strip()
        if not serial:
            raise ValidationFailedError("serials: an empty serial", field="serials")
        if serial in seen:
            raise ValidationFailedError(f"serials: {serial!r} is listed twice", field="serials")
        seen.add(serial)
        item = queries.find_item(session, actor=actor, serial=serial)
        if item.holder_country != source or item.state not in custody.HELD:
            raise ValidationFailedError(
                f"serials: {serial} is {item.state}, held by {item.holder_country}, not by {source}",
                field="serials",
            )
        out.append(item)
    return out


def _lot(session: Session, actor: Principal | None, source: str, lot_id: int, quantity: int) -> Lot:
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise NotFoundError(f"lot: no lot {lot_id}", field="lot")
    site = queries.get_site(session, actor=actor, ref=lot.site_id, field="lot")
    if site.country_code != source:
        raise ValidationFailedError(
            f"lot: lot {lot_id} is held in {site.country_code}, not {source}", field="lot"
        )
    held = held_units(session, lot).held  # what is left of it after issues, use and transfers
    if quantity > held:
        raise ValidationFailedError(f"quantity: lot {lot_id} holds {held}, not {quantity}", field="quantity")
    return lot


def proposal_for(
    req: TransferRequest,
    items: Sequence[Item],
    lot: Lot | None,
    *,
    screenings: Mapping[str, ScreeningOutcome],
    determinations: Sequence[Determination] = (),
) -> Proposal:
    """The proposal a request describes (pure): the recipient as purchaser, its end user, the
    items grouped by type at their original acquisition value, paid nationally (a transfer
    of articles already bought; Leahy weighs assistance only)."""
    cat = get_catalog()
    ref = get_reference()
    is_country = req.to_party in {c.code for c in ref.countries()}
    country = req.to_party if is_country else None
    buyer = f"Government of {req.to_party}" if is_country else ref.body(req.to_party).name

    def party(name: str, role: str) -> dict[str, object]:
        s = screenings.get(name)
        return {"name": name, "role": role, "country": country, "screening": s.model_dump() if s else None}

    grouped: dict[str, list[int]] = defaultdict(list)
    for it in items:
        grouped[it.item_type].append(it.unit_value_cents)
    lines = []
    for code, values in sorted(grouped.items()):
        kind = cat.item_type(code)
        lines.append(
            {
                "description": kind.nomenclature,
                "item_type": kind.nomenclature,
                "usml_category": kind.usml_category,
                "mde": kind.mde,
                "eeum": any(i.eeum_designation for i in items if i.item_type == code),
                "quantity": len(values),
                "value": str(_usd(sum(values))),
            }
        )
    if lot is not None:
        kind = cat.item_type(lot.item_type)
        qty = req.lot_quantity or 0
        lines.append(
            {
                "description": kind.nomenclature,
                "item_type": kind.nomenclature,
                "usml_category": kind.usml_category,
                "mde": kind.mde,
                "eeum": False,
                "quantity": qty,
                "value": str(_usd(lot.unit_value_cents * qty)),
            }
        )
    raw = {
        "title": f"Transfer {req.id}: {req.kind.replace('_', ' ')} from {req.from_country} to {req.to_party}",
        "reference": transfer_reference(req.id),
        "date": req.requested_on.isoformat(),
        "purchaser": party(buyer, "purchaser"),
        "end_users": [party(req.end_user, "end_user")] if req.end_user != buyer else [],
        "items": lines,
        "financing": ["national"],
        "determinations": [d.model_dump() for d in determinations],
    }
    return parse_proposal(raw, where=f"transfer {req.id}")


def _own_checks(
    session: Session, req: TransferRequest, items: Sequence[Item]
) -> tuple[list[transfers.Check], bool, str | None, int | None, str | None]:
    checks: list[transfers.Check] = []
    exclusion = rules.certification_exclusion(req.kind)
    required, section, days = False, None, None
    if exclusion is not None:
        checks.append(
            transfers.Check(
                "congressional_certification",
                "clear",
                f"No §3(d) certification: {exclusion}.",
                (),
                "AECA §3(d) [S124]",
            )
        )
    else:
        mde, total = _usd(req.mde_value_cents), _usd(req.total_value_cents)
        need = requirement(req.to_party, req.requested_on, mde, total, kind="retransfer")
        required, section, days = need.required, need.section, need.review_days
        if need.required:
            rationale = (
                f"§{need.section} certification required at original acquisition cost "
                f"(MDE ${mde:,.2f}, total ${total:,.2f}; thresholds met: {', '.join(need.tripped)}); "
                f"execution waits for its {need.review_days}-day review."
            )
            checks.append(
                transfers.Check(
                    "congressional_certification",
                    "concern",
                    rationale,
                    need.sources,
                    "AECA §3(d)(1)-(2) [S124]",
                )
            )
        else:
            checks.append(
                transfers.Check(
                    "congressional_certification",
                    "clear",
                    f"Below the §3(d) thresholds at original acquisition cost "
                    f"(MDE ${mde:,.2f}, total ${total:,.2f}).",
                    need.sources,
                    "AECA §3(d)(1), (5) [S124]",
                )
            )
    open_incidents = [
        i
        for it in items
        for i in monitoring.list_incidents(session, actor=None, item_id=it.id, open_on=req.requested_on)
    ]
    if open_incidents:
        checks.append(
            transfers.Check(
                "open_incidents",
                "block",
                f"{len(open_incidents)} open incident(s) name these items: "
                + ", ".join(f"{i.kind} ({i.discovered_on})" for i in open_incidents),
                tuple(f"equipment_incident:{i.id}" for i in open_incidents),
                "SAMM C8.6 [S73]",
            )
        )
    else:
        checks.append(
            transfers.Check(
                "open_incidents", "clear", "No open incident names these items.", (), "SAMM C8.6 [S73]"
            )
        )
    cat = get_catalog()
    late = [
        (it, due)
        for it in items
        if it.eeum_designation
        and (due := monitoring.delinquent_on(cat, it.eeum_designation, position_of(it), req.requested_on))
    ]
    if late:
        checks.append(
            transfers.Check(
                "overdue_inventories",
                "block",
                "EEUM inventory overdue: " + ", ".join(f"{it.serial} (due {due})" for it, due in late),
                tuple(f"equipment_item:{it.id}" for it, _ in late),
                "SAMM C8.4 [S77]",
            )
        )
    else:
        checks.append(
            transfers.Check(
                "overdue_inventories",
                "clear",
                "No EEUM inventory of these items is overdue.",
                (),
                "SAMM C8.4 [S77]",
            )
        )
    return checks, required, section, days, exclusion


def request_transfer(
    session: Session,
    *,
    actor: Principal | None,
    from_country: str,
    to_party: str,
    kind: str,
    on: date,
    end_use: str,
    end_user: str | None = None,
    return_by: date | None = None,
    serials: Sequence[str] = (),
    lot_id: int | None = None,
    quantity: int | None = None,
    screenings: Mapping[str, ScreeningOutcome] | None = None,
    determinations: Sequence[Determination] = (),
    clock: Clock | None = None,
) -> Filed:
    """File a transfer request from the holder country and run every check on it (see the
    module docstring). Without ``screenings`` the recipient and end user are screened
    through ``vetting.screening`` (with no list loaded they are "not screened": a block)."""
    source = transfers.party_code(from_country, "from")
    items = _items(session, actor, source, serials)
    lot = _lot(session, actor, source, lot_id, quantity or 0) if lot_id is not None else None
    cat = get_catalog()
    req = transfers.create_request(
        session,
        actor=actor,
        from_country=source,
        to_party=to_party,
        kind=kind,
        on=on,
        end_use=end_use,
        end_user=end_user,
        return_by=return_by,
        items=[
            transfers.RequestedItem(it.id, it.serial, it.unit_value_cents, cat.item_type(it.item_type).mde)
            for it in items
        ],
        lot_id=lot_id,
        lot_quantity=quantity,
        lot_value_cents=lot.unit_value_cents * (quantity or 0) if lot is not None else 0,
        clock=clock,
    )
    if lot is not None and cat.item_type(lot.item_type).mde:
        req.mde_value_cents += lot.unit_value_cents * (quantity or 0)
    if screenings is not None:
        screenings = check_cited_screenings(session, actor=actor, outcomes=screenings)
    else:
        draft = proposal_for(req, items, lot, screenings={})
        named = [NamedParty(p.name, p.role, p.country) for p in draft.parties]
        # Screened as the system, as the proposal below is filed: the holder filing the
        # request (checked by ``create_request``) need not hold ``vetting:write``.
        screenings = screen_parties(
            session, actor=None, parties=named, prefix=transfer_reference(req.id), clock=clock
        )
    proposal = proposal_for(req, items, lot, screenings=screenings, determinations=determinations)
    row = vetting.create_proposal(session, actor=None, proposal=proposal, clock=clock)
    decision = vetting.evaluate_proposal(
        session, actor=None, proposal_id=row.id, history=EquipmentDiversionHistory(session), clock=clock
    )
    outcome = {"approve": "clear", "review": "concern", "deny": "block"}[decision.recommendation]
    offices = decision.required_offices
    eligibility = transfers.Check(
        "direct_eligibility",
        outcome,
        f"The vetting engine's recommendation for a direct transfer to {req.to_party}: "
        f"{decision.recommendation}" + (f" (sign-off needed from {offices})" if offices else ""),
        (f"vetting:decision:{decision.id}",),
        "AECA §3(a)(2), §3(b) [S37]",
    )
    own, required, section, days, exclusion = _own_checks(session, req, items)
    transfers.record_checks(
        session,
        actor=actor,
        request=req,
        checks=[eligibility, *own],
        vetting_decision_id=decision.id,
        notification_required=required,
        section=section,
        review_days=days,
        exclusion=exclusion,
        clock=clock,
    )
    return Filed(req, decision, findings(session, req))


def findings(session: Session, req: TransferRequest) -> list[FindingRow]:
    """Every finding on a request: the vetting engine's (one per factor), then its own."""
    out: list[FindingRow] = []
    if req.vetting_decision_id is not None:
        for f in vetting_queries.findings_of(session, req.vetting_decision_id):
            out.append(FindingRow(f.factor, f.outcome, f.rationale, tuple(_json_list(f.evidence))))
    return out + own_findings(session, req)


def own_findings(session: Session, req: TransferRequest) -> list[FindingRow]:
    """The request's own findings (not the vetting engine's)."""
    return [
        FindingRow(t.factor, t.outcome, t.rationale, tuple(_json_list(t.evidence)))
        for t in transfer_queries.findings_of(session, req.id)
    ]


def may_read_vetting(actor: Principal | None, req: TransferRequest) -> bool:
    """Whether ``actor`` may read the request's vetting (its findings, sign-offs, notes)."""
    return actor is None or allowed(actor, "read", Resource("vetting", country=req.from_country))


def findings_as_seen(session: Session, actor: Principal | None, req: TransferRequest) -> list[FindingRow]:
    """The findings as ``actor`` may see them. The vetting engine's findings, and a finding of
    the request that rests on the vetting decision (its evidence cites it), are U.S.
    Government internal (DESIGN.md "Who uses it"; policy: only State, DoD and auditors read
    vetting): a viewer who may read the request but not its vetting — the holder, its SCO,
    Congress — sees such a finding's factor with its reasons withheld, as the offer gates'
    reasons are (``workflows.offer.gates_as_seen``)."""
    if may_read_vetting(actor, req):
        return findings(session, req)
    return [
        FindingRow(f.factor, "internal", WITHHELD, ())
        if any(e.startswith("vetting:") for e in f.evidence)
        else f
        for f in own_findings(session, req)
    ]


def _usd(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _json_list(text: str) -> list[str]:
    value = json.loads(text or "[]")
    return [str(v) for v in value] if isinstance(value, list) else []
