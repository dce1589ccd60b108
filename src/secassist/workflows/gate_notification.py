"""The congressional-notification offer gate.

A case whose values meet a §36(b)(1) threshold may not be offered until the formal review
period (30 days, or 15 for the NATO+ group and NATO) has run since the formal notification
date, unless an emergency waiver is recorded with its justification; a joint resolution of
disapproval blocks it (AECA §36(b)(1); domain.md §2 notes (a), (b), (e)) [S121][S36].
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from secassist.cases.facts import CaseFacts
from secassist.notification.queries import for_case
from secassist.notification.service import review_state
from secassist.notification.thresholds import requirement
from secassist.workflows.gates import GateResult


class NotificationGate:
    name = "notification"

    def check(self, session: Session, case: CaseFacts, *, on: date) -> GateResult:
        req = requirement(
            case.purchaser_code,
            on,
            case.mde_value,
            case.total_value,
            case.design_construction_value,
            "sale",
        )
        state = review_state(
            for_case(session, case.case_id), required=req.required, section=req.section, on=on
        )
        reason = state.reason
        if req.required and not state.clear and "Congress disapproved" not in reason:
            reason += f" (thresholds met: {', '.join(req.tripped)}; {req.review_days}-day review)"
        return GateResult(gate=self.name, satisfied=state.clear, reason=reason, evidence=state.evidence)


GATE = NotificationGate()
