"""Participating nations of multinational (lead-nation) FMS cases (SAMM C5.6 [S21]; the
Lead Nation Procurement model, domain.md §6 [S20][S70]).

The lead nation (a NATO member) or NATO body (NATO N4, NSPA W7 — DSCA 22-85 [S27]) is the
sole purchaser; the LOA names the participating nations, each a NATO member on the case's
date. Each participant's signed "Basic Retransfer Assurances and LOA Standard Terms and
Conditions for Participating Nations" is recorded, and whether the case's §36(b)
notification named it as a transferee (AECA §3(d)(4)(C)(ii) [S124]). Keyword-only services
that take the session, never commit, and write one audit entry per change (tags
``case:participant:<action>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.cases.common import require_developer, require_write, resolve_case
from secassist.cases.models import Case, CaseParticipant
from secassist.core.clock import Clock, SystemClock, now
from secassist.core.errors import ConflictError, NotFoundError, UnknownCodeError, ValidationFailedError
from secassist.identity.policy import Principal, actor_of
from secassist.reference.service import get_reference

ASSURANCES = "Basic Retransfer Assurances and LOA Standard Terms and Conditions for Participating Nations"
# The customer codes of NATO bodies that buy as lead nation (DSCA 22-85 [S27]): N4 NATO
# lead-nation sales, W7 NSPA (agent sales, which also name participants).
LEAD_BODY_CODES = frozenset({"N4", "W7"})


def case_date(case: Case) -> date:
    """The case's date for membership: the LOA's acceptance, else its offer, else its
    creation (a case still in development is judged on the day it was opened)."""
    return case.accepted_on or case.offered_on or case.created_at.date()


def lead_nation_refusal(case: Case, on: date) -> str | None:
    """Why ``case`` cannot be a lead-nation case on ``on``, or None: its purchaser must be a
    NATO member or a NATO body buying under N4/W7 (SAMM C5.6 [S21]; DSCA 22-85 [S27])."""
    if case.purchaser_is_body:
        if case.fms_country_code not in LEAD_BODY_CODES:
            code = case.fms_country_code
            return f"{case.purchaser_code} (code {code}) is not a lead-nation purchaser (N4/W7)"
        return None
    if not get_reference().is_nato_member(case.purchaser_code, on):
        return f"purchaser {case.purchaser_code} is not a NATO member on {on}"
    return None


def participants_of(session: Session, case_id: int) -> list[CaseParticipant]:
    """The participating nations of a case, in the order they were added."""
    stmt = select(CaseParticipant).where(CaseParticipant.case_id == case_id).order_by(CaseParticipant.id)
    return list(session.scalars(stmt))


def participant(session: Session, case_id: int, country: str) -> CaseParticipant | None:
    """The participation of ``country`` in the case, if named."""
    stmt = select(CaseParticipant).where(
        CaseParticipant.case_id == case_id, CaseParticipant.country_code == country
    )
    return session.scalar(stmt)


def _country(code: str, field: str = "country") -> str:
    key = (code or "").strip().upper()
    try:
        return get_reference().country(key).code
    except UnknownCodeError:
        raise ValidationFailedError(f"{field}: unknown country {code!r}", field=field) from None


def _named(session: Session, case: Case, country: str) -> CaseParticipant:
    row = participant(session, case.id, country)
    if row is None:
        raise NotFoundError(
            f"country: {country} is not a participating nation of case {case.identifier}", field="country"
        )
    return row


def add_participant(
    session: Session,
    *,
    actor: Principal | None,
    case_ref: str | int,
    country: str,
    clock: Clock | None = None,
) -> CaseParticipant:
    """Name ``country`` a participating nation of a lead-nation case: it must be a NATO
    member on the case's date (:func:`case_date`), not the purchaser itself, and not named
    twice; the purchaser must be a lead nation (:func:`lead_nation_refusal`)."""
    require_write(actor)
    require_developer(actor, "name participating nations")
    case = resolve_case(session, actor=actor, ref=case_ref)
    code = _country(country)
    on = case_date(case)
    why = lead_nation_refusal(case, on)
    if why is not None:
        raise ValidationFailedError(f"case: {case.identifier} is not a lead-nation case: {why}", field="case")
    if code == case.purchaser_code:
        raise ValidationFailedError(f"country: {code} is the purchaser of {case.identifier}", field="country")
    if not get_reference().is_nato_member(code, on):
        raise ValidationFailedError(
            f"country: {code} is not a NATO member on the case's date {on} (SAMM C5.6)", field="country"
        )
    if participant(session, case.id, code) is not None:
        raise ConflictError(f"{code} is already a participating nation of {case.identifier}")
    clk = clock or SystemClock()
    row = CaseParticipant(
        case_id=case.id,
        country_code=code,
        added_on=clk.today(),
        assurances_signed_on=None,
        assurances_signatory=None,
        named_in_notification=False,
        created_at=now(clk),
    )
    add_recorded(
        session,
        [row],
        actor=actor_of(actor),
        tag="case:participant:added",
        subject_type="fms_case_participant",
        clock=clk,
    )
    return row


def record_assurances(
    session: Session,
    *,
    actor: Principal | None,
    case_ref: str | int,
    country: str,
    signed_on: date,
    signatory: str,
    clock: Clock | None = None,
) -> CaseParticipant:
    """Record the participant's signed "Basic Retransfer Assurances and LOA Standard Terms
    and Conditions for Participating Nations" (standard LNP case note [S70]): until then the
    lead nation may not transfer it an article."""
    require_write(actor)
    case = resolve_case(session, actor=actor, ref=case_ref)
    row = _named(session, case, _country(country))
    who = (signatory or "").strip()
    if not who:
        raise ValidationFailedError("signatory: must not be empty", field="signatory")
    if len(who) > 300:
        raise ValidationFailedError("signatory: longer than 300 characters", field="signatory")
    clk = clock or SystemClock()
    if signed_on > clk.today():
        raise ValidationFailedError(f"signed: {signed_on} is in the future", field="signed")
    row.assurances_signed_on = signed_on
    row.assurances_signatory = who
    add_recorded(
        session,
        [row],
        actor=actor_of(actor),
        tag="case:participant:assurances",
        subject_type="fms_case_participant",
        clock=clk,
    )
    return row


def mark_named_in_notification(
    session: Session,
    *,
    actor: Principal | None,
    case_ref: str | int,
    country: str,
    clock: Clock | None = None,
) -> CaseParticipant:
    """Record that the case's §36(b) notification named ``country`` as a transferee: its
    lead-nation transfers then need no §3(d) certification (AECA §3(d)(4)(C)(ii) [S124])."""
    require_write(actor)
    require_developer(actor, "record the notification's transferees")
    case = resolve_case(session, actor=actor, ref=case_ref)
    row = _named(session, case, _country(country))
    if row.named_in_notification:
        return row
    row.named_in_notification = True
    add_recorded(
        session,
        [row],
        actor=actor_of(actor),
        tag="case:participant:named",
        subject_type="fms_case_participant",
        clock=clock,
    )
    return row


def participant_rows(rows: Sequence[CaseParticipant]) -> list[dict[str, object]]:
    """The scripting contract's rows: ``country``, ``assurances_signed_on``, ``named_in_notification``."""
    return [
        {
            "country": r.country_code,
            "assurances_signed_on": r.assurances_signed_on.isoformat() if r.assurances_signed_on else None,
            "named_in_notification": r.named_in_notification,
        }
        for r in rows
    ]
