"""Notification pages: the list by status and deadline, one notification with its
rendered notice, and the formal-notification form (CSRF-protected). Login required;
what a user sees is scoped by the access policy (congress: after formal notification)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.core.errors import ValidationFailedError
from secassist.http.deps import ReadSessionDep, clock_of
from secassist.identity.policy import allowed
from secassist.notification import queries, service
from secassist.notification.models import STATUSES
from secassist.notification.render import render_text
from secassist.reports import listing, lists
from secassist.web.auth import NO_STORE, WebUserDep, form_write, load_web_user
from secassist.web.render import page
from secassist.workflows.notification_case import notice_content

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={path}", status_code=303)


@router.get("/notifications", response_class=HTMLResponse)
def notifications(
    request: Request, web_user: WebUserDep, session: ReadSessionDep, status: str | None = None
) -> Response:
    if web_user is None:
        return _login("/notifications")
    view = listing.view(lists.NOTIFICATIONS, session, web_user.principal, request.query_params)
    today = clock_of(request).today()
    response = page(
        request,
        "notifications.html",
        active="notifications",
        notifications=view.rows,
        view=view,
        statuses=STATUSES,
        chosen=status or "",
        today=today,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/notifications/{notification_id}", response_class=HTMLResponse)
def notification(
    request: Request, notification_id: int, web_user: WebUserDep, session: ReadSessionDep
) -> Response:
    if web_user is None:
        return _login(f"/notifications/{notification_id}")
    p = web_user.principal
    n = queries.get_notification(session, actor=p, notification_id=notification_id)
    response = page(
        request,
        "notification.html",
        active="notifications",
        n=n,
        sources=queries.sources(session, actor=p, notification_id=notification_id),
        notice=render_text(notice_content(session, n)),
        can_approve=allowed(p, "approve", service.resource(n)),
        csrf=web_user.csrf_token,
    )
    response.headers.update(NO_STORE)
    return response


@router.post("/notifications/{notification_id}/formal")
def formal(
    request: Request,
    notification_id: int,
    web_user: WebUserDep,
    csrf: str = Form(""),
    on: str = Form(""),
    transmittal: str = Form(""),
) -> Response:
    if web_user is None:
        return _login(f"/notifications/{notification_id}")
    with form_write(request, csrf) as session:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            raise ValidationFailedError(f"on: {on!r} is not a date (YYYY-MM-DD)", field="on") from None
        service.record_formal_notification(
            session,
            actor=web_user.principal,
            notification_id=notification_id,
            on=day,
            transmittal=transmittal.strip() or None,
            clock=clock_of(request),
        )
    return RedirectResponse(f"/notifications/{notification_id}", status_code=303)
