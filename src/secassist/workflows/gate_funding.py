"""Offer gate "funding available": the FMF a case needs is obligated to it.

The rule (domain.md §9: "the country's LOA names FMF as its financing, and the FMF
commitment pays the case" [S98]; FMF ledger lines link to case lines):

* **national funds** — satisfied ("national funds"): the purchaser pays, no FMF needed;
* **fmf** — the FMF share is the whole case: every line's value must be covered, to the
  cent, by FMF obligated (net of reversals, as of the gate's date) to that line;
* **mixed** — the case facts carry no FMF amount, so the FMF share is what the ledger has
  obligated: at least some FMF must be obligated to the case; the rest is national funds.

In both FMF cases a line obligated beyond its value fails the gate (the excess would be
stranded on the case); the reason names the lines short or over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from secassist.cases.facts import CaseFacts
from secassist.programs.oversight import case_funding
from secassist.workflows.gates import GateResult


def _usd(v: Decimal) -> str:
    return f"${v:,.2f}"


@dataclass(frozen=True)
class FundingGate:
    name: str = "funding"

    def check(self, session: Session, case: CaseFacts, *, on: date) -> GateResult:
        """Whether the FMF obligated to ``case`` as of ``on`` covers its FMF share."""
        if case.financing == "national":
            return GateResult(self.name, True, "National funds: the purchaser pays; no FMF is needed.")
        funding = case_funding(session, actor=None, case_id=case.case_id, as_of=on, program="FMF")
        by_line = {f.case_line_id: f.obligated for f in funding.lines}
        evidence = tuple(f"program:case:{case.case_id}:line:{lid}" for lid in sorted(by_line))
        over = [ln for ln in case.lines if by_line.get(ln.line_id, Decimal(0)) > ln.value]
        if over:
            names = ", ".join(
                f"line {ln.number} ({_usd(by_line[ln.line_id])} > {_usd(ln.value)})" for ln in over
            )
            return GateResult(self.name, False, f"FMF obligated beyond the line value: {names}.", evidence)
        obligated = sum((by_line.get(ln.line_id, Decimal(0)) for ln in case.lines), Decimal(0))
        if case.financing == "fmf":
            short = [ln for ln in case.lines if by_line.get(ln.line_id, Decimal(0)) < ln.value]
            if short:
                gap = sum((ln.value - by_line.get(ln.line_id, Decimal(0)) for ln in short), Decimal(0))
                numbers = ", ".join(ln.number for ln in short)
                return GateResult(
                    self.name,
                    False,
                    f"FMF-financed: {_usd(obligated)} of {_usd(case.total_value)} obligated; "
                    f"{_usd(gap)} still to obligate on line(s) {numbers}.",
                    evidence,
                )
            return GateResult(
                self.name, True, f"FMF-financed: {_usd(obligated)} obligated covers every line.", evidence
            )
        if obligated <= 0:
            return GateResult(
                self.name, False, "Mixed financing: no FMF is obligated to the case yet.", evidence
            )
        rest = case.total_value - obligated
        return GateResult(
            self.name,
            True,
            f"Mixed financing: {_usd(obligated)} FMF obligated; the other {_usd(rest)} is national funds.",
            evidence,
        )


GATE = FundingGate()
