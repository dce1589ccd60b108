"""``secassist vetting``: policy vetting from the console (acting as the system; every
change audited). Lists take ``--format table|json|csv``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from secassist.cli.common import FormatOpt, acting, parse_date, read_session, uow
from secassist.cli.output import Format, emit_rows, info
from secassist.core.errors import ValidationFailedError

app = typer.Typer(
    help="Policy vetting: proposals, decisions, sign-offs, the rule set, SIPRI.", no_args_is_help=True
)

DECISION_COLUMNS = [
    "id",
    "proposal_id",
    "country",
    "profile",
    "recommendation",
    "status",
    "final",
    "missing_signoffs",
]


def _list(values: list[str], fmt: Format) -> Any:
    return values if fmt is Format.json else " ".join(values)


@app.command("profiles")
def profiles(fmt: FormatOpt = Format.table) -> None:
    """The policy profiles, with their effective dates."""
    from secassist.vetting.ruleset import get_ruleset

    rows = [
        {
            "id": p.id,
            "title": p.title,
            "from": p.starts,
            "until": p.ends,
            "status": p.status,
            "authority": p.authority,
        }
        for p in get_ruleset().profiles
    ]
    emit_rows(rows, fmt, title="Policy profiles")


@app.command("rules")
def rules(
    on: Annotated[str | None, typer.Option("--on", help="The profile in force on this date.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="A profile id.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The factors a profile weighs: authority, office, and each signal's outcome."""
    from secassist.core.clock import SystemClock
    from secassist.vetting.ruleset import get_ruleset

    rs = get_ruleset()
    p = (
        rs.get(profile)
        if profile
        else rs.for_date(parse_date(on, option="--on") if on else SystemClock().today())
    )
    rows = [
        {
            "factor": c.factor,
            "office": c.office.value,
            "outcomes": _list([f"{s}={o.value}" for s, o in c.outcomes.items()], fmt),
            "authority": c.authority,
        }
        for c in p.factors
    ]
    emit_rows(rows, fmt, title=f"{p.id}: {p.title}")


@app.command("sipri-import")
def sipri_import(path: Annotated[Path, typer.Argument(help="A SIPRI trade-register CSV export.")]) -> None:
    """Import a SIPRI Arms Transfers Database trade register (never shipped with secassist)."""
    from secassist.vetting.sipri import import_register

    with uow() as session:
        imp = import_register(session, actor=acting(session), path=path)
        msg = (
            f"imported {imp.records} records, {imp.holdings} holdings from {imp.file_name} "
            f"(sha256 {imp.sha256[:12]})"
        )
    info(msg)


@app.command("propose")
def propose(path: Annotated[Path, typer.Argument(help="A proposal as YAML or JSON.")]) -> None:
    """File a proposal from a file; prints its id."""
    from secassist.reference.loader import read_yaml
    from secassist.vetting.proposal import parse_proposal
    from secassist.vetting.service import create_proposal

    raw, _ = read_yaml(path)  # a malformed file: ReferenceDataError naming file and line
    proposal = parse_proposal(raw, where=path.name)
    with uow() as session:
        pid = create_proposal(session, actor=acting(session), proposal=proposal).id
    typer.echo(pid)


def _decision_rows(session: Any, decisions: list[Any], fmt: Format) -> list[dict[str, Any]]:
    from secassist.vetting.queries import missing_signoffs

    return [
        {
            "id": d.id,
            "proposal_id": d.proposal_id,
            "country": d.country_code,
            "profile": d.profile_id,
            "recommendation": d.recommendation,
            "status": d.status,
            "final": d.final_decision,
            "missing_signoffs": _list(missing_signoffs(session, d) if d.status == "open" else [], fmt),
        }
        for d in decisions
    ]


def _show(decision_id: int, fmt: Format) -> None:
    from secassist.vetting import queries, service

    with read_session() as session:
        d = queries.read_decision(session, service.get_decision(session, actor=None, decision_id=decision_id))
    if fmt is Format.json:
        typer.echo(d.model_dump_json(indent=2))
        return
    rows = [
        {
            "factor": f.factor,
            "outcome": f.outcome,
            "signal": f.signal,
            "rationale": f.rationale,
            "evidence": " ".join(f.evidence),
        }
        for f in d.findings
    ]
    title = f"Decision {d.id} ({d.profile_id}): recommendation {d.recommendation}, {d.status}"
    emit_rows(rows, fmt, title=title)


