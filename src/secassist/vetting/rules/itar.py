"""ITAR §126.1 prohibited destinations, as of the proposal date."""

from __future__ import annotations

from secassist.core.errors import DateOutOfRangeError
from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule


@rule(
    "itar_126_1",
    {
        "table_1": "a party's country is in Table 1 (policy of denial)",
        "table_2": "a party's country is in Table 2 (denial with country-specific exceptions: case by case)",
        "not_listed": "no party's country is listed on the proposal date",
        "no_data": "the reference data does not cover the proposal date",
    },
)
def itar_126_1(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """Every country of a party or recipient unit against 22 CFR 126.1(d) on the proposal
    date: Table 1 is a policy of denial, Table 2 denial with country-specific exceptions
    (domain.md §5 [S61]; dated changes [S31][S33][S34][S35], e.g. Cambodia left Table 2 on
    7 Nov 2025)."""
    countries = sorted(
        {pt.country for pt in p.parties if pt.country and ctx.reference.is_known_party(pt.country)}
        | {u.country for u in p.recipient_units}
    )
    seen: list[Observation] = []
    for code in countries:
        if code in {b.code for b in ctx.reference.bodies()}:
            continue
        try:
            table = ctx.reference.itar_table(code, p.date)
        except DateOutOfRangeError as exc:
            return conclude(
                cfg, [Observation("no_data", f"{exc.message}; §126.1 cannot be checked.")], _none()
            )
        if table is not None:
            entry = next(e for e in ctx.reference.itar_126_1(p.date, table) if e.code == code)
            flag = " (UNCONFIRMED against eCFR)" if entry.status == "UNCONFIRMED" else ""
            seen.append(
                Observation(
                    f"table_{table}",
                    f"{ctx.reference.country(code).name} is in §126.1 Table {table} on "
                    f"{p.date.isoformat()}{flag}{': ' + entry.note if entry.note else ''}.",
                    (f"itar_126_1:{code}:table_{table}",),
                )
            )
    default = Observation(
        "not_listed", f"No party's country ({', '.join(countries) or 'none'}) is in §126.1 on {p.date}."
    )
    return conclude(cfg, seen, default)


def _none() -> Observation:
    return Observation("not_listed", "")
