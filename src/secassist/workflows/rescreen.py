"""Continuous screening: re-screen every party of every open record against the active lists.

When a list version is loaded (``secassist screening load``) or on demand (``secassist
screening rescreen``), the parties of

* every open FMS case (not closed or cancelled): its purchaser and end users,
* every open vetting proposal (its latest decision is open): every party it names,
* every open transfer request (requested, or approved and not yet executed): the
  recipient and the end user,

are screened again, each under the subject their first screening used (so the vetting
engine's next evaluation sees the new screening, and the analysts' decisions on earlier
screenings carry over while the listed entry is unchanged). A new potential match goes to
the responsible office's queue (:func:`secassist.vetting.screening.queries.open_alerts`)
with the record it touches. Only workflows call several domains: this one reads cases,
vetting proposals and transfers and writes screenings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.cases.lifecycle import TERMINAL
from secassist.cases.models import Case
from secassist.core.clock import Clock
from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal, require_permission
from secassist.reference.service import get_reference
from secassist.transfers.models import TransferRequest
from secassist.transfers.service import sco_office
from secassist.vetting.decisions_models import VettingDecision, VettingProposal
from secassist.vetting.screened import NamedParty, subject_of
from secassist.vetting.screening import service as screening
from secassist.vetting.screening.matcher import DEFAULT_THRESHOLD
from secassist.vetting.screening.queries import active_versions
from secassist.workflows.transfer_request import transfer_reference
from secassist.workflows.vetting_case import case_reference

OPEN_TRANSFERS = ("requested", "approved")


@dataclass(frozen=True)
class OpenParty:
    """A party of an open record, as it is screened."""

    reference: str  # case:12 | transfer:3 | proposal:5
    party: NamedParty

    @property
    def subject(self) -> str:
        return subject_of(self.reference, self.party)


@dataclass(frozen=True)
class RescreenReport:
    """The counts ``secassist screening rescreen`` reports."""

    parties: int  # parties screened
    potential_matches: int  # results no earlier decision covers
    new_alerts: int  # of them, new in an office's queue
    carried_clearances: int  # false positives carried over (entry unchanged)
    carried_matches: int  # confirmed matches carried over (entry unchanged)
    list_versions: tuple[str, ...]  # "list_name#id" screened against


def _case_parties(session: Session) -> list[OpenParty]:
    out: list[OpenParty] = []
    closed = [s.value for s in TERMINAL]
    for case in session.scalars(select(Case).where(Case.status.not_in(closed)).order_by(Case.id)):
        ref = case_reference(case.id)
        country = None if case.purchaser_is_body else case.purchaser_code.upper()
        # The names the case's vetting screens (workflows.vetting_case.vet_case), as it
        # screens them: government bodies of the purchaser country.
        buyer = f"Government of {case.purchaser_code.upper()}"
        out.append(OpenParty(ref, NamedParty(buyer, "purchaser", country, "PublicBody")))
        out += [
            OpenParty(ref, NamedParty(u, "end_user", country, "PublicBody"))
            for u in case.end_users.split("\n")
            if u
        ]
    return out


def _proposal_parties(session: Session) -> list[OpenParty]:
    out: list[OpenParty] = []
    stmt = (
        select(VettingProposal)
        .join(VettingDecision, VettingDecision.proposal_id == VettingProposal.id)
        .where(VettingDecision.status == "open")
        .distinct()
        .order_by(VettingProposal.id)
    )
    for p in session.scalars(stmt):
        body = json.loads(p.body)
        ref = p.reference or f"proposal:{p.id}"
        groups = [
            [body.get("purchaser")],
            *(body.get(k) or [] for k in ("end_users", "consignees", "intermediaries")),
        ]
        for group in groups:
            for party in group:
                if isinstance(party, dict) and party.get("name"):
                    out.append(
                        OpenParty(
                            ref, NamedParty(str(party["name"]), str(party["role"]), party.get("country"))
                        )
                    )
    return out


def _transfer_parties(session: Session) -> list[OpenParty]:
    out: list[OpenParty] = []
    ref_data = get_reference()
    countries = {c.code for c in ref_data.countries()}
    stmt = (
        select(TransferRequest)
        .where(TransferRequest.status.in_(OPEN_TRANSFERS), TransferRequest.executed_on.is_(None))
        .order_by(TransferRequest.id)
    )
    for req in session.scalars(stmt):
        ref = transfer_reference(req.id)
        is_country = req.to_party in countries
        country = req.to_party if is_country else None
        # The recipient and end user as the transfer's proposal names them
        # (workflows.transfer_request.proposal_for).
        buyer = f"Government of {req.to_party}" if is_country else ref_data.body(req.to_party).name
        out.append(OpenParty(ref, NamedParty(buyer, "purchaser", country)))
        if req.end_user != buyer:
            out.append(OpenParty(ref, NamedParty(req.end_user, "end_user", country)))
    return out


def open_parties(session: Session) -> list[OpenParty]:
    """Every party of every open case, open vetting proposal and open transfer request,
    once per subject (a case's proposal names the same parties as the case)."""
    seen: dict[str, OpenParty] = {}
    for p in [*_case_parties(session), *_proposal_parties(session), *_transfer_parties(session)]:
        seen.setdefault(p.subject, p)
    return list(seen.values())


def rescreen_open(
    session: Session,
    *,
    actor: Principal | None,
    threshold: float = DEFAULT_THRESHOLD,
    clock: Clock | None = None,
) -> RescreenReport:
    """Re-screen every open record's party against the active lists (one audited
    screening per party, :func:`secassist.vetting.screening.service.rescreen_party`).

    With no list loaded there is nothing to screen against: a :class:`ValidationFailedError`
    on ``lists``. The responsible office is the security cooperation office registered for
    the party's country (the office that screens that country's cases), else none: the
    alert is then in the queue of everyone who may see the country's vetting.
    """
    if actor is not None:
        require_permission(actor, "vetting:write")
    versions = active_versions(session)
    if not versions:
        raise ValidationFailedError(
            "no screening list is loaded (secassist screening load PATH)", field="lists"
        )
    offices: dict[str, str | None] = {}
    potential = alerts = cleared = matched = 0
    parties = open_parties(session)
    for op in parties:
        country = op.party.country
        if country and country not in offices:
            offices[country] = sco_office(session, country)
        done = screening.rescreen_party(
            session,
            actor=actor,
            party=screening.Party(names=[op.party.name], country=country, schema=op.party.schema),
            subject=op.subject,
            reference=op.reference,
            office=offices.get(country) if country else None,
            threshold=threshold,
            clock=clock,
        )
        keys = {(r["list"], r["entity_id"]) for r in done.run.results}
        potential += len(keys) - len(done.carried)
        alerts += len(done.alerts)
        cleared += sum(d.disposition == "false_positive" for d in done.carried)
        matched += sum(d.disposition == "true_match" for d in done.carried)
    return RescreenReport(
        parties=len(parties),
        potential_matches=potential,
        new_alerts=alerts,
        carried_clearances=cleared,
        carried_matches=matched,
        list_versions=tuple(f"{v.list_name}#{v.id}" for v in versions),
    )
