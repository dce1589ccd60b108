"""Screening pages: search (kept as a screening) with per-feature explanations, the
analyst's disposition form (CSRF), the queue of unresolved screenings, list versions.

Logged-in users only; what they see and may do is the screening service's (resource kind
``vetting``): State and DoD read, policy officers screen and dispose, auditors read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.core.errors import ValidationFailedError
from secassist.http.deps import ReadSessionDep
from secassist.identity.policy import require_permission
from secassist.vetting.screening import queries, service
from secassist.vetting.screening.matcher import DEFAULT_THRESHOLD
from secassist.vetting.screening.models import DISPOSITIONS
from secassist.web.auth import NO_STORE, WebUser, WebUserDep, form_write, load_web_user
from secassist.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])


def _login(next_url: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={next_url}", status_code=303)


def _reader(web_user: WebUser) -> None:
    require_permission(web_user.principal, "vetting:read")


@router.get("/screening", response_class=HTMLResponse)
def search_page(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The search form, the queue of screenings with unresolved potential matches, recent screenings."""
    if web_user is None:
        return _login("/screening")
    _reader(web_user)
    runs = queries.list_runs(session, actor=web_user.principal, limit=50)
    response = page(
        request,
        "screening/search.html",
        active="screening",
        queue=[r for r in runs if r.status == "potential_match"],
        runs=runs,
        threshold=f"{DEFAULT_THRESHOLD:.2f}",
        can_write="vetting:write" in web_user.principal.permissions,
        lists=queries.active_versions(session),
    )
    response.headers.update(NO_STORE)
    return response


@router.post("/screening")
def search(
    request: Request,
    web_user: WebUserDep,
    names: Annotated[str, Form(max_length=4000)] = "",
    identifiers: Annotated[str, Form(max_length=1000)] = "",
    subject: Annotated[str, Form(max_length=300)] = "",
    threshold: Annotated[str, Form(max_length=8)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Screen one party (names one a line) and show the kept screening."""
    if web_user is None:
        return _login("/screening")
    with form_write(request, csrf) as session:
        try:
            th = float(threshold) if threshold.strip() else DEFAULT_THRESHOLD
        except ValueError:
            msg = f"threshold: {threshold!r} is not a number"
            raise ValidationFailedError(msg, field="threshold") from None
        party = service.Party(
            names=[n for n in names.splitlines() if n.strip()],
            identifiers=[i for i in identifiers.replace(",", "\n").splitlines() if i.strip()],
        )
        run = service.screen(
            session, actor=web_user.principal, parties=[party], subject=subject or None, threshold=th
        )
        run_id = run.id
    return RedirectResponse(f"/screening/runs/{run_id}", status_code=303)


@router.get("/screening/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: int, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """A kept screening: query, list versions, results with explanations, dispositions."""
    if web_user is None:
        return _login(f"/screening/runs/{run_id}")
    run = queries.get_run(session, actor=web_user.principal, run_id=run_id)
    decided = queries.dispositions(session, run=run)
    latest = {(d.list_name, d.entity_id): d for d in decided}
    response = page(
        request,
        "screening/run.html",
        active="screening",
        run=run,
        decided=decided,
        latest=latest,
        dispositions=DISPOSITIONS,
        can_write="vetting:write" in web_user.principal.permissions,
    )
    response.headers.update(NO_STORE)
    return response


@router.post("/screening/runs/{run_id}/dispositions")
def dispose(
    request: Request,
    run_id: int,
    web_user: WebUserDep,
    list_name: Annotated[str, Form(max_length=64)] = "",
    entity_id: Annotated[str, Form(max_length=200)] = "",
    disposition: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=service.MAX_NOTE)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record the analyst's disposition of one result."""
    if web_user is None:
        return _login(f"/screening/runs/{run_id}")
    with form_write(request, csrf) as session:
        service.record_disposition(
            session,
            actor=web_user.principal,
            run_id=run_id,
            list_name=list_name,
            entity_id=entity_id,
            disposition=disposition,
            note=note,
        )
    return RedirectResponse(f"/screening/runs/{run_id}", status_code=303)


@router.get("/screening/lists", response_class=HTMLResponse)
def lists_page(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """Every loaded list version: files and hashes, counts, which one is active."""
    if web_user is None:
        return _login("/screening/lists")
    versions = queries.list_versions(session, actor=web_user.principal)
    return page(request, "screening/lists.html", active="screening_lists", versions=versions)
