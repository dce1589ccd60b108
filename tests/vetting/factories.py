"""Vetting test factories: proposals as plain values, and a rule context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.identity.policy import Principal
from secassist.reference.service import get_reference
from secassist.storage.uow import unit_of_work
from secassist.vetting.context import EndUseRecord, RegionalFacts, RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal, parse_proposal
from secassist.vetting.rules import RULES
from secassist.vetting.ruleset import get_ruleset
from secassist.vetting.tables import embargoes, technology
from tests.identity.factories import make_org, make_user, office_reviewer, principal_of

CLEAR = {"status": "clear", "screening_id": "s-1"}


def proposal_data(country: str = "PL", on: str = "2025-06-01", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": f"Proposal to {country}",
        "date": on,
        "purchaser": {
            "name": f"Ministry of Defence {country}",
            "role": "purchaser",
            "country": country,
            "screening": CLEAR,
        },
        "items": [
            {
                "description": "transport trucks",
                "item_type": "truck",
                "usml_category": "VII",
                "value": "1000000",
            }
        ],
        "financing": ["national"],
    }
    data.update(overrides)
    return data


def make_proposal(country: str = "PL", on: str = "2025-06-01", **overrides: Any) -> Proposal:
    return parse_proposal(proposal_data(country, on, **overrides))


def ctx(end_use: tuple[EndUseRecord, ...] = (), regional: RegionalFacts | None = None) -> RuleContext:
    return RuleContext(get_reference(), embargoes(), technology(), end_use, regional)


def run(factor: str, p: Proposal, context: RuleContext | None = None) -> Finding:
    """Run one factor's rule under the profile the proposal's date picks."""
    profile = get_ruleset().for_date(p.date)
    cfg = next(c for c in profile.factors if c.factor == factor)
    return RULES[factor].fn(p, context or ctx(), cfg)


def day(s: str) -> date:
    return date.fromisoformat(s)


@dataclass(frozen=True)
class People:
    state: Principal  # policy officer: writes, signs off, decides
    dod: Principal  # case manager: reads decisions, never notes
    auditor: Principal
    partner_pl: Principal
    sco_pl: Principal
    pm_reviewer: Principal  # political-military office (State PM), not the decider
    hr_reviewer: Principal  # human-rights office (DRL)
    tech_reviewer: Principal  # technology-security office (ISN)

    def reviewer(self, office: str) -> Principal:
        """The user who signs off for ``office``."""
        return {
            "political_military": self.pm_reviewer,
            "human_rights": self.hr_reviewer,
            "technology_security": self.tech_reviewer,
        }[office]


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> People:
    with unit_of_work(session_factory) as s:
        pm = make_org(s, "State PM", "state", office="political_military")
        users = {
            "state": make_user(s, pm, "pm.officer"),
            "dod": make_user(s, make_org(s, "DSCA", "dod"), "dsca.case"),
            "auditor": make_user(s, make_org(s, "DoD IG", "auditor"), "ig.auditor"),
            "partner_pl": make_user(s, make_org(s, "MoD Poland", "partner", "PL"), "pl.mod"),
            "sco_pl": make_user(s, make_org(s, "ODC Poland", "sco", "PL"), "odc.pl"),
            "pm_reviewer": make_user(s, pm, "pm.reviewer"),
            "hr_reviewer": make_user(
                s, make_org(s, "State DRL", "state", office="human_rights"), "drl.reviewer"
            ),
            "tech_reviewer": make_user(
                s, make_org(s, "State ISN", "state", office="technology_security"), "isn.reviewer"
            ),
        }
        return People(**{k: principal_of(s, u) for k, u in users.items()})


def clear_vetting(session_factory: sessionmaker[Session], case_id: int, on: date) -> int:
    """Vet a case (every party screened clear, reviewers satisfied), sign off every office
    its concerns name and approve: the offer gate "vetting cleared" is then satisfied.
    Returns the decision id."""
    from secassist.cases.service import case_facts
    from secassist.vetting import queries, service
    from secassist.vetting.proposal import Determination, ScreeningOutcome
    from secassist.workflows.vetting_case import vet_case

    clear = ScreeningOutcome(status="clear")  # asserted: cites no screening record
    with unit_of_work(session_factory) as s:
        facts = case_facts(s, case_id)
        names = {f"Government of {facts.purchaser_code}": clear, **dict.fromkeys(facts.end_users, clear)}
        judged = [
            Determination(factor=f, assessment="satisfactory", basis="test", reviewer="test")
            for f in ("human_rights", "nonproliferation", "partner_capacity")
        ]
        _, d = vet_case(s, actor=None, case=facts, on=on, screenings=names, determinations=judged)
        for office in queries.missing_signoffs(s, d):
            service.record_signoff(
                s,
                actor=office_reviewer(s, office),
                decision_id=d.id,
                office=office,
                concur=True,
                comment="test",
            )
        service.finalize_decision(s, actor=None, decision_id=d.id, decision="approve")
        return d.id
