"""Vetting pages: the reviewers' queue, a proposal's findings with rationale (sign-off and
final-decision forms), and the generated explanation of how decisions are made."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.http.deps import ReadSessionDep, clock_of
from secassist.identity.policy import Principal, Resource, allowed
from secassist.reports import listing, lists
from secassist.vetting import queries, schemas, service
from secassist.vetting.findings import OFFICE_LABELS
from secassist.vetting.ruleset import get_ruleset
from secassist.web.auth import WebUser, WebUserDep, form_write, load_web_user
from secassist.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])
OFFICES = {o.value: label for o, label in OFFICE_LABELS.items()}


def _login(path: str) -> Response:
    return RedirectResponse(f"/login?next={path}", status_code=303)


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


def _may(p: Principal, action: str, kind: str, country: str | None) -> bool:
    return allowed(p, action, Resource(kind, country=country))


@router.get("/vetting/proposals/{proposal_id}", response_class=HTMLResponse)
def proposal(proposal_id: int, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """A proposal, its latest decision's findings with rationale, evidence and authority."""
    if web_user is None:
        return _login(f"/vetting/proposals/{proposal_id}")
    p = web_user.principal
    row = service.get_proposal(session, actor=p, proposal_id=proposal_id)
    decisions = service.list_decisions(session, actor=p, proposal_id=row.id)
    current = next((d for d in reversed(decisions) if d.status != "superseded"), None)
    notes = (
        service.list_notes(session, actor=p, proposal_id=row.id)
        if _may(p, "read", "vetting_note", row.country_code)
        else None
    )
    return page(
        request,
        "vetting_proposal.html",
        active="vetting",
        row=row,
        body=json.loads(row.body),
        determinations=queries.determinations(session, row.id),
        decision=queries.read_decision(session, current) if current else None,
        history=[d for d in decisions if d is not current],
        notes=notes,
        may_approve=_may(p, "approve", "vetting", row.country_code),
        offices=OFFICES,
        csrf=web_user.csrf_token,
    )


def _back(decision_id: int, web_user: WebUser, session: ReadSessionDep) -> Response:
    d = service.get_decision(session, actor=web_user.principal, decision_id=decision_id)
    return RedirectResponse(f"/vetting/proposals/{d.proposal_id}#decision", status_code=303)


@router.post("/vetting/decisions/{decision_id}/signoff")
def signoff(
    decision_id: int,
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    office: Annotated[str, Form(max_length=40)],
    concur: Annotated[str, Form(max_length=8)],
    comment: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if web_user is None:
        return _login("/vetting")
    with form_write(request, csrf) as s:
        service.record_signoff(
            s,
            actor=web_user.principal,
            decision_id=decision_id,
            office=office,
            concur=concur == "yes",
            comment=comment,
            clock=clock_of(request),
        )
    return _back(decision_id, web_user, session)


@router.post("/vetting/decisions/{decision_id}/finalize")
def finalize(
    decision_id: int,
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    decision: Annotated[str, Form(max_length=8)],
    provisos: Annotated[str, Form(max_length=8000)] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if web_user is None:
        return _login("/vetting")
    with form_write(request, csrf) as s:
        service.finalize_decision(
            s,
            actor=web_user.principal,
            decision_id=decision_id,
            decision=decision,
            provisos=provisos.splitlines(),
            comment=comment,
            clock=clock_of(request),
        )
    return _back(decision_id, web_user, session)


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
