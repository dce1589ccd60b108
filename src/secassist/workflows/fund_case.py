"""Obligate FMF to an FMS case's lines: the case domain's facts, the program domain's
ledger (domain.md §9: State allocates FMF to the country; the FMF commitment pays the case,
line by line [S98]).

Each line gets one obligation (one audit entry each) from the purchaser country's
allocation of the given FMF appropriation; the ledger's own rules (available balance,
period of availability) apply to every line, and the unit of work rolls all of them back
if any is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from secassist.cases import service as cases
from secassist.cases.facts import CaseFacts
from secassist.core.errors import ValidationFailedError
from secassist.core.types import to_money
from secassist.identity.policy import Principal
from secassist.programs import queries, service
from secassist.programs.models import LedgerEntry
from secassist.programs.oversight import CaseFunding, case_funding


def fund_case(
    session: Session,
    *,
    actor: Principal | None,
    case: CaseFacts,
    appropriation_id: int,
    on: date,
    amounts: Mapping[int, object] | None = None,
) -> list[LedgerEntry]:
    """Obligate FMF from ``appropriation_id`` to ``case``'s lines: ``amounts`` by line id, or
    by default each line's unfunded remainder (line value − FMF already obligated)."""
    if case.financing not in ("fmf", "mixed"):
        raise ValidationFailedError(
            f"case_id: case {case.identifier} is financed by {case.financing} funds, not FMF", field="case_id"
        )
    if case.purchaser_is_body:
        raise ValidationFailedError(
            f"case_id: FMF is allocated to countries; {case.purchaser_code} is a NATO body", field="case_id"
        )
    appr = queries.get_appropriation(session, actor=actor, appropriation_id=appropriation_id)
    if appr.program != "FMF":
        raise ValidationFailedError(
            f"appropriation_id: appropriation {appr.id} is {appr.program}, not FMF", field="appropriation_id"
        )
    lines = {ln.line_id: ln for ln in case.lines}
    funded = {
        f.case_line_id: f.obligated
        for f in case_funding(session, actor=actor, case_id=case.case_id, as_of=on, program="FMF").lines
    }
    if amounts is None:
        wanted = {lid: ln.value - funded.get(lid, Decimal(0)) for lid, ln in lines.items()}
        wanted = {lid: v for lid, v in wanted.items() if v > 0}
    else:
        wanted = {}
        for lid, raw in amounts.items():
            if lid not in lines:
                raise ValidationFailedError(
                    f"case_line_id: line {lid} is not on case {case.identifier}", field="case_line_id"
                )
            amount = to_money(raw, field="amount")
            room = lines[lid].value - funded.get(lid, Decimal(0))
            if amount > room:
                raise ValidationFailedError(
                    f"amount: ${amount:,} exceeds the unfunded value of line {lines[lid].number} (${room:,})",
                    field="amount",
                )
            wanted[lid] = amount
    if not wanted:
        raise ValidationFailedError(
            f"case_id: every line of {case.identifier} is already funded", field="case_id"
        )
    return [
        service.obligate(
            session,
            actor=actor,
            appropriation_id=appr.id,
            country=case.purchaser_code,
            amount=amount,
            on=on,
            target=service.Target("case", case_id=case.case_id, case_line_id=lid, reference=case.identifier),
        )
        for lid, amount in sorted(wanted.items())
    ]


def fund_case_by_id(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    appropriation_id: int,
    on: date,
    amounts: Mapping[int, object] | None = None,
) -> list[LedgerEntry]:
    """:func:`fund_case` for a case in the database the actor may see (404 otherwise)."""
    cases.get_case(session, actor=actor, case_id=case_id)
    return fund_case(
        session,
        actor=actor,
        case=cases.case_facts(session, case_id),
        appropriation_id=appropriation_id,
        on=on,
        amounts=amounts,
    )


def case_funding_of(session: Session, *, actor: Principal | None, case_id: int, as_of: date) -> CaseFunding:
    """What the ledger holds for the case ``case_id`` as of ``as_of`` (scoped to ``actor``),
    for a case the actor may see: a missing or invisible case is NotFoundError (404) like
    every other id, never an empty result that would confirm nothing and hide nothing."""
    cases.get_case(session, actor=actor, case_id=case_id)
    return case_funding(session, actor=actor, case_id=case_id, as_of=as_of)
