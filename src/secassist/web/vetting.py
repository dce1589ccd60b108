"""Vetting pages and forms: the reviewers' queue; a case's vetting (its proposal filed from
the case's facts and evaluated); a proposal's findings with rationale, the reviewers'
determinations, re-evaluation and pre-decisional notes; sign-off by the named office and
the final decision; and the generated explanation of how decisions are made.

Every form calls the service the CLI and the API call (``workflows.vetting_case``,
``vetting.service``) in one unit of work; a refusal is the page again (422) with the input
and the error beside its field — including a sign-off by someone who is not of the office
it names, or an approval the approver may not give (separation of duties: the service's
:class:`~secassist.core.errors.PermissionDeniedError` naming the field). A form is offered
only to a role that may use it; the service refuses the others (404/403).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.cases import present
from secassist.cases import queries as case_queries
from secassist.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    SecassistError,
    ValidationFailedError,
)
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity.policy import Principal, Resource, allowed
from secassist.reports import listing, lists
from secassist.storage.uow import read_only
from secassist.vetting import leahy, queries, schemas, service
from secassist.vetting.findings import OFFICE_LABELS
from secassist.vetting.ruleset import get_ruleset
from secassist.web.auth import WebUser, WebUserDep, form_write, load_web_user
from secassist.web.forms import FORM_ERRORS, CsrfField, FormState, redirect_with_flash
from secassist.web.render import page
from secassist.workflows import vetting_case

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])
OFFICES = {o.value: label for o, label in OFFICE_LABELS.items()}
ASSESSMENTS = (("satisfactory", "Satisfactory"), ("doubts", "Doubts"), ("adverse", "Adverse"))
# A permission refusal naming a field is a duty another person holds: shown beside it.
REFUSALS: tuple[type[SecassistError], ...] = (*FORM_ERRORS, PermissionDeniedError)
Text = Annotated[str, Form(max_length=8000)]
Short = Annotated[str, Form(max_length=200)]


def _login(path: str) -> Response:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def _shown_beside(exc: SecassistError) -> bool:
    return not isinstance(exc, PermissionDeniedError) or bool(exc.detail.get("field"))


def _may(p: Principal, action: str, kind: str, country: str | None) -> bool:
    return allowed(p, action, Resource(kind, country=country))


def _day(value: str, field: str) -> date:
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailedError(f"{field}: {text!r} is not a date (YYYY-MM-DD)", field=field) from None


@router.get("/vetting", response_class=HTMLResponse)
def queue(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The reviewers' queue and every decision the user may see."""
    if web_user is None:
        return _login("/vetting")
    p = web_user.principal
    view = listing.view(lists.VETTING_QUEUE, session, p, request.query_params)
    proposals = service.list_proposals(session, actor=p)
    latest = {}
    for d in service.list_decisions(session, actor=p):
        if d.status != "superseded":
            latest[d.proposal_id] = d
    return page(
        request,
        "vetting_queue.html",
        active="vetting",
        items=view.rows,
        view=view,
        proposals=proposals,
        latest=latest,
        offices=OFFICES,
    )


# --- a case's vetting ---------------------------------------------------------------------


def _case_vetting_view(
    request: Request,
    session: Session,
    p: Principal,
    ref: str,
    *,
    form: FormState | None = None,
    status: int = 200,
) -> Response:
    case = present.case_read(case_queries.case_detail(session, actor=p, ref=ref))
    if "vetting:read" not in p.permissions:
        raise NotFoundError("page not found")
    proposals = service.list_proposals(session, actor=p, reference=vetting_case.case_reference(case.id))
    try:
        current = vetting_case.case_decision(session, actor=p, ref=case.id)
    except NotFoundError:
        current = None
    units = leahy.list_units(session, actor=p, country=case.country) if case.country else []
    return page(
        request,
        "vetting/case.html",
        active="vetting",
        status=status,
        case=case,
        proposals=proposals,
        current=queries.read_decision(session, current) if current else None,
        units=units,
        may_vet=_may(p, "write", "vetting", case.country),
        form=form or FormState({"on": clock_of(request).today().isoformat()}),
    )


