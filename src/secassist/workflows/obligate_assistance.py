"""The Leahy check that wraps an obligation of assistance funds.

No FAA or AECA assistance may go to a foreign security-force unit without a current
approved Leahy vetting (22 U.S.C. 2378d, FAA §620M; DoD: 10 U.S.C. 362 [S91][S92]);
FMS and DCS sales paid with national funds are outside the Leahy laws [S92].

The programs domain's obligation service (``programs.service.obligate``) is not on main
yet; :func:`obligate_with_leahy_check` takes the obligation step as a callable, so wiring
it is one line: ``obligate_with_leahy_check(session, program=..., unit_ids=..., on=...,
obligate=lambda: programs.service.obligate(session, ...))``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy.orm import Session

from secassist.core.errors import ValidationFailedError
from secassist.vetting import leahy
from secassist.vetting.leahy_models import LeahyVetting
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
