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

from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.equipment import custody
from secassist.equipment import queries as equipment_queries
from secassist.equipment.models import CustodyEvent, Item
from secassist.equipment.service import apply_events
from secassist.identity.policy import Principal, Resource, check
from secassist.transfers import rules
from secassist.transfers import service as transfers
from secassist.transfers.errors import TransferRefusedError
from secassist.transfers.models import InboxEntry, TransferRequest
from secassist.transfers.queries import get_request, items_of
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
    out = apply_events(
        session,
        actor=actor,
        changes=[
            (it, custody.Event("transferred", on, holder_country=to_holder, holder_org=to_org))
            for it in items
        ],
        note=authority,
        clock=clock,
    )
    out += apply_events(
        session,
        actor=actor,
        changes=[
            (it, custody.Event("received", on, holder_country=to_holder, holder_org=to_org)) for it in items
        ],
        note=authority,
        clock=clock,
    )
    return out


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
    items = [session.get_one(Item, ti.item_id) for ti in items_of(session, req.id)]
    for it in items:
        if it.holder_country != holder or it.state not in custody.HELD:
            raise TransferRefusedError(
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
    clock: Clock | None = None,
) -> Executed:
    """Execute an approved request on ``on``, in the caller's one transaction: the custody
    events (or the disposal / demilitarization in place), the new holder, and the inbox
    entries of both offices. Refused without a current approval, for other serials than
    approved, after the approval lapsed, or before the §3(d) review period has run
    (:func:`secassist.transfers.service.check_executable`)."""
    req = get_request(session, actor=actor, request_id=request_id)
    if actor is not None:
        check(actor, "write", Resource("transfer", country=req.from_country), what="transfer")
    transfers.check_executable(session, req, on=on, serials=serials)
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
    if req.status != "executed" or req.executed_on is None:
        raise TransferRefusedError("not_approved", f"request {req.id} is {req.status}, not executed")
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
