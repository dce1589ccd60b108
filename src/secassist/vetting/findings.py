"""What a factor rule answers: a :class:`Finding` that carries its own explanation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    clear = "clear"
    concern = "concern"
    block = "block"


SEVERITY = {Outcome.clear: 0, Outcome.concern: 1, Outcome.block: 2}


class Recommendation(StrEnum):
    approve = "approve"  # every factor clear
    review = "review"  # concerns: sign-off needed from the named offices
    deny = "deny"  # any block


class Office(StrEnum):
    political_military = "political_military"
    human_rights = "human_rights"
    technology_security = "technology_security"


OFFICE_LABELS = {
    Office.political_military: "Political-military",
    Office.human_rights: "Human rights",
    Office.technology_security: "Technology security",
}


@dataclass(frozen=True)
class Finding:
    """One factor's answer. ``signal`` is what the rule observed (e.g. ``table_1``); the
    policy profile maps it to ``outcome``. ``evidence`` holds references
    (``itar_126_1:CN``, ``screening:17``, ``leahy:vetting:4``)."""

    factor: str
    outcome: Outcome
    rationale: str
    evidence: tuple[str, ...] = ()
    signal: str = ""
    authority: str = ""
    office: Office | None = None


def recommend(findings: list[Finding] | tuple[Finding, ...]) -> tuple[Recommendation, tuple[Office, ...]]:
    """Any block → deny; otherwise concerns → review by the offices named on them."""
    if any(f.outcome is Outcome.block for f in findings):
        return Recommendation.deny, ()
    offices = sorted(
        {f.office or Office.political_military for f in findings if f.outcome is Outcome.concern},
        key=list(Office).index,
    )
    if offices:
        return Recommendation.review, tuple(offices)
    return Recommendation.approve, ()
