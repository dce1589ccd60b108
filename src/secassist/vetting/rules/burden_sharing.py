"""Burden-sharing and interoperability: NATO and Major Non-NATO Allies."""

from __future__ import annotations

from secassist.core.errors import DateOutOfRangeError, UnknownCodeError
from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule


@rule(
    "burden_sharing",
    {
        "nato": "the purchaser is a NATO member on the proposal date",
        "nato_body": "the purchaser is NATO or a NATO agency",
        "mnna": "the purchaser is a Major Non-NATO Ally (or treated as one)",
        "none": "the purchaser is neither a NATO member nor an MNNA",
    },
)
def burden_sharing(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """NSPM-10 weighs ally and partner burden-sharing and interoperability [S54]; NSM-18
    aims to strengthen interoperability [S55]. Alliance standing from reference data:
    NATO membership by accession date, MNNA designations (10 U.S.C. 2350a; 22 U.S.C.
    2321k; domain.md §10 [S108][S111][S112])."""
    code = p.country
    ref = ctx.reference
    if code is None:
        return conclude(cfg, [], Observation("none", "The purchaser names no country."))
    if code in {b.code for b in ref.bodies()}:
        return conclude(cfg, [Observation("nato_body", f"{code} is a NATO body.", (f"nato:{code}",))], _x())
    try:
        if ref.is_nato_member(code, p.date):
            return conclude(
                cfg, [Observation("nato", f"{code} is a NATO member on {p.date}.", (f"nato:{code}",))], _x()
            )
        if code in ref.mnna(p.date, include_treated_as=True):
            return conclude(
                cfg,
                [Observation("mnna", f"{code} is a Major Non-NATO Ally on {p.date}.", (f"mnna:{code}",))],
                _x(),
            )
    except (DateOutOfRangeError, UnknownCodeError) as exc:
        return conclude(cfg, [Observation("none", f"Alliance standing unknown: {exc.message}.")], _x())
    return conclude(cfg, [], Observation("none", f"{code} is neither a NATO member nor an MNNA on {p.date}."))


def _x() -> Observation:
    return Observation("none", "")
