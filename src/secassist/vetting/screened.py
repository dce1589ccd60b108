"""The bridge from the screening records to the policy rule's plain values.

A proposal's parties are screened once per subject (``"case:12 end_user: Land Forces"``);
a later evaluation reuses that screening, so the analyst's dispositions carry over. The
screening rule then sees each party's outcome as a plain
:class:`~secassist.vetting.proposal.ScreeningOutcome`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.identity.policy import Principal
from secassist.vetting.proposal import ScreeningOutcome
from secassist.vetting.screening import service as screening
from secassist.vetting.screening.models import ScreeningRun
from secassist.vetting.screening.queries import get_run


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


def _screened_names(run: ScreeningRun) -> set[str]:
    parties = run.query.get("parties", []) if isinstance(run.query, dict) else []
    return {" ".join(str(n).split()).casefold() for p in parties for n in p.get("names", [])}


def check_cited_screenings(
    session: Session, *, actor: Principal | None, outcomes: Mapping[str, ScreeningOutcome]
) -> dict[str, ScreeningOutcome]:
    """The outcomes, each cited screening written as its id (``17``). Refuses a screening
    outcome whose cited screening is no evidence for it: the id must
    name a screening record (``17`` or ``screening:17``) the actor may see, of that party's
    name, whose current outcome is the one claimed. The screening rule cites it as the
    evidence that no transfer goes to or through a proscribed party (22 CFR 126.1 [S32]),
    so a made-up or borrowed id must not stand in for one. An outcome citing no screening stays a plain
    assertion, which the rule shows without evidence."""
    out: dict[str, ScreeningOutcome] = {}
    for name, outcome in outcomes.items():
        cited = outcome.screening_id
        if cited is None:
            out[name] = outcome
            continue
        number = cited.strip().removeprefix("screening:")
        if not number.isdigit():
            raise ValidationFailedError(
                f"screenings: {name!r} cites {cited!r}, which is not a screening id (17 or screening:17)",
                field="screenings",
            )
        try:
            run = get_run(session, actor=actor, run_id=int(number))
        except NotFoundError:
            raise ValidationFailedError(
                f"screenings: screening {cited!r} cited for {name!r} does not exist", field="screenings"
            ) from None
        if " ".join(name.split()).casefold() not in _screened_names(run):
            raise ValidationFailedError(
                f"screenings: screening {cited!r} is not of {name!r}", field="screenings"
            )
        actual = outcome_of(run).status
        if actual != outcome.status:
            raise ValidationFailedError(
                f"screenings: screening {cited!r} of {name!r} is {actual}, not {outcome.status}",
                field="screenings",
            )
        out[name] = ScreeningOutcome(status=outcome.status, screening_id=str(run.id))
    return out
