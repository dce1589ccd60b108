"""Vetting a case: build a transfer proposal from a case's facts and evaluate it.

The vetting engine knows nothing of cases; this workflow reads the case through
:class:`~secassist.cases.facts.CaseFacts`, adds what is known of the parties (screening
outcomes as plain values) and of the recipient units (their Leahy status on the date), and
files the proposal with ``reference = "case:<id>"`` and a fingerprint of the facts, which
the offer gate (``gate_vetting``) compares with the case as it stands.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date

from sqlalchemy.orm import Session

from secassist.cases import service as cases_service
from secassist.cases.facts import CaseFacts
from secassist.core.clock import Clock
from secassist.core.errors import NotFoundError
from secassist.identity.policy import Principal
from secassist.vetting import leahy, service
from secassist.vetting.decisions_models import VettingDecision, VettingProposal
from secassist.vetting.proposal import (
    Determination,
    Item,
    Party,
    Proposal,
    RecipientUnit,
    ScreeningOutcome,
    parse_proposal,
)
from secassist.vetting.screened import NamedParty, check_cited_screenings, screen_parties
from secassist.workflows.diversion_history import EquipmentDiversionHistory

FINANCING = {"national": ("national",), "fmf": ("fmf",), "mixed": ("national", "fmf")}


def reference_of(case: CaseFacts) -> str:
    return case_reference(case.case_id)


def case_reference(case_id: int) -> str:
    """The reference a case's vetting proposals are filed under."""
    return f"case:{case_id}"


# What vetting weighs in a case; any other fact (status, version, dates, title) may change
# without the vetting going stale.
WEIGHED = (
    "purchaser_code",
    "purchaser_is_body",
    "financing",
    "end_users",
    "lines",
    "mde_value",
    "other_value",
    "total_value",
    "design_construction_value",
)