@app.command("evaluate")
def evaluate(
    proposal_id: Annotated[int | None, typer.Argument(help="The proposal; or --reference.")] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="The reference given in the proposal file.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Evaluate a proposal under the profile its date picks; prints the findings."""
    from secassist.vetting.service import evaluate_proposal, find_proposal

    if (proposal_id is None) == (reference is None):
        raise ValidationFailedError(
            "proposal_id: give the proposal's id or --reference, not both", field="proposal_id"
        )
    with uow() as session:
        if reference is not None:
            proposal_id = find_proposal(session, actor=acting(session), reference=reference).id
        assert proposal_id is not None
        did = evaluate_proposal(session, actor=acting(session), proposal_id=proposal_id).id
    _show(did, fmt)


@app.command("show")
def show(
    decision_id: Annotated[int, typer.Argument(help="The decision.")], fmt: FormatOpt = Format.table
) -> None:
    """A decision's findings with rationale and evidence."""
    _show(decision_id, fmt)


@app.command("decisions")
def decisions(
    status: Annotated[str | None, typer.Option("--status", help="open, final or superseded")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List decisions."""
    from secassist.vetting.service import list_decisions

    with read_session() as session:
        rows = _decision_rows(session, list_decisions(session, actor=None, status=status), fmt)
    emit_rows(rows, fmt, columns=DECISION_COLUMNS, title="Vetting decisions")


@app.command("queue")
def queue(
    office: Annotated[
        str | None, typer.Option("--office", help="Only decisions awaiting this office.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The reviewers' queue: open decisions awaiting sign-off or a final decision."""
    from secassist.vetting.service import review_queue

    with read_session() as session:
        rows = [
            {
                "decision": i.decision.id,
                "proposal": i.proposal.id,
                "title": i.proposal.title,
                "country": i.proposal.country_code,
                "recommendation": i.decision.recommendation,
                "concerns": _list(list(i.concerns), fmt),
                "missing_signoffs": _list(list(i.missing), fmt),
            }
            for i in review_queue(session, actor=None, office=office)
        ]
    emit_rows(
        rows,
        fmt,
        columns=[
            "decision",
            "proposal",
            "title",
            "country",
            "recommendation",
            "concerns",
            "missing_signoffs",
        ],
        title="Reviewers' queue",
    )


@app.command("determine")
def determine(
    proposal_id: Annotated[int, typer.Argument(help="The proposal.")],
    factor: Annotated[str, typer.Option("--factor")],
    assessment: Annotated[str, typer.Option("--assessment", help="satisfactory, doubts or adverse")],
    basis: Annotated[str, typer.Option("--basis", help="What the determination rests on.")],
    more_likely_than_not: Annotated[bool, typer.Option("--more-likely-than-not")] = False,
    actual_knowledge: Annotated[bool, typer.Option("--actual-knowledge")] = False,
) -> None:
    """Record a reviewer's determination on a factor (counts at the next evaluation)."""
    from secassist.vetting.service import record_determination

    with uow() as session:
        record_determination(
            session,
            actor=acting(session),
            proposal_id=proposal_id,
            factor=factor,
            assessment=assessment,
            basis=basis,
            more_likely_than_not=more_likely_than_not,
            actual_knowledge=actual_knowledge,
        )
    info(f"recorded {factor} determination on proposal {proposal_id}")


DecisionArg = Annotated[int | None, typer.Argument(help="The decision; or --case.")]
CaseOpt = Annotated[
    str | None, typer.Option("--case", help="The case (PL-D-AAA or id) whose current decision this is.")
]


def _decision_id(session: Any, decision_id: int | None, case: str | None) -> int:
    from secassist.workflows.vetting_case import case_decision

    if (decision_id is None) == (case is None):
        raise ValidationFailedError(
            "decision_id: give the decision's id or --case, not both", field="decision_id"
        )
    if case is not None:
        return case_decision(session, actor=None, ref=case).id
    assert decision_id is not None
    return decision_id


@app.command("signoff")
def signoff(
    office: Annotated[
        str, typer.Option("--office", help="political_military, human_rights or technology_security")
    ],
    comment: Annotated[str, typer.Option("--comment")],
    decision_id: DecisionArg = None,
    case: CaseOpt = None,
    concur: Annotated[bool, typer.Option("--concur/--non-concur")] = True,
) -> None:
    """An office signs off on a decision's concerns (the decision by its id, or a case's
    current decision by --case)."""
    from secassist.vetting.service import record_signoff

    with uow() as session:
        did = _decision_id(session, decision_id, case)
        record_signoff(
            session, actor=acting(session), decision_id=did, office=office, concur=concur, comment=comment
        )
    info(f"{office} {'concurred' if concur else 'did not concur'} on decision {did}")


@app.command("finalize")
def finalize(
    decision: Annotated[str, typer.Option("--decision", help="approve or deny")],
    decision_id: DecisionArg = None,
    case: CaseOpt = None,
    proviso: Annotated[
        list[str] | None, typer.Option("--proviso", help="A proviso; repeat for several.")
    ] = None,
    comment: Annotated[str, typer.Option("--comment")] = "",
) -> None:
    """The final decision, with provisos (the decision by its id, or a case's current
    decision by --case)."""
    from secassist.vetting.service import finalize_decision

    with uow() as session:
        d = finalize_decision(
            session,
            actor=acting(session),
            decision_id=_decision_id(session, decision_id, case),
            decision=decision,
            provisos=proviso or [],
            comment=comment,
        )
        msg = f"decision {d.id}: {d.final_decision}"
    typer.echo(msg, err=True)


@app.command("enduse-add")
def enduse_add(
    country: Annotated[str, typer.Option("--country")],
    kind: Annotated[
        str, typer.Option("--kind", help="unauthorized_transfer, delinquent_inventory or incident")
    ],
    on: Annotated[str, typer.Option("--on", help="When it occurred, YYYY-MM-DD.")],
    description: Annotated[str, typer.Option("--description")],
    source: Annotated[str, typer.Option("--source")] = "",
    resolved_on: Annotated[str | None, typer.Option("--resolved-on")] = None,
) -> None:
    """Record an entry of a country's end-use history (diversion risk)."""
    from secassist.vetting.history import add_enduse_record

    with uow() as session:
        rid = add_enduse_record(
            session,
            actor=acting(session),
            country=country,
            kind=kind,
            occurred_on=parse_date(on, option="--on"),
            description=description,
            source=source,
            resolved_on=parse_date(resolved_on, option="--resolved-on") if resolved_on else None,
        ).id
    typer.echo(rid)


@app.command("enduse")
def enduse(
    country: Annotated[str | None, typer.Option("--country")] = None, fmt: FormatOpt = Format.table
) -> None:
    """List the end-use history."""
    from secassist.vetting import schemas
    from secassist.vetting.history import list_enduse_records

    with read_session() as session:
        rows = [
            schemas.enduse_read(r).model_dump()
            for r in list_enduse_records(session, actor=None, country=country)
        ]
    emit_rows(rows, fmt, columns=list(schemas.EndUseRead.model_fields), title="End-use history")


def proposal_summary(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "title": r.title,
            "country": r.country_code,
            "date": r.proposed_on,
            "reference": r.reference,
        }
        for r in rows
    ]


@app.command("proposals")
def proposals(fmt: FormatOpt = Format.table) -> None:
    """List proposals."""
    from secassist.vetting.service import list_proposals

    with read_session() as session:
        rows = proposal_summary(list_proposals(session, actor=None))
    emit_rows(rows, fmt, columns=["id", "title", "country", "date", "reference"], title="Proposals")


@app.command("case")
def case(
    ref: Annotated[str, typer.Argument(help="The case identifier (or id).")],
    on: Annotated[str | None, typer.Option("--on", help="Proposal date (default today).")] = None,
    screening: Annotated[
        list[str] | None, typer.Option("--screening", help="NAME=STATUS[:SCREENING_ID]; repeat per party.")
    ] = None,
    unit: Annotated[list[int] | None, typer.Option("--unit", help="A recipient unit id; repeat.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Vet a case: build its proposal from the case's facts, evaluate, print the findings.
    Without --screening the parties are screened against the loaded lists."""
    from secassist.core.clock import SystemClock
    from secassist.vetting.proposal import ScreeningOutcome
    from secassist.workflows.vetting_case import vet_case_ref

    outcomes: dict[str, ScreeningOutcome] = {}
    for item in screening or []:
        name, sep, rest = item.rpartition("=")
        status, _, sid = rest.partition(":")
        if not sep or not name:
            raise ValidationFailedError(f"--screening: {item!r} is not NAME=STATUS[:ID]", field="screening")
        try:
            outcomes[name] = ScreeningOutcome(status=status, screening_id=sid or None)
        except ValueError:
            raise ValidationFailedError(
                f"--screening: unknown status {status!r}", field="screening"
            ) from None
    day = parse_date(on, option="--on") if on else SystemClock().today()
    ident: str | int = int(ref) if ref.isdigit() else ref
    with uow() as session:
        _, d = vet_case_ref(
            session,
            actor=acting(session),
            ref=ident,
            on=day,
            screenings=outcomes or None,
            recipient_unit_ids=unit or [],
        )
        did = d.id
    _show(did, fmt)
