"""Notification pages (issue #15): the list by status and deadline with the §3(d)
certifications beside it, one notification with its rendered notice, and the forms of its
review — open a case's notification, the informal review, the formal notification (the
statutory review period starts), an emergency waiver and a joint resolution of disapproval.

Login required; what a user sees is scoped by the access policy (Congress: after formal
notification; an SCO or a partner: its own country's, after formal notification — public
record, the project owner's decision; a §3(d) request once certified). Forms are shown to the roles the policy
lets act on the notification (``write`` for preparing and the informal review, ``approve``
for the rest) and the services check again; a refused form is shown again (422) with what
was typed and the error beside its field; a success redirects with a confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.cases.common import resolve_case
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.http.deps import ReadSessionDep, clock_of, session_factory
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal, allowed
from secassist.notification import queries, service
from secassist.notification.models import STATUSES, Notification
from secassist.notification.render import render_text
from secassist.reports import listing, lists
from secassist.storage.uow import read_only
from secassist.transfers import queries as transfer_queries
from secassist.transfers.models import TransferRequest
from secassist.web.auth import NO_STORE, WebUserDep, form_write, load_web_user
from secassist.web.forms import FORM_ERRORS, CsrfField, FormState, redirect_with_flash
from secassist.web.render import page
from secassist.workflows.notification_case import notice_content, prepare_for_case

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

Short = Annotated[str, Form(max_length=40)]
Long = Annotated[str, Form(max_length=20_000)]
# Service field names → the form's input names.
ALIASES = {
    "formal_notification_on": "on",
    "informal_review_on": "on",
    "case_id": "case",
    "identifier": "case",
    "id": "case",
    "notification_id": "form",
}


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={path}", status_code=303)


def _day(text: str, field: str = "on") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailedError(f"{field}: {text!r} is not a date (YYYY-MM-DD)", field=field) from None


def may_prepare(p: Principal) -> bool:
    """Whether to offer "open a case's notification" (State and the implementing agency)."""
    return "notification:write" in p.permissions and p.org_kind is not OrgKind.auditor


def certifications(session: Session, p: Principal) -> list[TransferRequest]:
    """The transfer requests the user may see that need a §3(d) certification to Congress
    (AECA §3(d)(1)-(2); the transfer's own page holds the certification form)."""
    if "transfer:read" not in p.permissions:
        return []
    return [r for r in transfer_queries.list_requests(session, actor=p) if r.notification_required]


def _list_page(
    request: Request, session: Session, p: Principal, status: str, form: FormState, code: int = 200
) -> Response:
    chosen = status if status in STATUSES else ""
    view = listing.view(lists.NOTIFICATIONS, session, p, request.query_params)
    response = page(
        request,
        "notifications.html",
        active="notifications",
        status=code,
        notifications=view.rows,
        view=view,
        statuses=STATUSES,
        chosen=chosen,
        today=clock_of(request).today(),
        may_prepare=may_prepare(p),
        may_certify="transfer:approve" in p.permissions and p.org_kind is not OrgKind.auditor,
        certifications=certifications(session, p),
        form=form,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/notifications", response_class=HTMLResponse)
def notifications(
    request: Request, web_user: WebUserDep, session: ReadSessionDep, status: str | None = None
) -> Response:
    """Notifications, soonest review deadline first, and the §3(d) certifications."""
    if web_user is None:
        return _login("/notifications")
    return _list_page(request, session, web_user.principal, status or "", FormState(name="prepare"))


@router.post("/notifications", response_class=HTMLResponse)
def prepare(
    request: Request,
    web_user: WebUserDep,
    case: Short = "",
    justification: Long = "",
    csrf: CsrfField = "",
) -> Response:
    """Open the notification of a case from the case's facts (values, MDE, purchaser)."""
    if web_user is None:
        return _login("/notifications")
    p = web_user.principal
    form = FormState({"case": case, "justification": justification}, name="prepare")
    try:
        if not case.strip():
            raise ValidationFailedError("case: name the case (e.g. PL-B-AAB)", field="case")
        with form_write(request, csrf) as s:
            try:
                found = resolve_case(s, actor=p, ref=case)
            except NotFoundError:
                raise NotFoundError(f"case: no case {case.strip()!r} you may see", field="case") from None
            n = prepare_for_case(
                s, actor=p, case_id=found.id, policy_justification=justification.strip() or None,
                clock=clock_of(request),
            )  # fmt: skip
            nid, ident = n.id, found.identifier
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            return _list_page(request, s, p, "", form.refused(exc, ALIASES), code=422)
    return redirect_with_flash(
        request, f"/notifications/{nid}", f"Prepared the notification of case {ident}."
    )


# --- one notification ---------------------------------------------------------------------


def _detail(
    request: Request,
    session: Session,
    p: Principal,
    notification_id: int,
    *,
    status: int = 200,
    forms: dict[str, FormState] | None = None,
) -> Response:
    n = queries.get_notification(session, actor=p, notification_id=notification_id)
    res = service.resource(n)
    auditor = p.org_kind is OrgKind.auditor
    can_write = allowed(p, "write", res) and not auditor
    can_approve = allowed(p, "approve", res) and not auditor
    given = forms or {}
    response = page(
        request,
        "notification.html",
        active="notifications",
        status=status,
        n=n,
        sources=queries.sources(session, actor=p, notification_id=notification_id),
        notice=render_text(notice_content(session, n)),
        can_informal=can_write and not n.formally_notified,
        can_approve=can_approve,
        can_formal=can_approve and not n.formally_notified,
        can_waive=can_approve and not n.emergency_waiver and not n.disapproval_resolution,
        can_disapprove=can_approve and n.formally_notified and not n.disapproval_resolution,
        informal=given.get("informal") or FormState({}, name="informal"),
        formal=given.get("formal") or FormState({"transmittal": n.transmittal or ""}, name="formal"),
        waiver=given.get("waiver") or FormState({}, name="waiver"),
        disapproval=given.get("disapproval") or FormState({}, name="disapproval"),
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/notifications/{notification_id}", response_class=HTMLResponse)
def notification(
    request: Request, notification_id: int, web_user: WebUserDep, session: ReadSessionDep
) -> Response:
    """One notification: its values, dates, review period, notice and the review's forms."""
    if web_user is None:
        return _login(f"/notifications/{notification_id}")
    return _detail(request, session, web_user.principal, notification_id)


def _step(
    request: Request,
    web_user: WebUserDep,
    notification_id: int,
    *,
    csrf: str,
    form: FormState,
    run: Callable[[Session, Principal], Notification],
    message: Callable[[Notification], str],
) -> Response:
    """Run one review step in the form's unit of work; a refusal shows the page again."""
    if web_user is None:
        return _login(f"/notifications/{notification_id}")
    p = web_user.principal
    try:
        with form_write(request, csrf) as s:
            text = message(run(s, p))
    except FORM_ERRORS as exc:
        with read_only(session_factory(request)) as s:
            if isinstance(exc, NotFoundError) and exc.detail.get("field") == "notification_id":
                raise
            return _detail(
                request, s, p, notification_id, status=422, forms={form.name: form.refused(exc, ALIASES)}
            )
    return redirect_with_flash(request, f"/notifications/{notification_id}", text)


@router.post("/notifications/{notification_id}/informal", response_class=HTMLResponse)
def informal(
    request: Request,
    notification_id: int,
    web_user: WebUserDep,
    on: Short = "",
    days: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """The informal (tiered) review sent to SFRC/HFAC before the formal notice."""
    form = FormState({"on": on, "days": days}, name="informal")

    def run(s: Session, p: Principal) -> Notification:
        if days.strip() and not days.strip().isdigit():
            raise ValidationFailedError(f"days: {days!r} is not a number of days", field="days")
        return service.record_informal_review(
            s, actor=p, notification_id=notification_id, on=_day(on),
            days=int(days) if days.strip() else None, clock=clock_of(request),
        )  # fmt: skip

    return _step(
        request, web_user, notification_id, csrf=csrf, form=form, run=run,
        message=lambda n: f"Informal review recorded from {n.informal_review_on} "
        f"({n.informal_review_days} days).",
    )  # fmt: skip


@router.post("/notifications/{notification_id}/formal", response_class=HTMLResponse)
def formal(
    request: Request,
    notification_id: int,
    web_user: WebUserDep,
    on: Short = "",
    transmittal: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """The formal notification delivered to Congress: the review period starts."""
    form = FormState({"on": on, "transmittal": transmittal}, name="formal")
    return _step(
        request, web_user, notification_id, csrf=csrf, form=form,
        run=lambda s, p: service.record_formal_notification(
            s, actor=p, notification_id=notification_id, on=_day(on),
            transmittal=transmittal.strip() or None, clock=clock_of(request),
        ),
        message=lambda n: f"Formally notified on {n.formal_notification_on}; the review period "
        f"({n.review_days} days) ends {n.review_ends_on}.",
    )  # fmt: skip


@router.post("/notifications/{notification_id}/waiver", response_class=HTMLResponse)
def waiver(
    request: Request,
    notification_id: int,
    web_user: WebUserDep,
    justification: Long = "",
    csrf: CsrfField = "",
) -> Response:
    """The President's emergency statement waiving the review period, with its justification."""
    form = FormState({"justification": justification}, name="waiver")
    return _step(
        request, web_user, notification_id, csrf=csrf, form=form,
        run=lambda s, p: service.record_emergency_waiver(
            s, actor=p, notification_id=notification_id, justification=justification, clock=clock_of(request)
        ),
        message=lambda n: "Emergency waiver of the review period recorded.",
    )  # fmt: skip


@router.post("/notifications/{notification_id}/disapproval", response_class=HTMLResponse)
def disapproval(
    request: Request,
    notification_id: int,
    web_user: WebUserDep,
    resolution: Short = "",
    on: Short = "",
    csrf: CsrfField = "",
) -> Response:
    """An enacted joint resolution of disapproval: the sale is blocked."""
    form = FormState({"resolution": resolution, "on": on}, name="disapproval")
    return _step(
        request, web_user, notification_id, csrf=csrf, form=form,
        run=lambda s, p: service.record_disapproval(
            s, actor=p, notification_id=notification_id, resolution=resolution, on=_day(on),
            clock=clock_of(request),
        ),
        message=lambda n: f"Joint resolution of disapproval {n.disapproval_resolution} recorded.",
    )  # fmt: skip
