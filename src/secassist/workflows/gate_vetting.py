"""The offer gate "vetting cleared": a final decision of approve for the case's current
proposal — the latest proposal filed for the case, still describing the case as it stands."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from secassist.cases.facts import CaseFacts
from secassist.vetting import queries, service
from secassist.vetting.proposal import parse_proposal
from secassist.workflows.gates import GateResult
from secassist.workflows.vetting_case import case_fingerprint, reference_of


@dataclass(frozen=True)
class VettingGate:
    name: str = "vetting"

    def check(self, session: Session, case: CaseFacts, *, on: date) -> GateResult:
        """Read-only: the case's vetting status as one sentence for the case page."""
        found = service.current_decision(session, reference=reference_of(case))
        if found is None:
            return self._no("No vetting proposal has been filed for this case.")
        proposal, decision = found
        ev: tuple[str, ...] = (f"vetting:proposal:{proposal.id}",)
        stored = parse_proposal(json.loads(proposal.body), where=f"proposal {proposal.id}")
        if stored.source_version != case_fingerprint(case):
            return self._no(
                f"The case changed after vetting proposal {proposal.id} was filed; vet it again.", ev
            )
        if decision is None:
            return self._no(f"Vetting proposal {proposal.id} has not been evaluated.", ev)
        ev = (*ev, f"vetting:decision:{decision.id}")
        if decision.status == "open":
            missing = queries.missing_signoffs(session, decision)
            if decision.recommendation == "deny":
                return self._no(
                    f"Vetting decision {decision.id} recommends denial; awaiting the final decision.", ev
                )
            if missing:
                offices = ", ".join(m.replace("_", " ") for m in missing)
                return self._no(f"Vetting decision {decision.id} awaits sign-off from {offices}.", ev)
            return self._no(f"Vetting decision {decision.id} awaits the final decision.", ev)
        if decision.final_decision != "approve":
            return self._no(f"Vetting denied (decision {decision.id}, {decision.profile_id}).", ev)
        provisos = json.loads(decision.provisos or "[]")
        extra = f" Provisos: {'; '.join(provisos)}." if provisos else ""
        return GateResult(
            self.name,
            True,
            f"Vetting cleared: decision {decision.id} under {decision.profile_id}.{extra}",
            ev,
        )

    def _no(self, reason: str, evidence: tuple[str, ...] = ()) -> GateResult:
        return GateResult(self.name, False, reason, evidence)


GATE = VettingGate()
