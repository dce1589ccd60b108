"""A registered gate for the offer-workflow tests: refuses every case it is asked about."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from secassist.cases.facts import CaseFacts
from secassist.workflows.gates import GateResult


class _Refuse:
    name = "sample"

    def check(self, session: Session, case: CaseFacts, *, on: date) -> GateResult:
        return GateResult(self.name, False, f"Sample gate refuses {case.identifier} on {on.isoformat()}.")


GATE = _Refuse()
