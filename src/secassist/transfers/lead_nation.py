"""Lead-nation (multinational) transfers: the rules that admit a transfer among a case's
participating nations, and the written notice of the initial transfer to State (PM/RSAT).

Sources (domain.md §6 and §2 note (d)):

- the standard LNP case note [S70]: no transfer to a participating nation until it has signed
  the participant assurances; on the initial transfer the lead nation notifies State
  (PM/RSAT) in writing; no transfer outside the named countries or NATO body without
  prior U.S. consent (AECA §3(a)(2) [S37]);
- SAMM C5.6 and Fig. C5.F20 "Request for Multinational FMS Blanket Retransfer
  Authorization" [S21]: later retransfers among the named participants go under the case's
  blanket authorization, without a new consent;
- AECA §3(d)(4)(C)(ii) [S124]: no §3(d) certification for a lead-nation transfer among NATO
  members (or between NATO and a member) when the §36(b) notification named the transferees.

The pure rules take plain values; :func:`record_notice` writes the notice with its one
audit entry. The cross-domain step (case, participants, items, custody) is
``workflows/lead_nation.py``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, SystemClock, now
from secassist.identity.policy import Principal, actor_of
from secassist.reference.service import get_reference
from secassist.transfers.errors import TransferRefusedError
from secassist.transfers.models import LeadNationNotice

BLANKET = "SAMM C5.6, Fig. C5.F20"
NAMED_EXCLUSION = (
    "lead-nation transfer among NATO members named in the §36(b) notification (AECA §3(d)(4)(C)(ii))"
)


def check_member(party: str, on: date, *, role: str) -> None:
    """Refuse unless ``party`` (a country, or a NATO body) is a NATO member on ``on``: a
    lead-nation transfer stays among NATO members and NATO itself (SAMM C5.6 [S21]), read
    as of the transfer date (a nation not yet, or no longer, a member is refused)."""
    ref = get_reference()
    if party in {b.code for b in ref.bodies()}:
        return  # NATO itself or one of its agencies (NSPA)
    if not ref.is_nato_member(party, on):
        raise TransferRefusedError("non_member", f"{role} {party} is not a NATO member on {on}", field="to")


def check_participant(
    case_ref: str, to: str, *, participants: Sequence[str], lead: str, assurances_on: date | None, on: date
) -> None:
    """Refuse a transfer to anyone outside the case's lead nation and named participants
    (it needs U.S. consent like any third-party transfer, AECA §3(a)(2) [S37]), and one to a
    participant whose signed assurances are not recorded on ``on`` (case note [S70])."""
    if to != lead and to not in participants:
        raise TransferRefusedError(
            "consent",
            f"{to} is not a participating nation of case {case_ref}: a transfer outside the named "
            "participants needs U.S. consent (AECA §3(a)(2)); file it with `secassist transfers request`",
            field="to",
        )
    if to != lead and (assurances_on is None or assurances_on > on):
        raise TransferRefusedError(
            "assurances",
            f'{to} has no signed "Basic Retransfer Assurances and LOA Standard Terms and Conditions '
            f'for Participating Nations" recorded for case {case_ref} on {on}',
            field="to",
        )


def notice_text(
    *,
    case_ref: str,
    lead: str,
    from_country: str,
    to_country: str,
    on: date,
    lines: Sequence[tuple[str, str]],
) -> str:
    """The written notice to State (PM/RSAT) of the initial transfer to a participating
    nation: the case, the parties, the date, and each item with its serial ([S70])."""
    rows = "\n".join(f"  - {what}, serial {serial}" for what, serial in lines)
    return (
        "To: U.S. Department of State, Bureau of Political-Military Affairs, "
        "Office of Regional Security and Arms Transfers (PM/RSAT)\n"
        f"Subject: Initial transfer under multinational FMS case {case_ref}\n\n"
        f"The lead nation {lead} gives notice that on {on.isoformat()} the following "
        f"{len(lines)} defense article(s) of case {case_ref} are transferred from {from_country} "
        f"to the participating nation {to_country}, which has signed the Basic Retransfer "
        "Assurances and LOA Standard Terms and Conditions for Participating Nations:\n"
        f"{rows}\n\n"
        f"Later retransfers among the case's named participants follow the case's blanket "
        f"retransfer authorization ({BLANKET}) and LOA Standard Terms §2.4.\n"
    )


def notice_for(session: Session, case_id: int, to_country: str) -> LeadNationNotice | None:
    """The initial-transfer notice already recorded for this case and participant."""
    stmt = select(LeadNationNotice).where(
        LeadNationNotice.case_id == case_id, LeadNationNotice.to_country == to_country
    )
    return session.scalar(stmt)


def notices_of(session: Session, case_id: int) -> list[LeadNationNotice]:
    """A case's initial-transfer notices, oldest first."""
    stmt = select(LeadNationNotice).where(LeadNationNotice.case_id == case_id).order_by(LeadNationNotice.id)
    return list(session.scalars(stmt))


def record_notice(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    case_ref: str,
    lead: str,
    from_country: str,
    to_country: str,
    on: date,
    lines: Sequence[tuple[str, str]],
    clock: Clock | None = None,
) -> LeadNationNotice:
    """Record the generated written notice of the initial transfer to ``to_country``: one
    audit entry (``transfer:lead_notice:recorded``)."""
    clk = clock or SystemClock()
    row = LeadNationNotice(
        case_id=case_id,
        case_ref=case_ref,
        from_country=from_country,
        to_country=to_country,
        notified_on=on,
        serials=json.dumps([serial for _, serial in lines]),
        body=notice_text(
            case_ref=case_ref, lead=lead, from_country=from_country, to_country=to_country, on=on, lines=lines
        ),
        created_at=now(clk),
        created_by="system" if actor is None else actor.label,
    )
    add_recorded(
        session,
        [row],
        actor=actor_of(actor),
        tag="transfer:lead_notice:recorded",
        subject_type="transfer_lead_notice",
        clock=clk,
    )
    return row
