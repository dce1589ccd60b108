"""Sanctions and denied-party screening of every named party."""

from __future__ import annotations

from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule


@rule(
    "screening",
    {
        "true_match": "a party is a confirmed match on a list",
        "unresolved_match": "a party has a potential match the analyst has not dispositioned",
        "not_screened": "a party has not been screened",
        "all_clear": "every party was screened: clear or dispositioned false positive",
    },
)
def screening(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """Every named party — purchaser, end users, consignees, intermediaries — must be
    screened against the sanctions and denied-party lists (../shared/data/sanctions); an
    unresolved potential match blocks (issue #5), as does a true match: no transfer to or
    through a proscribed party (22 CFR 126.1 [S32])."""
    seen: list[Observation] = []
    for party in p.parties:
        s = party.screening
        who = f"{party.role.replace('_', ' ')} {party.name!r}"
        ref = (f"screening:{s.screening_id}",) if s and s.screening_id else ()
        if s is None:
            seen.append(Observation("not_screened", f"The {who} has not been screened."))
        elif s.status == "true_match":
            seen.append(Observation("true_match", f"The {who} is a confirmed list match.", ref))
        elif s.status == "potential_match":
            seen.append(Observation("unresolved_match", f"The {who} has an unresolved potential match.", ref))
        else:
            label = "clear" if s.status == "clear" else "a dispositioned false positive"
            seen.append(Observation("all_clear", f"The {who} is {label}.", ref))
    return conclude(cfg, seen, Observation("all_clear", "No parties named."))
