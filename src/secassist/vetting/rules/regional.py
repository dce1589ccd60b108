"""Regional stability: is a major capability new to the purchaser's region?"""

from __future__ import annotations

from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule


def item_key(item_type: str) -> str:
    """How an item type is compared with the register's weapon descriptions."""
    return " ".join(item_type.lower().split())


@rule(
    "regional_stability",
    {
        "new_to_region": "no country of the region holds this class of major weapon per the register",
        "no_register": "no trade register is imported: novelty cannot be judged",
        "present_in_region": "the purchaser or a neighbour already holds this class of weapon",
        "not_major": "no MDE or SME items",
    },
)
def regional_stability(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """NSPM-10 weighs regional stability — power projection, anti-access/area denial,
    capabilities that raise tensions or feed an arms race [S54]; NSM-18 aims at
    international security and stability [S55]. A major item (MDE or SME) whose class
    (SIPRI's weapon description, e.g. "fighter aircraft") no country of the purchaser's
    region has received is a capability new to the region, judged against the SIPRI trade
    register the user imported."""
    major = [i for i in p.items if i.mde or i.sme]
    if not major:
        return conclude(cfg, [], Observation("not_major", "No MDE or SME items."))
    reg = ctx.regional
    if reg is None:
        return conclude(
            cfg,
            [
                Observation(
                    "no_register", "No SIPRI trade register imported (secassist vetting sipri-import)."
                )
            ],
            _x(),
        )
    seen: list[Observation] = []
    for item in major:
        key = item_key(item.item_type)
        holders = reg.holders.get(key, ())
        own = [h for h in holders if h.country == p.country]
        if own:
            seen.append(
                Observation(
                    "present_in_region",
                    f"{item.item_type}: already held by {p.country} (since {own[0].first_order_year}).",
                    (f"sipri:{p.country}:{key}",),
                )
            )
        elif holders:
            names = ", ".join(sorted({h.country for h in holders})[:8])
            seen.append(
                Observation(
                    "present_in_region",
                    f"{item.item_type}: held in region {reg.region} by {names}.",
                    tuple(f"sipri:{h.country}:{key}" for h in holders[:5]),
                )
            )
        else:
            seen.append(
                Observation(
                    "new_to_region",
                    f"{item.item_type}: new to region {reg.region} per {reg.register}.",
                    (f"sipri:{reg.region}:{key}",),
                )
            )
    return conclude(cfg, seen, _x())


def _x() -> Observation:
    return Observation("not_major", "")
