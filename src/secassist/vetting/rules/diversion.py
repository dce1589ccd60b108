"""Diversion risk from the country's end-use history."""

from __future__ import annotations

from datetime import date

from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule


@rule(
    "diversion",
    {
        "unauthorized_transfer": "an unresolved unauthorized transfer or end use in the look-back window",
        "delinquent_inventory": "an unresolved delinquent EEUM inventory in the look-back window",
        "incident": "an unresolved end-use incident in the look-back window",
        "resolved_only": "recorded problems in the window, all resolved",
        "none": "no end-use problems recorded in the window",
    },
)
def diversion(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """NSPM-10 weighs the recipient's ability to prevent diversion [S54] and NSM-18 aims to
    prevent it [S55]. The evidence is the country's end-use history: unauthorized end use
    or transfer (SAMM C8.6), delinquent EEUM inventories and incidents [S73][S74][S75],
    over the profile's ``lookback_years``."""
    years = int(cfg.params.get("lookback_years", 5))
    start = _years_before(p.date, years)
    window = [r for r in ctx.end_use if start <= r.occurred_on <= p.date]
    seen: list[Observation] = []
    for r in window:
        ev = (r.evidence or f"enduse:{r.record_id}",)
        if r.resolved_on is not None and r.resolved_on <= p.date:
            seen.append(
                Observation(
                    "resolved_only",
                    f"{r.country} {r.occurred_on}: {r.description} (resolved {r.resolved_on}).",
                    ev,
                )
            )
        else:
            seen.append(
                Observation(
                    r.kind, f"{r.country} {r.occurred_on}: {r.kind.replace('_', ' ')} — {r.description}.", ev
                )
            )
    return conclude(cfg, seen, Observation("none", f"No end-use problems recorded since {start}."))


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)
