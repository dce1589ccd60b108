"""Deliver against an FMS case line: the cases domain's facts, the equipment domain's registry.

The case is read through the cases domain (scoped to the actor: a partner delivers only to
its own cases' lines) and handed to the equipment service as a plain :class:`LineRef`;
the equipment service enforces the rest (accepted or implemented case, quantity, serials,
the custody chain's first event).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from secassist.cases import service as cases
from secassist.cases.facts import CaseFacts
from secassist.core.clock import Clock
from secassist.core.errors import NotFoundError
from secassist.equipment import service
from secassist.equipment.schemas import LineRef
from secassist.identity.policy import Principal, require_permission


def line_ref(case: CaseFacts, line_no: str) -> LineRef:
    """The line numbered ``line_no`` (``001``, or ``1``) of ``case`` as equipment needs it."""
    wanted = line_no.strip().zfill(3)
    line = next((ln for ln in case.lines if ln.number == wanted), None)
    if line is None:
        raise NotFoundError(f"line: {case.identifier} has no line {line_no!r}", field="line")
    return LineRef(
        case_id=case.case_id,
        case_ref=case.identifier,
        case_status=case.status,
        accepted_on=case.accepted_on,
        purchaser_code=case.purchaser_code,
        purchaser_country=case.country_code,
        line_id=line.line_id,
        line_number=line.number,
        description=line.description,
        quantity=line.quantity,
        unit_cost=line.unit_cost,
        eeum=line.eeum,
    )


def deliver(
    session: Session,
    *,
    actor: Principal | None,
    case_ref: str | int,
    line_no: str,
    on: date,
    site: str | int,
    serials: Sequence[str] = (),
    quantity: int | None = None,
    item_type: str | None = None,
    manufacturer: str = "",
    lot_number: str | None = None,
    is_demo: bool = False,
    clock: Clock | None = None,
) -> service.Delivery:
    """Deliver ``serials`` (or a bulk ``quantity``) against line ``line_no`` of ``case_ref``.

    Delivering against a line is the implementing agency's act (SAMM C6 case execution), so
    it needs ``case_line:write`` besides the equipment scope; the partner and its SCO record
    what follows (receipt, storage, issue, inventories)."""
    case = cases.resolve_case(session, actor=actor, ref=case_ref)
    if actor is not None:
        require_permission(actor, "case_line:write")
    return service.deliver(
        session,
        actor=actor,
        line=line_ref(cases.case_facts(session, case.id), line_no),
        on=on,
        site=site,
        serials=serials,
        quantity=quantity,
        item_type=item_type,
        manufacturer=manufacturer,
        lot_number=lot_number,
        is_demo=is_demo,
        clock=clock,
    )
