"""Deciding and executing a transfer request: State's decision through the vetting
decision machinery, then custody, holder and EEUM responsibility moved in one transaction.

EEUM responsibility is *derived* from the holder country: the delinquency report and the
due lists (``equipment/monitoring.py``) group items by ``holder_country`` and name that
country's security cooperation office (SAMM C8.4 [S80]). So the ``received`` event that
makes the recipient the holder is the move of responsibility: both offices' due lists
change in the same commit, and each gets an inbox entry — the notice inspectors found
missing when EEUM items reached Ukraine from allies [S69].

:func:`move_items` is the seam lead-nation transfers reuse: it moves given items from their
holder to a recipient under a given authority, whatever consented to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.equipment import custody
from secassist.equipment import queries as equipment_queries
from secassist.equipment.lots import held_units, record_lot_event, split_lot
from secassist.equipment.models import CustodyEvent, Item, Lot, Site
from secassist.equipment.service import apply_events
from secassist.identity.policy import Principal, Resource, check
from secassist.transfers import rules
from secassist.transfers import service as transfers
from secassist.transfers.errors import TransferConflictError, TransferRefusedError
from secassist.transfers.models import InboxEntry, TransferItem, TransferRequest
from secassist.transfers.queries import get_request
from secassist.vetting import service as vetting
from secassist.vetting.decisions_models import VettingDecision


def move_items(
    session: Session,
    *,
    actor: Principal | None,
    items: Sequence[Item],
    to_holder: str,
    to_org: str,
    on: date,
    authority: str,
    clock: Clock | None = None,
) -> list[CustodyEvent]:
    """Move ``items`` from their holder to ``to_holder``: a ``transferred`` event out of the
    old holder and a ``received`` event by the new one per item, each with its audit entry
    and ``authority`` (``transfer:12``, a lead-nation case's authorization) as its note.
    The custody rules judge every event before anything is written (one refusal, nothing
    written); the caller has checked that the move is authorized."""
    # One call: the events are flushed in one batch and each item is updated once, while
    # each event still gets its own entry with the item as that event left it.
    return apply_events(
        session,
        actor=actor,
        changes=[
            (it, custody.Event(kind, on, holder_country=to_holder, holder_org=to_org))
            for kind in ("transferred", "received")
            for it in items
        ],
        note=authority,
        clock=clock,
    )


def receiving_site(session: Session, country: str, site: str | int | None) -> Site:
    """Where the recipient keeps the units of a lot it receives: ``site`` (a site in
    ``country``), else the country's one registered site. A lot is accounted at a site, so a
    recipient with none, or with several and none named, is refused (rule ``site``). The
    system resolves it: the sender may not otherwise see the recipient's sites."""
    if site is not None and str(site).strip():
        row = equipment_queries.get_site(session, actor=None, ref=site, field="site")
        if row.country_code != country:
            raise TransferRefusedError(
                "site", f"{row.name} is in {row.country_code}, not {country}", field="site"
            )
        return row
    rows = list(session.scalars(select(Site).where(Site.country_code == country).order_by(Site.id).limit(2)))
    if len(rows) != 1:
        why = "has no registered site" if not rows else "has several sites"
        raise TransferRefusedError(
            "site", f"{country} {why}; name the site that receives the lot's units (--site)", field="site"
        )
    return rows[0]


def move_lot(
    session: Session,
    *,
    actor: Principal | None,
    lot_id: int,
    quantity: int,
    to_holder: str,
    on: date,
    authority: str,
    site: str | int | None = None,
    clock: Clock | None = None,
) -> Lot:
    """Move ``quantity`` units of a lot to ``to_holder``: the lot is split, the units go to a
    new lot at the recipient's receiving site (:func:`receiving_site`), the remainder stays
    (:func:`secassist.equipment.lots.split_lot`). The lot seam lead-nation transfers reuse."""
    return split_lot(
        session, actor=actor, lot_id=lot_id, quantity=quantity, on=on, to_country=to_holder,
        to_site=receiving_site(session, to_holder, site), note=authority, clock=clock,
    )  # fmt: skip


def lot_label(lot: Lot, quantity: int) -> str:
    """How an inbox entry or a notice names units of a lot."""
    return f"{quantity} units of lot {lot.lot_number or lot.id}"


def decide_transfer(
    session: Session,
    *,
    actor: Principal | None,
    request_id: int,
    decision: str,
    on: date,
    provisos: Sequence[str] = (),
    valid_until: date | None = None,
    clock: Clock | None = None,
) -> TransferRequest:
    """State approves or denies. The request's vetting decision is finalized with the same
    decision and provisos (so its blocks and the offices' sign-offs apply, as in vetting),
    then the request's own: a blocking finding of either means no approval. Everything the
    vetting approval would refuse (a missing sign-off, the decider's own sign-off) is checked
    before anything is written."""
    found = get_request(session, actor=actor, request_id=request_id)
    if actor is not None:  # who may not decide hears so before anything about the vetting
        check(actor, "approve", Resource("transfer", country=found.from_country), what="transfer")
    pending = found.vetting_decision_id
    open_vetting = pending is not None and session.get_one(VettingDecision, pending).status == "open"
    if decision == "approve" and pending is not None and open_vetting:
        vetting.check_approvable(session, actor=actor, decision_id=pending)
    req = transfers.decide(
        session,
        actor=actor,
        request_id=request_id,
        decision=decision,
        on=on,
        provisos=provisos,
        valid_until=valid_until,
        clock=clock,
    )
    if req.vetting_decision_id is not None:
        d = session.get_one(VettingDecision, req.vetting_decision_id)
        if d.status == "open":
            vetting.finalize_decision(
                session,
                actor=actor,
                decision_id=d.id,
                decision=decision,
                provisos=provisos,
                comment=f"transfer request {req.id}",
                clock=clock,
            )
        elif d.final_decision != decision:
            raise TransferRefusedError(
                "blocked", f"vetting decision {d.id} is {d.status} ({d.final_decision})", field="decision"
            )
    return req


@dataclass(frozen=True)
class Executed:
    request: TransferRequest
    events: list[CustodyEvent]
    inbox: list[InboxEntry]


def _held_items(session: Session, req: TransferRequest, holder: str) -> list[Item]:
    """The request's items, in the order they were requested, checked to be held by
    ``holder``: one SELECT for all of them (a request may name thousands)."""
    items = list(
        session.scalars(
            select(Item)
            .join(TransferItem, TransferItem.item_id == Item.id)
            .where(TransferItem.request_id == req.id)
            .order_by(TransferItem.id)
        )
    )
    for it in items:
        if it.holder_country != holder or it.state not in custody.HELD:
            raise TransferConflictError(
                "not_held",
                f"{it.serial} is {it.state}, held by {it.holder_country}, not {holder}",
                field="serials",
            )
    return items


def execute_transfer(
    session: Session,
    *,
    actor: Principal | None,
    request_id: int,
    on: date,
    serials: Sequence[str] | None = None,
    site: str | int | None = None,
    clock: Clock | None = None,
) -> Executed:
    """Execute an approved request on ``on``, in the caller's one transaction: the custody
    events (or the disposal / demilitarization in place), the new holder, and the inbox
    entries of both offices. Refused without a current approval, for other serials than
    approved, after the approval lapsed, or before the §3(d) review period has run
    (:func:`secassist.transfers.service.check_executable`). A lot request moves its quantity
    of the lot (split; the remainder stays) to the recipient's receiving ``site``."""
    req = get_request(session, actor=actor, request_id=request_id)
    if actor is not None:
        check(actor, "write", Resource("transfer", country=req.from_country), what="transfer")
    transfers.check_executable(session, req, on=on, serials=serials)
    if req.lot_id is not None:
        return _execute_lot(session, actor, req, on, site, clock)
    items = _held_items(session, req, req.from_country)
    authority = f"transfer:{req.id}"
    events: list[CustodyEvent] = []
    if req.kind in rules.MOVES:
        events = move_items(
            session,
            actor=actor,
            items=items,
            to_holder=req.to_party,
            to_org=req.end_user,
            on=on,
            authority=authority,
            clock=clock,
        )
    elif req.kind in rules.IN_PLACE_END:
        end = rules.IN_PLACE_END[req.kind]
        events = apply_events(
            session,
            actor=actor,
            changes=[(it, custody.Event(end, on)) for it in items],
            note=authority,
            clock=clock,
        )
    entries = transfers.mark_moved(
        session,
        actor=actor,
        request=req,
        on=on,
        returning=False,
        serials=[i.serial for i in items],
        clock=clock,
    )
    return Executed(req, events, entries)


def _execute_lot(
    session: Session,
    actor: Principal | None,
    req: TransferRequest,
    on: date,
    site: str | int | None,
    clock: Clock | None,
) -> Executed:
    assert req.lot_id is not None  # a lot request
    assert req.lot_quantity is not None
    lot = session.get_one(Lot, req.lot_id)
    authority = f"transfer:{req.id}"
    if req.kind in rules.MOVES:
        got = move_lot(
            session, actor=actor, lot_id=lot.id, quantity=req.lot_quantity, to_holder=req.to_party, on=on,
            authority=authority, site=site, clock=clock,
        )  # fmt: skip
        req.received_lot_id = got.id
    elif req.kind in rules.IN_PLACE_END:
        bal = held_units(session, lot)
        if req.lot_quantity > bal.held:
            raise TransferConflictError(
                "not_held", f"lot {lot.id} holds {bal.held} units, not {req.lot_quantity}", field="quantity"
            )
        left = req.lot_quantity
        for holder, held in bal.holdings:
            take = min(left, held)
            record_lot_event(
                session, actor=actor, lot_id=lot.id, kind="destroyed", quantity=take, on=on,
                site=holder.id if holder.kind == "site" else None,
                unit=holder.id if holder.kind == "unit" else None, note=authority, clock=clock,
            )  # fmt: skip
            left -= take
            if not left:
                break
    entries = transfers.mark_moved(
        session, actor=actor, request=req, on=on, returning=False,
        serials=[lot_label(lot, req.lot_quantity)], clock=clock,
    )  # fmt: skip
    return Executed(req, [], entries)


def _home_org(session: Session, item: Item, country: str) -> str:
    """The organization that held ``item`` in ``country`` before it left (for its return)."""
    org = None
    for ev, _ in equipment_queries.events_of(session, item.id):
        if ev.holder_country == country and ev.kind != "transferred" and ev.holder_org:
            org = ev.holder_org
    return org or f"Government of {country}"


def return_transfer(
    session: Session, *, actor: Principal | None, request_id: int, on: date, clock: Clock | None = None
) -> Executed:
    """Record the return of a temporary transfer (repair, exercise, display): the items go
    back to the sending country, whose office is again responsible; both are told."""
    req = get_request(session, actor=actor, request_id=request_id)
    if actor is not None:
        check(actor, "write", Resource("transfer", country=req.from_country), what="transfer")
    if req.kind not in rules.TEMPORARY:
        raise TransferRefusedError(
            "not_temporary", f"request {req.id} is a {req.kind}; only temporary ones return"
        )
    if req.status == "returned":
        # Returned already (by a concurrent call, typically): the request moved past this step.
        raise TransferConflictError("not_executed", f"request {req.id} was already returned")
    if req.status != "executed" or req.executed_on is None:
        raise TransferRefusedError("not_approved", f"request {req.id} is {req.status}, not executed")
    if req.received_lot_id is not None:
        # The units the recipient received go back to the lot's delivery site at home.
        got = session.get_one(Lot, req.received_lot_id)
        home = session.get_one(Lot, req.lot_id) if req.lot_id is not None else got
        # As the system: the sender that records the return may not read the recipient's lot;
        # the executed request is the authority, and the inbox entries carry the actor.
        move_lot(
            session, actor=None, lot_id=got.id, quantity=held_units(session, got).held,
            to_holder=req.from_country, on=on, authority=f"transfer:{req.id}:return", site=home.site_id,
            clock=clock,
        )  # fmt: skip
        entries = transfers.mark_moved(
            session, actor=actor, request=req, on=on, returning=True,
            serials=[lot_label(got, req.lot_quantity or got.quantity)], clock=clock,
        )  # fmt: skip
        return Executed(req, [], entries)
    items = _held_items(session, req, req.to_party)
    events: list[CustodyEvent] = []
    for it in items:
        events += move_items(
            session,
            actor=actor,
            items=[it],
            to_holder=req.from_country,
            to_org=_home_org(session, it, req.from_country),
            on=on,
            authority=f"transfer:{req.id}:return",
            clock=clock,
        )
    entries = transfers.mark_moved(
        session,
        actor=actor,
        request=req,
        on=on,
        returning=True,
        serials=[i.serial for i in items],
        clock=clock,
    )
    return Executed(req, events, entries)
