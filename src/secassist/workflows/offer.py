"""Offering a case to the purchaser: the lifecycle's checks, then every offer gate.

The offer (status ``offered``, with its Offer Expiration Date) happens only after the
case's policy vetting is cleared, any §36(b) congressional review is satisfied and the
funds are available (domain.md §1.1 step 3: "Section 36(b) notification, where required,
happens before the offer" [S8][S11]). Each of those is a gate
(:mod:`secassist.workflows.gates`) owned by its own domain; this workflow asks all of
them and refuses the offer while any is unsatisfied, listing every reason.

Refusal is :class:`~secassist.cases.errors.OfferBlockedError` — HTTP 409: the request is
valid but conflicts with the case's current state (a gate may clear later without the
request changing). A refused offer writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from secassist.cases import service as cases
from secassist.cases.errors import OfferBlockedError
from secassist.cases.models import Case
from secassist.core.clock import Clock, SystemClock
from secassist.identity.policy import Principal, Resource, visible
from secassist.workflows.gates import GateResult, OfferGate, gate_status


def gates_for(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    on: date | None = None,
    gates: list[OfferGate] | None = None,
    clock: Clock | None = None,
) -> list[GateResult]:
    """Every gate's answer for a case the actor may see (404 otherwise), on ``on``."""
    cases.get_case(session, actor=actor, case_id=case_id)
    day = on or (clock or SystemClock()).today()
    return gate_status(session, cases.case_facts(session, case_id), on=day, gates=gates)


WITHHELD = "U.S. Government internal review; its reasons are not shared with your organization."
# The record each gate's answer rests on; a gate on anything else rests on the case itself.
GATE_RESOURCE = {"vetting": "vetting", "notification": "notification", "funding": "program"}


@dataclass(frozen=True)
class GateView:
    """A gate as one viewer may see it: ``satisfied`` is None and the reason withheld when
    the viewer may not read the record the gate rests on."""

    gate: str
    satisfied: bool | None
    reason: str
    evidence: tuple[str, ...]


def gates_as_seen(
    actor: Principal | None, country: str | None, results: Iterable[GateResult]
) -> list[GateView]:
    """The offer gates as this viewer may see them, for every adapter alike: a gate's answer
    and reason only when the access policy lets the viewer read the record it rests on —
    State and DoD read the vetting decision and the pre-notification review; a partner or an
    SCO does not (DESIGN.md "Who uses it": the implementing agency sees everything except
    pre-decisional vetting notes, a partner its own country only, and U.S.-internal
    deliberation is not the purchaser's to read)."""
    rows = []
    for g in results:
        kind = GATE_RESOURCE.get(g.gate, "case")
        if actor is None or visible(actor, Resource(kind, country=country, formally_notified=False)):
            rows.append(GateView(g.gate, g.satisfied, g.reason, tuple(g.evidence)))
        else:
            rows.append(GateView(g.gate, None, WITHHELD, ()))
    return rows


def offer_case(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    offer_expires_on: date | None,
    on: date | None = None,
    expected_version: int | None = None,
    note: str | None = None,
    gates: list[OfferGate] | None = None,
    clock: Clock | None = None,
) -> tuple[Case, list[GateResult]]:
    """Offer the case (tag ``case:status:offered``) if the lifecycle allows it and every
    gate is satisfied; the gates' answers go into the offer event's note as evidence."""
    c = clock or SystemClock()
    day = on or c.today()
    cases.check_advance(
        session, actor=actor, case_id=case_id, to="offered", on=day, expected_version=expected_version,
        offer_expires_on=offer_expires_on, clock=c,
    )  # fmt: skip
    results = gate_status(session, cases.case_facts(session, case_id), on=day, gates=gates)
    blocked = [r for r in results if not r.satisfied]
    if blocked:
        raise OfferBlockedError(
            "offer refused: " + " ".join(f"[{r.gate}] {r.reason}" for r in blocked),
            field="gates",
            gates=[{"gate": r.gate, "reason": r.reason, "evidence": list(r.evidence)} for r in blocked],
        )
    evidence = "; ".join(f"{r.gate}: {r.reason}" for r in results) or "no offer gates registered"
    case = cases.advance(
        session, actor=actor, case_id=case_id, to="offered", on=day, expected_version=expected_version,
        offer_expires_on=offer_expires_on, note=f"{note + ' — ' if note else ''}gates: {evidence}"[:4000],
        gates_checked=True, clock=c,
    )  # fmt: skip
    return case, results
