"""Case pages: the case list with filters, and a case's detail (lines, values, timeline,
offer gates, amendments) with a form to move it along the lifecycle.

Logged-in users only; what each sees is scoped exactly as in the API (a case outside
one's scope is a 404 page). The status form carries the CSRF token and the case version
it was rendered from, so a stale form answers 409 instead of overwriting someone's change.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.cases import metrics, present, queries, service
from secassist.cases.common import check_version
from secassist.cases.lifecycle import LABELS, PURCHASER_MAY, Status
from secassist.cases.models import FINANCING
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.equipment import queries as equipment_queries
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal, Resource, allowed
from secassist.notification import queries as notification_queries
from secassist.programs import queries as program_queries
from secassist.reference.service import get_reference
from secassist.reports import listing, lists
from secassist.storage.uow import read_only
from secassist.vetting import service as vetting_service
from secassist.web.auth import WebUserDep, form_write, load_web_user, require_csrf
from secassist.web.forms import ConfirmField, confirmation, is_confirmed, redirect_with_flash
from secassist.web.render import page
from secassist.workflows import offer as offer_workflow
from secassist.workflows.vetting_case import case_reference

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailedError(f"{field}: {value!r} is not a date (YYYY-MM-DD)", field=field) from None


@router.get("/cases", response_class=HTMLResponse)
def case_list(
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    status: str | None = None,
    country: str | None = None,
    agency: str | None = None,
    financing: str | None = None,
    q: str | None = None,
) -> Response:
    """The cases the user may see, filtered by status, purchaser, agency and financing."""
    if web_user is None:
        return _login(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
    filters = {"status": status or None, "country": country or None, "agency": agency or None,
               "financing": financing or None, "q": q or None}  # fmt: skip
    view = listing.view(lists.CASES, session, web_user.principal, request.query_params)
    ref = get_reference()
    return page(
        request,
        "cases.html",
        active="cases",
        view=view,
        rows=view.rows,
        total=view.total,
        filters=filters,
        statuses=[(s.value, LABELS[s]) for s in Status],
        financings=FINANCING,
        agencies=[a for a in ref.implementing_agencies() if a.code],
        labels={s.value: LABELS[s] for s in Status},
    )


@router.get("/cases/{ref}", response_class=HTMLResponse)
def case_page(
    ref: str, request: Request, web_user: WebUserDep, session: ReadSessionDep, as_of: str | None = None
) -> Response:
    """One case: values, lines, timeline as of a date, offer gates, amendments, history."""
    if web_user is None:
        return _login(f"/cases/{quote(ref)}")
    p = web_user.principal
    day = _day(as_of, "as_of") or clock_of(request).today()
    detail = queries.case_detail(session, actor=p, ref=ref)
    case = present.case_read(detail)
    gate_results = offer_workflow.gates_for(session, actor=p, case_id=case.id, on=day)
    events_then = [e for e in detail.events if e.occurred_on <= day]
    return page(
        request,
        "case.html",
        active="cases",
        case=case,
        timeline=present.timeline_read(detail.case, detail.lor, events_then, day),
        gates=gate_results,
        as_of=day,
        labels={s.value: LABELS[s] for s in Status},
        moves=_moves(case.next_statuses, p),
        today=clock_of(request).today(),
        dwell=metrics.timeline(events_then, day),
        **chain(session, p, case.id, case.country),
    )


def chain(session: Session, p: Principal, case_id: int, country: str | None) -> dict[str, Any]:
    """The rest of the case's chain, each part only as far as the user's role and the
    policy let it see (every read is the domain's scoped query): the vetting decision,
    the notification, the funding entries, and the delivered items with their holders."""
    out: dict[str, Any] = {"vetting": None, "notice": None, "funding": None, "items": None}
    if allowed(p, "read", Resource("vetting", country=country)):
        out["vetting"] = vetting_service.current_decision(session, reference=case_reference(case_id))
    found = notification_queries.for_case(session, case_id)
    if found is not None and "notification:read" in p.permissions:
        with suppress(NotFoundError):  # not yet formally notified: invisible to this role
            out["notice"] = notification_queries.get_notification(session, actor=p, notification_id=found.id)
    if "program:read" in p.permissions:
        out["funding"] = program_queries.list_entries(session, actor=p, case_id=case_id, limit=200)
    if "equipment:read" in p.permissions:
        out["items"] = equipment_queries.list_items(session, actor=p, case_id=case_id)
    return out


def _moves(next_statuses: list[str], p: Principal) -> list[str]:
    """The statuses this user may move the case to from its page."""
    if "case:write" not in p.permissions or p.org_kind is OrgKind.auditor:
        return []
    if p.org_kind in (OrgKind.partner, OrgKind.sco):
        return [s for s in next_statuses if Status(s) in PURCHASER_MAY]
    return next_statuses


@router.post("/cases/{ref}/advance")
def advance(
    ref: str,
    request: Request,
    web_user: WebUserDep,
    to: Annotated[str, Form(max_length=40)],
    version: Annotated[int, Form()],
    csrf: Annotated[str, Form(max_length=200)] = "",
    offer_expires_on: Annotated[str, Form(max_length=10)] = "",
    initial_deposit: Annotated[str, Form(max_length=30)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    confirmed: ConfirmField = "",
) -> Response:
    """Move the case from its page (offering runs the gates); back to the page on success,
    with a confirmation. Cancelling is final, so it asks once (web/forms.py)."""
    if web_user is None:
        return _login(f"/cases/{quote(ref)}")
    p, clock = web_user.principal, clock_of(request)
    values = {"to": to, "version": str(version), "offer_expires_on": offer_expires_on,
              "initial_deposit": initial_deposit, "note": note}  # fmt: skip
    if to == Status.cancelled.value and not is_confirmed(request, "case-cancel:" + ref, values, confirmed):
        require_csrf(request, csrf)
        with read_only(session_factory(request)) as rs:  # a stale form is refused before asking
            check_version(service.resolve_case(rs, actor=p, ref=ref), version)
        ask = confirmation(
            request, action="case-cancel:" + ref, url=f"/cases/{quote(ref)}/advance", values=values,
            summary=f"Cancel case {ref}", cancel=f"/cases/{quote(ref)}", button="Cancel the case",
            warning="A cancelled case cannot be reopened (SAMM C6.8).",
            details=(("Note", note or "—"),),
        )  # fmt: skip
        return page(request, "confirm.html", active="cases", confirm=ask)
    with form_write(request, csrf) as s:
        case = service.resolve_case(s, actor=p, ref=ref)
        if to == Status.offered.value:
            offer_workflow.offer_case(
                s, actor=p, case_id=case.id, offer_expires_on=_day(offer_expires_on, "offer_expires_on"),
                expected_version=version, note=note or None, clock=clock,
            )  # fmt: skip
        else:
            service.advance(
                s, actor=p, case_id=case.id, to=to, expected_version=version,
                initial_deposit=initial_deposit or None, note=note or None, clock=clock,
            )  # fmt: skip
        ident = case.identifier
    return redirect_with_flash(request, f"/cases/{ident}", f"Case {ident} is now {LABELS[Status(to)]}.")
