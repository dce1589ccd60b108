"""Factors judged by a reviewer's assessment: nonproliferation record, partner capacity."""

from __future__ import annotations

from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule

ASSESSED = {
    "adverse": "the reviewer's assessment is adverse",
    "doubts": "the reviewer has doubts",
    "no_assessment": "no assessment recorded",
    "satisfactory": "the reviewer's assessment is satisfactory",
}


def _assessed(p: Proposal, cfg: FactorConfig, what: str) -> Finding:
    d = p.determination(cfg.factor)
    if d is None:
        return conclude(cfg, [Observation("no_assessment", f"No {what} assessment recorded.")], _x())
    return conclude(
        cfg,
        [Observation(d.assessment, f"{what.capitalize()}: {d.assessment}. Basis ({d.reviewer}): {d.basis}")],
        _x(),
    )


@rule("nonproliferation", ASSESSED)
def nonproliferation(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """NSPM-10 weighs the recipient's nonproliferation and counterproliferation record
    [S54]; NSM-18 aims to prevent proliferation [S55]. A reviewer's assessment with its
    basis."""
    return _assessed(p, cfg, "nonproliferation record")


@rule("partner_capacity", {**ASSESSED, "not_required": "no MDE: no capacity assessment required"})
def partner_capacity(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """The partner's capacity to absorb and sustain the items (domain.md §4 checklist,
    ``partner_absorptive_capacity``, a synthesis: UNCONFIRMED; Section 333 notifications
    state absorptive capacity and sustainment [S103][S104]). Required for MDE; a
    reviewer's assessment with its basis."""
    if p.determination(cfg.factor) is None and not any(i.mde for i in p.items):
        return conclude(
            cfg, [], Observation("not_required", "No MDE: no absorptive-capacity assessment required.")
        )
    return _assessed(p, cfg, "absorptive capacity")


def _x() -> Observation:
    return Observation("no_assessment", "")
