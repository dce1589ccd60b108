"""A lead-nation transfer: articles of a multinational FMS case moved among its lead nation
and participating nations (SAMM C5.6 [S21]; the LNP case note [S70]; domain.md §6).

Every rule is checked before anything is written (one refusal, nothing written):

1. the case is a lead-nation case (:func:`secassist.cases.participants.lead_nation_refusal`);
2. the recipient is the lead nation or a named participant — anyone else needs U.S.
   consent like any third-party transfer (``secassist transfers request``);
3. holder and recipient are NATO members (or NATO) on the transfer date;
4. the recipient's signed participant assurances are recorded;
5. §3(d): no certification when the case's §36(b) notification named the recipient
   (AECA §3(d)(4)(C)(ii) [S124]); otherwise the third-party transfer thresholds apply
   (``notification/thresholds.py``, kind ``retransfer``), and a transfer that needs a
   certification is refused here: it goes through ``transfers request``.

Then, in the caller's one transaction: the written notice to State (PM/RSAT) on the first
transfer to each participant, the custody move (:func:`move_items`) whose ``received``
event makes the recipient the holder — and so its security cooperation office responsible
for EEUM, since responsibility is derived from the holder country — or, for units of a bulk
lot, the lot's split (:func:`move_lot`), and an inbox entry for both countries' offices. Each item's custody
events carry the authority (the notice, or the case's blanket authorization) and their
audit entries, and appear in the item's trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from secassist.cases import participants as parts
from secassist.cases.common import resolve_case
from secassist.core.clock import Clock
from secassist.core.errors import ValidationFailedError
from secassist.equipment import custody, queries
from secassist.equipment.catalog import get_catalog
from secassist.equipment.lots import get_lot
from secassist.equipment.models import CustodyEvent, Item, Lot
from secassist.identity.policy import Principal, Resource, check
from secassist.notification.thresholds import requirement
from secassist.reference.service import get_reference
from secassist.transfers import lead_nation as lnp
from secassist.transfers.errors import TransferConflictError, TransferRefusedError
from secassist.transfers.models import InboxEntry, LeadNationNotice
from secassist.transfers.service import notify_lead_nation, party_code
from secassist.workflows.transfer_execute import lot_label, move_items, move_lot


@dataclass(frozen=True)
class LeadNationTransfer:
    case_ref: str
    to: str
    on: date
    serials: tuple[str, ...]
    authority: str
    certification_exclusion: str | None
    notice: LeadNationNotice | None
    events: list[CustodyEvent]
    inbox: list[InboxEntry] = field(default_factory=list)
    lot: Lot | None = None  # the lot split off for the recipient, for a lot transfer


def _items(
    session: Session, actor: Principal | None, case_id: int, case_ref: str, serials: Sequence[str]
) -> list[Item]:
    if not serials:
        raise ValidationFailedError("serials: name at least one serial", field="serials")
    out: list[Item] = []
    seen: set[str] = set()
    for raw in serials:
        serial = raw.strip()
        if serial in seen:
            raise ValidationFailedError(f"serials: {serial!r} is listed twice", field="serials")
        seen.add(serial)
        item = queries.find_item(session, actor=actor, serial=serial)
        if item.case_id != case_id:
            raise ValidationFailedError(
                f"serials: {serial} was delivered under {item.case_ref}, not {case_ref}", field="serials"
            )
        if item.state not in custody.HELD or item.holder_country is None:
            raise TransferConflictError("not_held", f"{serial} is {item.state}, not held", field="serials")
        out.append(item)
    return out


def transfer_lead_nation(
    session: Session,
    *,
    actor: Principal | None,
    case_ref: str | int,
    to: str,
    on: date,
    serials: Sequence[str] = (),
    lot_id: int | None = None,
    quantity: int | None = None,
    site: str | int | None = None,
    clock: Clock | None = None,
) -> LeadNationTransfer:
    """Move the named items — or ``quantity`` units of a lot, split off to the recipient's
    receiving ``site`` — of a lead-nation case from their current holder to ``to`` on
    ``on`` (see the module docstring for the rules, each with its authority). Both
    countries' offices get an inbox entry naming the case."""
    if bool(serials) == (lot_id is not None):
        raise ValidationFailedError(
            "serials: give serials or a lot with a quantity, not both", field="serials"
        )
    if lot_id is not None and (quantity is None or quantity < 1):
        raise ValidationFailedError(
            "quantity: a lot transfer names a quantity of at least 1", field="quantity"
        )
    case = resolve_case(session, actor=None, ref=case_ref)
    ref = case.identifier
    why = parts.lead_nation_refusal(case, parts.case_date(case))
    if why is not None:
        raise TransferRefusedError(
            "not_lead_nation", f"case {ref} is not a lead-nation case: {why}", field="case"
        )
    target = party_code(to, "to")
    lead = case.purchaser_code
    named = {p.country_code: p for p in parts.participants_of(session, case.id)}
    row = named.get(target)
    lnp.check_participant(
        ref,
        target,
        participants=list(named),
        lead=lead,
        assurances_on=row.assurances_signed_on if row else None,
        on=on,
    )
    lnp.check_member(target, on, role="recipient")
    cat = get_catalog()
    lot: Lot | None = None
    if lot_id is not None:
        lot, lot_site = get_lot(session, actor=actor, lot_id=lot_id)
        if lot.case_id != case.id:
            raise ValidationFailedError(
                f"lot: lot {lot.id} was delivered under {lot.case_ref}, not {ref}", field="lot"
            )
        items: list[Item] = []
        holders = [lot_site.country_code]
        lot_mde = cat.item_type(lot.item_type).mde
        lot_cents = lot.unit_value_cents * (quantity or 0)
    else:
        items = _items(session, actor, case.id, ref, serials)
        holders = sorted({it.holder_country or "" for it in items})
        lot_mde, lot_cents = False, 0
    if len(holders) > 1:
        # One transfer, one transferring country (its notice and §3(d) facts name one).
        raise ValidationFailedError(
            f"serials: held by several countries ({', '.join(holders)}); transfer each holder's apart",
            field="serials",
        )
    for holder in holders:
        if holder == target:
            raise ValidationFailedError(f"to: {target} already holds some of these items", field="to")
        if holder != lead and holder not in named:
            raise TransferRefusedError(
                "consent",
                f"the items are held by {holder}, outside case {ref}'s participants: "
                "moving them needs U.S. consent; file it with `secassist transfers request`",
                field="serials",
            )
        lnp.check_member(holder, on, role="holder")
        if actor is not None:
            check(actor, "write", Resource("transfer", country=holder), what="transfer")
    exclusion = certification(
        target,
        on,
        mde_cents=sum(it.unit_value_cents for it in items if cat.item_type(it.item_type).mde)
        + (lot_cents if lot_mde else 0),
        total_cents=sum(it.unit_value_cents for it in items) + lot_cents,
        named=target == lead or bool(row and row.named_in_notification),
    )
    lines = [(cat.item_type(it.item_type).nomenclature, it.serial) for it in items]
    if lot is not None:
        lines = [
            (
                f"{cat.item_type(lot.item_type).nomenclature}, {quantity} units",
                f"lot {lot.lot_number or lot.id}",
            )
        ]
    notice = None
    if target != lead and lnp.notice_for(session, case.id, target) is None:
        notice = lnp.record_notice(
            session,
            actor=actor,
            case_id=case.id,
            case_ref=ref,
            lead=lead,
            from_country=holders[0],
            to_country=target,
            on=on,
            lines=lines,
            clock=clock,
        )
        authority = f"lead-nation:{ref}:notice:{notice.id}"
    else:
        authority = f"lead-nation:{ref}:blanket ({lnp.BLANKET})"
    ref_data = get_reference()
    to_org = (
        f"Government of {target}"
        if target in {c.code for c in ref_data.countries()}
        else ref_data.body(target).name
    )
    received: Lot | None = None
    events: list[CustodyEvent] = []
    if lot is not None:
        received = move_lot(
            session, actor=actor, lot_id=lot.id, quantity=quantity or 0, to_holder=target, on=on,
            authority=authority, site=site, clock=clock,
        )  # fmt: skip
        moved = [lot_label(lot, quantity or 0)]
    else:
        events = move_items(
            session,
            actor=actor,
            items=items,
            to_holder=target,
            to_org=to_org,
            on=on,
            authority=authority,
            clock=clock,
        )
        moved = [it.serial for it in items]
    entries = notify_lead_nation(
        session, actor=actor, case_id=case.id, case_ref=ref, from_country=holders[0], to_country=target,
        on=on, serials=moved, authority=authority, clock=clock,
    )  # fmt: skip
    return LeadNationTransfer(
        ref, target, on, tuple(moved), authority, exclusion, notice, events, entries, received
    )


def certification(target: str, on: date, *, mde_cents: int, total_cents: int, named: bool) -> str | None:
    """The §3(d) exclusion a lead-nation transfer to ``target`` has, or None when it is below
    the thresholds; refuses one that needs a certification.

    No certification when the case's §36(b) notification named the transferee (AECA
    §3(d)(4)(C)(ii) [S124]; domain.md §2 note (d)). Otherwise the third-party transfer rules
    apply: the §3(d) thresholds at original acquisition cost as of ``on``
    (``notification/thresholds.py``, kind ``retransfer``); a transfer that needs the
    certification goes through ``secassist transfers request``, which carries it.
    """
    if named:
        return lnp.NAMED_EXCLUSION
    mde, total = Decimal(mde_cents).scaleb(-2), Decimal(total_cents).scaleb(-2)
    need = requirement(target, on, mde, total, kind="retransfer")
    if need.required:
        raise TransferRefusedError(
            "certification",
            f"the case's §36(b) notification did not name {target}: a §{need.section} certification is "
            f"required at original acquisition cost (thresholds met: {', '.join(need.tripped)}); "
            "file it with `secassist transfers request`",
            field="to",
        )
    return None