def case_fingerprint(case: CaseFacts) -> str:
    """SHA-256 of what vetting weighs in a case (parties, financing, lines, values)."""
    facts = asdict(case)
    body = json.dumps({k: facts[k] for k in WEIGHED}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def proposal_from_case(
    case: CaseFacts,
    *,
    on: date,
    purchaser_name: str | None = None,
    screenings: Mapping[str, ScreeningOutcome] | None = None,
    recipient_units: Sequence[RecipientUnit] = (),
    consignees: Sequence[Party] = (),
    intermediaries: Sequence[Party] = (),
    determinations: Sequence[Determination] = (),
) -> Proposal:
    """The proposal a case describes on ``on`` (pure). ``screenings`` maps a party's name to
    its screening outcome; a party without one is "not screened"."""
    found = dict(screenings or {})
    country = case.purchaser_code.upper()
    buyer = purchaser_name or f"Government of {country}"

    def party(name: str, role: str) -> dict[str, object]:
        s = found.get(name)
        return {"name": name, "role": role, "country": country, "screening": s.model_dump() if s else None}

    raw = {
        "title": f"{case.identifier} (version {case.version})",
        "reference": reference_of(case),
        "source_version": case_fingerprint(case),
        "date": on.isoformat(),
        "purchaser": party(buyer, "purchaser"),
        "end_users": [party(n, "end_user") for n in case.end_users],
        "consignees": [c.model_dump() for c in consignees],
        "intermediaries": [c.model_dump() for c in intermediaries],
        "recipient_units": [u.model_dump(mode="json") for u in recipient_units],
        "items": [
            Item(
                description=ln.description,
                item_type=ln.item_type,
                usml_category=ln.usml_category,
                mde=ln.mde,
                sme=ln.sme,
                eeum=ln.eeum,
                quantity=ln.quantity,
                value=ln.value,
            ).model_dump(mode="json")
            for ln in case.lines
        ],
        "financing": list(FINANCING.get(case.financing, (case.financing,))),
        "determinations": [d.model_dump() for d in determinations],
    }
    return parse_proposal(raw, where=f"case {case.identifier}")


def recipient_units_on(
    session: Session, unit_ids: Sequence[int], on: date, *, actor: Principal | None
) -> list[RecipientUnit]:
    """The named units with their Leahy status on ``on``."""
    out = []
    for uid in unit_ids:
        unit = leahy.get_unit(session, actor=actor, unit_id=uid)
        out.append(
            RecipientUnit(
                name=unit.name,
                country=unit.country_code,
                unit_id=unit.id,
                leahy=leahy.status_on(session, unit.id, on),
            )
        )
    return out


def vet_case(
    session: Session,
    *,
    actor: Principal | None,
    case: CaseFacts,
    on: date,
    purchaser_name: str | None = None,
    screenings: Mapping[str, ScreeningOutcome] | None = None,
    recipient_unit_ids: Sequence[int] = (),
    consignees: Sequence[Party] = (),
    intermediaries: Sequence[Party] = (),
    determinations: Sequence[Determination] = (),
    rescreen: bool = False,
    clock: Clock | None = None,
) -> tuple[VettingProposal, VettingDecision]:
    """File the case's proposal and evaluate it. Without ``screenings`` the purchaser and
    end users are screened through ``vetting.screening`` (a screening per party, reused by
    later evaluations so the analysts' dispositions count; ``rescreen`` forces new ones)."""
    units = recipient_units_on(session, recipient_unit_ids, on, actor=actor)
    if screenings is not None:
        screenings = check_cited_screenings(session, actor=actor, outcomes=screenings)
    else:
        buyer = purchaser_name or f"Government of {case.purchaser_code.upper()}"
        country = case.purchaser_code.upper() if not case.purchaser_is_body else None
        # The purchaser and its end users are government bodies of the purchaser country.
        named = [NamedParty(buyer, "purchaser", country, "PublicBody")] + [
            NamedParty(n, "end_user", country, "PublicBody") for n in case.end_users
        ]
        screenings = screen_parties(
            session, actor=actor, parties=named, prefix=reference_of(case), rescreen=rescreen, clock=clock
        )
    proposal = proposal_from_case(
        case,
        on=on,
        purchaser_name=purchaser_name,
        screenings=screenings,
        recipient_units=units,
        consignees=consignees,
        intermediaries=intermediaries,
        determinations=determinations,
    )
    row = service.create_proposal(session, actor=actor, proposal=proposal, clock=clock)
    decision = service.evaluate_proposal(
        session, actor=actor, proposal_id=row.id, history=EquipmentDiversionHistory(session), clock=clock
    )
    return row, decision


def vet_case_ref(
    session: Session,
    *,
    actor: Principal | None,
    ref: str | int,
    on: date,
    purchaser_name: str | None = None,
    screenings: Mapping[str, ScreeningOutcome] | None = None,
    recipient_unit_ids: Sequence[int] = (),
    determinations: Sequence[Determination] = (),
    rescreen: bool = False,
    clock: Clock | None = None,
) -> tuple[VettingProposal, VettingDecision]:
    """Vet the case ``ref`` (identifier or id) the actor may see (404 otherwise)."""
    case = cases_service.resolve_case(session, actor=actor, ref=ref)
    return vet_case(
        session,
        actor=actor,
        case=cases_service.case_facts(session, case.id),
        on=on,
        purchaser_name=purchaser_name,
        screenings=screenings,
        recipient_unit_ids=recipient_unit_ids,
        determinations=determinations,
        rescreen=rescreen,
        clock=clock,
    )


def case_decision(session: Session, *, actor: Principal | None, ref: str | int) -> VettingDecision:
    """The current decision on the case ``ref`` (identifier or id): the latest
    non-superseded decision on its latest proposal, the one the offer gate reads. A case
    the actor may not see, or one not yet vetted, is NotFoundError."""
    case = cases_service.resolve_case(session, actor=actor, ref=ref)
    found = service.current_decision(session, reference=case_reference(case.id))
    if found is None or found[1] is None:
        raise NotFoundError(
            f"case: {case.identifier} has no vetting decision (vet it with `vetting case`)", field="case"
        )
    # The gate's read is unscoped; the caller's is not.
    return service.get_decision(session, actor=actor, decision_id=found[1].id)
