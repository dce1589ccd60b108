"""UN Security Council arms embargoes, as of the proposal date."""

from __future__ import annotations

from secassist.core.errors import DateOutOfRangeError
from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule


@rule(
    "un_arms_embargo",
    {
        "country_embargo": "a party's country is under a UN arms embargo on the whole country",
        "partial_embargo": "a UN arms embargo covers non-state actors, a region or listed parties there",
        "none": "no UN arms embargo on any party's country",
        "no_data": "the embargo table does not cover the proposal date",
    },
)
def un_arms_embargo(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """UN Security Council arms embargoes apply automatically for their duration (22 CFR
    126.1, domain.md §5 [S32]). The embargo table is data (``un_arms_embargoes.yaml``);
    its entries are UNCONFIRMED."""
    countries = sorted(
        {pt.country for pt in p.parties if pt.country} | {u.country for u in p.recipient_units}
    )
    seen: list[Observation] = []
    for code in countries:
        try:
            e = ctx.embargoes.in_force(code, p.date)
        except DateOutOfRangeError as exc:
            return conclude(cfg, [Observation("no_data", exc.message)], Observation("none", ""))
        if e is not None:
            status = ctx.embargoes.status_of(e)
            seen.append(
                Observation(
                    "country_embargo" if e.scope == "country" else "partial_embargo",
                    f"{code}: UN arms embargo ({e.scope}) under {e.resolution}"
                    f"{' — ' + e.note if e.note else ''}"
                    f"{' (UNCONFIRMED)' if status == 'UNCONFIRMED' else ''}.",
                    (f"un_arms_embargo:{code}:{e.resolution}",),
                )
            )
    return conclude(
        cfg, seen, Observation("none", f"No UN arms embargo on {', '.join(countries)} on {p.date}.")
    )
