"""The bridge from the screening records to the policy rule's plain values.

A proposal's parties are screened once per subject (``"case:12 end_user: Land Forces"``);
a later evaluation reuses that screening, so the analyst's dispositions carry over. The
screening rule then sees each party's outcome as a plain
:class:`~secassist.vetting.proposal.ScreeningOutcome`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal
from secassist.vetting.proposal import ScreeningOutcome
from secassist.vetting.screening import service as screening
from secassist.vetting.screening.models import ScreeningRun


@dataclass(frozen=True)
class NamedParty:
    name: str
    role: str
    country: str | None = None
    schema: str | None = None  # FtM schema when known: case parties are government bodies


def outcome_of(run: ScreeningRun) -> ScreeningOutcome:
    """A screening's status as the rule sees it: hits all dispositioned false positives are
    ``false_positive``; a confirmed hit is ``true_match``; any open hit ``potential_match``."""
    ref = str(run.id)
    if run.status == "match":
        return ScreeningOutcome(status="true_match", screening_id=ref)
    if run.status == "potential_match":
        return ScreeningOutcome(status="potential_match", screening_id=ref)
    return ScreeningOutcome(status="false_positive" if run.hit_count else "clear", screening_id=ref)


def subject_of(prefix: str, party: NamedParty) -> str:
    return f"{prefix} {party.role}: {party.name}"[:300]


def screen_parties(
    session: Session,
    *,
    actor: Principal | None,
    parties: Sequence[NamedParty],
    prefix: str,
    rescreen: bool = False,
    clock: Clock | None = None,
) -> dict[str, ScreeningOutcome]:
    """Each party's outcome, screening it (one audited screening each) unless a screening
    for the same subject exists and ``rescreen`` is false. With no list loaded nothing is
    screened and the parties are left out: the rule then reports them "not screened"."""
    out: dict[str, ScreeningOutcome] = {}
    for party in parties:
        subject = subject_of(prefix, party)
        run = None
        if not rescreen:
            run = session.scalar(
                select(ScreeningRun)
                .where(ScreeningRun.subject == subject)
                .order_by(ScreeningRun.id.desc())
                .limit(1)
            )
        if run is None:
            try:
                run = screening.screen(
                    session,
                    actor=actor,
                    parties=[screening.Party(names=[party.name], country=party.country, schema=party.schema)],
                    subject=subject,
                    clock=clock,
                )
            except ValidationFailedError as exc:
                if exc.field == "lists":  # no list loaded: leave the party unscreened
                    continue
                raise
        out[party.name] = outcome_of(run)
    return out
