"""Leahy vetting of the recipient units, when the financing is assistance."""

from __future__ import annotations

from secassist.vetting.context import RuleContext
from secassist.vetting.findings import Finding
from secassist.vetting.proposal import ASSISTANCE, Proposal
from secassist.vetting.rules.base import FactorConfig, Observation, conclude, rule


@rule(
    "leahy",
    {
        "denied": "a recipient unit's vetting was denied (credible information of a gross violation)",
        "suspended": "a recipient unit's vetting is suspended pending review",
        "not_vetted": "a recipient unit has no current approved vetting on the proposal date",
        "no_units": "assistance funds, but no recipient unit is named",
        "approved": "every recipient unit has a current approved vetting",
        "not_applicable": "no assistance funds: Leahy does not apply to FMS or DCS sales",
    },
)
def leahy(p: Proposal, ctx: RuleContext, cfg: FactorConfig) -> Finding:
    """No FAA or AECA assistance to a foreign security-force unit with credible information
    of a gross violation of human rights (22 U.S.C. 2378d, FAA §620M [S91][S92]; DoD:
    10 U.S.C. 362 [S92]). Applies when any financing is assistance (FMF, IMET, PKO,
    Section 333); the Leahy laws do not apply to FMS or DCS sales paid with national funds
    (domain.md §8 [S92])."""
    funds = sorted(f for f in p.financing if f in ASSISTANCE)
    if not funds:
        return conclude(
            cfg,
            [],
            Observation("not_applicable", f"Financing {', '.join(p.financing)}: no assistance funds."),
        )
    if not p.recipient_units:
        return conclude(
            cfg,
            [Observation("no_units", f"Assistance funds ({', '.join(funds)}) but no recipient unit named.")],
            _x(),
        )
    seen: list[Observation] = []
    for u in p.recipient_units:
        st = u.leahy
        ref = (f"leahy:vetting:{st.vetting_id}",) if st.vetting_id else ()
        if st.status == "denied":
            seen.append(Observation("denied", f"Unit {u.name!r} ({u.country}): vetting denied.", ref))
        elif st.status == "suspended":
            seen.append(Observation("suspended", f"Unit {u.name!r} ({u.country}): vetting suspended.", ref))
        elif st.status == "approved" and (st.valid_until is None or p.date < st.valid_until):
            until = f" until {st.valid_until}" if st.valid_until else ""
            seen.append(Observation("approved", f"Unit {u.name!r} ({u.country}): approved{until}.", ref))
        else:
            why = "approval expired" if st.status in ("approved", "expired") else f"status {st.status}"
            seen.append(
                Observation("not_vetted", f"Unit {u.name!r} ({u.country}): no current approval ({why}).", ref)
            )
    return conclude(cfg, seen, _x())


def _x() -> Observation:
    return Observation("approved", "")
