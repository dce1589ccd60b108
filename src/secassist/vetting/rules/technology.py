"""Technology security: sensitive, EEUM-designated and missile-technology items."""

from __future__ import annotations

from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule


@rule(
    "technology_security",
    {
        "missile_technology": "an item is in a missile-technology USML category",
        "eeum_designated": "an item is designated for enhanced end-use monitoring",
        "sensitive_category": "an item is in a USML category with sensitive technology",
        "none": "no sensitive, EEUM-designated or missile-technology items",
    },
)
def technology_security(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """NSPM-10: U.S. technological advantage — the recipient's ability to protect sensitive
    technology and the risk of compromise [S54]. EEUM-designated items contain sensitive
    technology or are prone to diversion [S75]; the designation belongs to the case line
    [S129]. Missile-technology categories (USML IV; MTCR Category I under EO 14268 [S40])
    and sensitive categories are data (``technology.yaml``)."""
    tech = ctx.technology
    seen: list[Observation] = []
    for n, item in enumerate(p.items, 1):
        tag = f"item {n} ({item.description})"
        if (m := tech.missile(item.usml_category)) is not None:
            seen.append(
                Observation(
                    "missile_technology",
                    f"{tag}: USML {m.category}, missile technology.",
                    (f"usml:{m.category}",),
                )
            )
        named = tech.eeum_named(item.description)
        if item.eeum or named is not None:
            why = (
                "designated EEUM on the line"
                if item.eeum
                else f"{named.name if named else ''} is an EEUM item"
            )
            seen.append(Observation("eeum_designated", f"{tag}: {why}.", ("eeum",)))
        if (s := tech.sensitive(item.usml_category)) is not None:
            seen.append(
                Observation(
                    "sensitive_category",
                    f"{tag}: USML {s.category} (sensitive technology).",
                    (f"usml:{s.category}",),
                )
            )
    return conclude(cfg, seen, Observation("none", "No sensitive, EEUM or missile-technology items."))
