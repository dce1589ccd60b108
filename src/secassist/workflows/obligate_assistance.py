"""The Leahy check that wraps an obligation of assistance funds.

No FAA or AECA assistance may go to a foreign security-force unit without a current
approved Leahy vetting (22 U.S.C. 2378d, FAA §620M; DoD: 10 U.S.C. 362 [S91][S92]).
:func:`obligate_assistance` is ``programs.service.obligate`` behind that check: an
obligation to a unit (``Target("unit", recipient_unit_id=…)``) is refused unless the unit —
a ``leahy_unit`` of the obligation's country — has an approval whose window holds the
obligation date. Obligations to a case line or to training name no unit and pass through
(the case's own vetting is the offer gate's business). The API and CLI obligate through
this workflow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal
from secassist.programs import service as programs
from secassist.programs.models import LedgerEntry
from secassist.vetting import leahy
from secassist.vetting.errors import LeahyNotApprovedError
from secassist.vetting.leahy_models import LeahyUnit, LeahyVetting
from secassist.vetting.proposal import ASSISTANCE

T = TypeVar("T")
PROGRAMS = ("fmf", "imet", "pko", "section_333", "national")


def leahy_check(session: Session, *, program: str, unit_ids: Sequence[int], on: date) -> list[LeahyVetting]:
    """The current approvals that allow obligating ``program`` funds to ``unit_ids`` on
    ``on``; raises LeahyNotApprovedError naming the first unit without one. National funds
    need none. Assistance to no named unit is refused: Leahy vetting is per unit."""
    key = program.strip().lower()
    if key not in PROGRAMS:
        raise ValidationFailedError(
            f"program: one of {', '.join(PROGRAMS)}, not {program!r}", field="program"
        )
    if key not in ASSISTANCE:
        return []
    if not unit_ids:
        raise ValidationFailedError(
            f"unit_ids: {key} assistance must name the recipient units to be Leahy-checked", field="unit_ids"
        )
    return [leahy.require_current_approval(session, uid, on) for uid in unit_ids]


def obligate_with_leahy_check(
    session: Session, *, program: str, unit_ids: Sequence[int], on: date, obligate: Callable[[], T]
) -> T:
    """Run the Leahy check, then the obligation; nothing is obligated when the check fails."""
    leahy_check(session, program=program, unit_ids=unit_ids, on=on)
    return obligate()


def _day(on: object) -> date:
    if isinstance(on, date):
        return on
    try:
        return date.fromisoformat(str(on))
    except ValueError:
        raise ValidationFailedError(f"on: {on!r} is not a date (YYYY-MM-DD)", field="on") from None


def obligate_assistance(
    session: Session,
    *,
    actor: Principal | None,
    appropriation_id: object,
    country: str,
    amount: object,
    on: object,
    target: programs.Target,
    memo: str | None = None,
    clock: Clock | None = None,
) -> LedgerEntry:
    """``programs.service.obligate``, refused for a unit without a current approved Leahy
    vetting on the obligation date (LeahyNotApprovedError, 409) or of another country."""
    if target.kind == "unit" and target.recipient_unit_id is not None:
        day = _day(on)
        unit = session.get(LeahyUnit, target.recipient_unit_id)
        if unit is None:
            raise ValidationFailedError(
                f"recipient_unit_id: no Leahy-registered unit {target.recipient_unit_id}",
                field="recipient_unit_id",
            )
        if unit.country_code != country.strip().upper():
            raise ValidationFailedError(
                f"recipient_unit_id: unit {unit.id} belongs to {unit.country_code}, not {country}",
                field="recipient_unit_id",
            )
        leahy.require_current_approval(session, unit.id, day)
    return programs.obligate(
        session,
        actor=actor,
        appropriation_id=appropriation_id,
        country=country,
        amount=amount,
        on=on,
        target=target,
        memo=memo,
        clock=clock,
    )


__all__ = ["LeahyNotApprovedError", "leahy_check", "obligate_assistance", "obligate_with_leahy_check"]