@router.get("/vetting/cases/{ref}", response_class=HTMLResponse)
def case_vetting(ref: str, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """A case's vetting: its proposals, the current decision, and the form that files the
    case's proposal and evaluates it."""
    if web_user is None:
        return _login(f"/vetting/cases/{ref}")
    return _case_vetting_view(request, session, web_user.principal, ref)


@router.post("/vetting/cases/{ref}", response_class=HTMLResponse)
def vet_case(
    ref: str,
    request: Request,
    web_user: WebUserDep,
    on: Annotated[str, Form(max_length=10)] = "",
    purchaser_name: Short = "",
    units: Annotated[list[str] | None, Form()] = None,
    csrf: CsrfField = "",
) -> Response:
    """File the case's proposal from its facts and evaluate it (``vetting_case.vet_case_ref``:
    the same step as ``secassist vetting case`` and ``POST /api/v1/vetting/cases/{ref}``)."""
    if web_user is None:
        return _login(f"/vetting/cases/{ref}")
    p = web_user.principal
    chosen = [u for u in units or [] if u.strip()]
    form = FormState({"on": on, "purchaser_name": purchaser_name, "units": ",".join(chosen)})
    try:
        day = _day(on, "on")
        unit_ids = []
        for u in chosen:
            if not u.isdigit():
                raise ValidationFailedError(f"units: {u!r} is not a unit", field="units")
            unit_ids.append(int(u))
        with form_write(request, csrf) as s:
            row, d = vetting_case.vet_case_ref(
                s, actor=p, ref=ref, on=day, purchaser_name=purchaser_name.strip() or None,
                recipient_unit_ids=unit_ids, clock=clock_of(request),
            )  # fmt: skip
            pid, rec = row.id, d.recommendation
    except REFUSALS as exc:
        if not _shown_beside(exc):
            raise
        with read_only(session_factory(request)) as s:
            aliases = {"recipient_unit_ids": "units", "case": "form"}
            return _case_vetting_view(request, s, p, ref, form=form.refused(exc, aliases), status=422)
    return redirect_with_flash(
        request,
        f"/vetting/proposals/{pid}",
        f"Proposal {pid} filed and evaluated: the rules recommend {rec}.",
    )


# --- one proposal -------------------------------------------------------------------------


def _proposal_view(
    request: Request,
    session: Session,
    p: Principal,
    proposal_id: int,
    *,
    form: FormState | None = None,
    status: int = 200,
) -> Response:
    row = service.get_proposal(session, actor=p, proposal_id=proposal_id)
    decisions = service.list_decisions(session, actor=p, proposal_id=row.id)
    current = next((d for d in reversed(decisions) if d.status != "superseded"), None)
    notes = (
        service.list_notes(session, actor=p, proposal_id=row.id)
        if _may(p, "read", "vetting_note", row.country_code)
        else None
    )
    factors = [(c.factor, c.title) for c in get_ruleset().for_date(row.proposed_on).factors]
    return page(
        request,
        "vetting/proposal.html",
        active="vetting",
        status=status,
        row=row,
        body=json.loads(row.body),
        determinations=queries.determinations(session, row.id),
        decision=queries.read_decision(session, current) if current else None,
        history=[d for d in decisions if d is not current],
        notes=notes,
        may_write=_may(p, "write", "vetting", row.country_code),
        may_approve=_may(p, "approve", "vetting", row.country_code),
        may_note=_may(p, "write", "vetting_note", row.country_code) and notes is not None,
        offices=OFFICES,
        factors=factors,
        assessments=ASSESSMENTS,
        form=form,
    )


@router.get("/vetting/proposals/{proposal_id}", response_class=HTMLResponse)
def proposal(proposal_id: int, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """A proposal, its latest decision's findings with rationale, evidence and authority."""
    if web_user is None:
        return _login(f"/vetting/proposals/{proposal_id}")
    return _proposal_view(request, session, web_user.principal, proposal_id)


def _proposal_step(
    request: Request,
    web_user: WebUser | None,
    proposal_id: int | None,
    decision_id: int | None,
    form: FormState,
    step: Callable[[Session, Principal], str],
    csrf: str,
) -> Response:
    """Run ``step`` in the form's unit of work; then the proposal's page with the
    confirmation, or (refused) the page again with the input and the error beside it."""
    if web_user is None:
        return _login("/vetting")
    p = web_user.principal
    if proposal_id is None:
        assert decision_id is not None
        with read_only(session_factory(request)) as s:
            proposal_id = service.get_decision(s, actor=p, decision_id=decision_id).proposal_id
    try:
        with form_write(request, csrf) as s:
            message = step(s, p)
    except REFUSALS as exc:
        if not _shown_beside(exc):
            raise
        with read_only(session_factory(request)) as s:
            return _proposal_view(request, s, p, proposal_id, form=form.refused(exc), status=422)
    anchor = "#decision" if decision_id is not None or form.name == "evaluate" else f"#{form.name}"
    return redirect_with_flash(request, f"/vetting/proposals/{proposal_id}{anchor}", message)


@router.post("/vetting/proposals/{proposal_id}/determinations", response_class=HTMLResponse)
def determination(
    proposal_id: int,
    request: Request,
    web_user: WebUserDep,
    factor: Short = "",
    assessment: Short = "",
    basis: Text = "",
    more_likely_than_not: Short = "",
    actual_knowledge: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """A reviewer's determination on a factor, with its basis (counts at the next evaluation)."""
    form = FormState({"factor": factor, "assessment": assessment, "basis": basis,
                      "more_likely_than_not": more_likely_than_not, "actual_knowledge": actual_knowledge},
                     name="determinations")  # fmt: skip

    def step(s: Session, p: Principal) -> str:
        service.record_determination(
            s, actor=p, proposal_id=proposal_id, factor=factor, assessment=assessment, basis=basis,
            more_likely_than_not=bool(more_likely_than_not), actual_knowledge=bool(actual_knowledge),
            clock=clock_of(request),
        )  # fmt: skip
        return f"Determination on {factor} recorded; it counts at the next evaluation."

    return _proposal_step(request, web_user, proposal_id, None, form, step, csrf)


@router.post("/vetting/proposals/{proposal_id}/evaluate", response_class=HTMLResponse)
def evaluate(proposal_id: int, request: Request, web_user: WebUserDep, csrf: CsrfField = "") -> Response:
    """Evaluate again under the profile the proposal's date picks: a new decision with every
    finding (the previous open one is superseded)."""

    def step(s: Session, p: Principal) -> str:
        d = service.evaluate_proposal(s, actor=p, proposal_id=proposal_id, clock=clock_of(request))
        return f"Evaluated: decision {d.id}, the rules recommend {d.recommendation}."

    return _proposal_step(request, web_user, proposal_id, None, FormState(name="evaluate"), step, csrf)


@router.post("/vetting/proposals/{proposal_id}/notes", response_class=HTMLResponse)
def add_note(
    proposal_id: int, request: Request, web_user: WebUserDep, body: Text = "", csrf: CsrfField = ""
) -> Response:
    """A pre-decisional note (State only: DoD and everyone else neither read nor write them)."""
    form = FormState({"body": body}, name="notes")

    def step(s: Session, p: Principal) -> str:
        service.add_note(s, actor=p, proposal_id=proposal_id, body=body, clock=clock_of(request))
        return "Pre-decisional note added."

    return _proposal_step(request, web_user, proposal_id, None, form, step, csrf)


@router.post("/vetting/decisions/{decision_id}/signoff", response_class=HTMLResponse)
def signoff(
    decision_id: int,
    request: Request,
    web_user: WebUserDep,
    office: Annotated[str, Form(max_length=40)] = "",
    concur: Annotated[str, Form(max_length=8)] = "",
    comment: Text = "",
    csrf: CsrfField = "",
) -> Response:
    """The named office signs off (concurs or not) on the decision's concerns."""
    form = FormState({"office": office, "concur": concur, "comment": comment}, name="signoff")

    def step(s: Session, p: Principal) -> str:
        if concur not in ("yes", "no"):
            raise ValidationFailedError("concur: concur or do not concur", field="concur")
        service.record_signoff(
            s, actor=p, decision_id=decision_id, office=office, concur=concur == "yes", comment=comment,
            clock=clock_of(request),
        )  # fmt: skip
        position = "concurs" if concur == "yes" else "does not concur"
        return f"Sign-off recorded: {OFFICES.get(office, office)} {position}."

    return _proposal_step(request, web_user, None, decision_id, form, step, csrf)


@router.post("/vetting/decisions/{decision_id}/finalize", response_class=HTMLResponse)
def finalize(
    decision_id: int,
    request: Request,
    web_user: WebUserDep,
    decision: Annotated[str, Form(max_length=8)] = "",
    provisos: Text = "",
    comment: Text = "",
    csrf: CsrfField = "",
) -> Response:
    """The final decision, with provisos one a line (a block can only be denied)."""
    form = FormState({"decision": decision, "provisos": provisos, "comment": comment}, name="finalize")

    def step(s: Session, p: Principal) -> str:
        service.finalize_decision(
            s, actor=p, decision_id=decision_id, decision=decision, provisos=provisos.splitlines(),
            comment=comment, clock=clock_of(request),
        )  # fmt: skip
        return f"Final decision recorded: {decision}."

    return _proposal_step(request, web_user, None, decision_id, form, step, csrf)


@router.get("/vetting/rules", response_class=HTMLResponse)
def rules(request: Request) -> Response:
    """How decisions are made, generated from the rule set itself (public)."""
    profiles = [schemas.profile_read(p) for p in get_ruleset().profiles]
    today = clock_of(request).today()
    current = get_ruleset().for_date(today).id
    return page(
        request,
        "vetting_rules.html",
        active="vetting",
        profiles=profiles,
        current=current,
        offices=OFFICES,
    )
