"""The offer gates: what must hold before a case may be offered to the purchaser.

A gate reads a case's facts (``cases.facts.CaseFacts``) and whatever its own domain knows
(the vetting decision, the congressional review period, the funds), and answers with a
:class:`GateResult` whose ``reason`` is shown to the user on the case. The offer workflow
refuses the offer while any registered gate is unsatisfied, and lists every reason.

Each gate lives in its own module under ``workflows/`` that defines ``GATE`` (an
:class:`OfferGate`) and is named in :data:`GATE_MODULES`; the modules are imported when the
gates are first asked for, not at import time.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from secassist.cases.facts import CaseFacts


@dataclass(frozen=True)
class GateResult:
    """One gate's answer for one case on one date."""

    gate: str  # "vetting" | "notification" | "funding"
    satisfied: bool
    reason: str  # one sentence for the case page ("Formal review period ends 2026-12-30.")
    evidence: tuple[str, ...] = ()  # references: "vetting:decision:12", "notification:7", ...


class OfferGate(Protocol):
    """A check the offer step consults. ``check`` reads only; it never writes."""

    name: str

    def check(self, session: Session, case: CaseFacts, *, on: date) -> GateResult: ...


# The gate modules, in the order their reasons are shown (e.g. "secassist.workflows.gate_vetting").
# Each domain adds its own when it lands: vetting (#5), notification (#6), funding (#4).
GATE_MODULES: tuple[str, ...] = ("secassist.workflows.gate_vetting", "secassist.workflows.gate_funding")


def default_gates() -> list[OfferGate]:
    """The registered gates, in order."""
    gates: list[OfferGate] = []
    for name in GATE_MODULES:
        gate: OfferGate = importlib.import_module(name).GATE
        gates.append(gate)
    return gates


def gate_status(
    session: Session, case: CaseFacts, *, on: date, gates: list[OfferGate] | None = None
) -> list[GateResult]:
    """Every gate's answer for ``case`` on ``on`` (default: the registered gates)."""
    return [gate.check(session, case, on=on) for gate in (default_gates() if gates is None else gates)]
