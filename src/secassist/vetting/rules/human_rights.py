"""Human-rights and international-humanitarian-law risk: a reviewer's determination."""

from __future__ import annotations

from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule

STANDARDS = ("more_likely_than_not", "actual_knowledge")


@rule(
    "human_rights",
    {
        "bright_line_met": "the reviewer determined the profile's standard is met",
        "risk_noted": "the reviewer noted a risk short of the profile's standard",
        "no_determination": "no human-rights reviewer has made a determination",
        "no_risk": "the reviewer found no risk of serious violations",
    },
)
def human_rights(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """NSM-18: no transfer where it is "more likely than not" that the arms will be used to
    commit, facilitate or aggravate genocide, crimes against humanity, grave breaches of the
    Geneva Conventions or other serious IHL/IHRL violations [S55][S56]. NSPM-10's earlier
    test was "actual knowledge" at authorization [S56] (UNCONFIRMED as a factor, [S54]).
    The profile's ``standard`` parameter picks the test; the determination and its basis
    are a reviewer's."""
    standard = cfg.params.get("standard", "more_likely_than_not")
    if standard not in STANDARDS:
        raise ValueError(f"human_rights: unknown standard {standard!r}")
    d = p.determination("human_rights")
    if d is None:
        return conclude(
            cfg, [Observation("no_determination", "No human-rights determination recorded.")], _x()
        )
    basis = f" Basis ({d.reviewer}): {d.basis}"
    met = d.actual_knowledge or (standard == "more_likely_than_not" and d.more_likely_than_not)
    if met:
        test = "actual knowledge" if standard == "actual_knowledge" else "more likely than not"
        return conclude(cfg, [Observation("bright_line_met", f"Standard '{test}' met.{basis}")], _x())
    if d.more_likely_than_not or d.assessment != "satisfactory":
        what = "more likely than not (short of actual knowledge)" if d.more_likely_than_not else d.assessment
        return conclude(cfg, [Observation("risk_noted", f"Risk noted: {what}.{basis}")], _x())
    return conclude(cfg, [Observation("no_risk", f"No risk of serious violations found.{basis}")], _x())


def _x() -> Observation:
    return Observation("no_determination", "")
