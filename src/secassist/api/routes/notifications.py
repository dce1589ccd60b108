"""Congressional notifications: list by status and deadline, detail, the rendered notice
(text and PDF), the review steps, and the threshold calculator.

Reads are scoped by the access policy in the query: congress sees a notification only
after formal notification; an id outside the caller's scope answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from secassist.core.types import IsoDate, to_money
from secassist.http.deps import PrincipalDep, ReadSessionDep, WriterDep, WriteSessionDep
from secassist.http.params import Id
from secassist.notification import queries, service
from secassist.notification.render import render_pdf, render_text
from secassist.notification.schemas import (
    DisapprovalIn,
    FormalIn,
    InformalIn,
    NotificationCreate,
    NotificationRead,
    RequirementRead,
    SourceRead,
    WaiverIn,
)
from secassist.notification.thresholds import requirement
from secassist.workflows.notification_case import notice_content, prepare_for_case

router = APIRouter(prefix="/notifications", tags=["notification"])


def _out(n: object) -> NotificationRead:
    return NotificationRead.model_validate(n)


@router.get("", response_model=list[NotificationRead])
def list_notifications(
    principal: PrincipalDep,
    session: ReadSessionDep,
    status_: Annotated[str | None, Query(alias="status")] = None,
    country: str | None = None,
) -> list[NotificationRead]:
    """The notifications the caller may see, soonest review deadline first."""
    return [
        _out(n) for n in queries.list_notifications(session, actor=principal, status=status_, country=country)
    ]


@router.get("/requirement", response_model=RequirementRead)
def requirement_calc(
    country: str,
    on: Annotated[IsoDate, Query(alias="date")],
    mde: str,
    total: str,
    design_construction: str = "0",
    kind: str = "sale",
    firearms: str = "0",
) -> RequirementRead:
    """Whether notification is required (AECA §36(b)(1), §36(c), §3(d)); reference data only."""
    req = requirement(
        country.strip().upper(),
        on,
        to_money(mde, field="mde"),
        to_money(total, field="total"),
        to_money(design_construction, field="design_construction"),
        kind,
        firearms=to_money(firearms, field="firearms"),
    )
    return RequirementRead(
        required=req.required,
        section=req.section,
        tripped=list(req.tripped),
        review_days=req.review_days,
        earliest_offer_date=req.earliest_offer_date if req.required else None,
        informal_review_days=req.informal_review_days,
        higher_thresholds=req.higher_thresholds,
        short_review=req.short_review,
        thresholds=req.thresholds,
        sources=list(req.sources),
        unconfirmed=list(req.unconfirmed),
    )


@router.get("/{notification_id}", response_model=NotificationRead)
def get_notification(
    notification_id: Id, principal: PrincipalDep, session: ReadSessionDep
) -> NotificationRead:
    """One notification; 404 when missing or outside the caller's scope."""
    return _out(queries.get_notification(session, actor=principal, notification_id=notification_id))


@router.get("/{notification_id}/sources", response_model=list[SourceRead])
def get_sources(notification_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> list[SourceRead]:
    """The published texts this notification was read from."""
    return [
        SourceRead.model_validate(s)
        for s in queries.sources(session, actor=principal, notification_id=notification_id)
    ]


@router.get("/{notification_id}/notice.txt", response_class=Response)
def notice_text(notification_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> Response:
    """The Federal Register transmittal as text."""
    n = queries.get_notification(session, actor=principal, notification_id=notification_id)
    return Response(render_text(notice_content(session, n)), media_type="text/plain; charset=utf-8")


@router.get("/{notification_id}/notice.pdf", response_class=Response)
def notice_pdf(notification_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> Response:
    """The Federal Register transmittal as PDF."""
    n = queries.get_notification(session, actor=principal, notification_id=notification_id)
    name = f"transmittal-{n.transmittal or n.id}.pdf"
    return Response(
        render_pdf(notice_content(session, n)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("", response_model=NotificationRead, status_code=status.HTTP_201_CREATED)
def create(
    body: NotificationCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> NotificationRead:
    """Prepare a notification (status draft)."""
    return _out(service.create_notification(session, actor=principal, **body.model_dump()))


@router.post("/for-case/{case_id}", response_model=NotificationRead, status_code=status.HTTP_201_CREATED)
def create_for_case(
    case_id: Id, request: Request, principal: WriterDep, session: WriteSessionDep
) -> NotificationRead:
    """Open a case's notification from the case's facts (404 for a case the caller may not see)."""
    return _out(prepare_for_case(session, actor=principal, case_id=case_id))


@router.post("/{notification_id}/informal-review", response_model=NotificationRead)
def informal(
    notification_id: Id,
    body: InformalIn,
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
) -> NotificationRead:
    """Record the informal (tiered) review's start."""
    n = service.record_informal_review(
        session, actor=principal, notification_id=notification_id, on=body.on, days=body.days
    )
    return _out(n)


@router.post("/{notification_id}/formal-notification", response_model=NotificationRead)
def formal(
    notification_id: Id, body: FormalIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> NotificationRead:
    """Record the formal notification to Congress: the review period starts."""
    n = service.record_formal_notification(
        session, actor=principal, notification_id=notification_id, on=body.on, transmittal=body.transmittal
    )
    return _out(n)


@router.post("/{notification_id}/emergency-waiver", response_model=NotificationRead)
def waiver(
    notification_id: Id, body: WaiverIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> NotificationRead:
    """Record an emergency waiver of the review period with its justification."""
    n = service.record_emergency_waiver(
        session, actor=principal, notification_id=notification_id, justification=body.justification
    )
    return _out(n)


@router.post("/{notification_id}/disapproval", response_model=NotificationRead)
def disapproval(
    notification_id: Id,
    body: DisapprovalIn,
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
) -> NotificationRead:
    """Record an enacted joint resolution of disapproval (blocks the offer)."""
    n = service.record_disapproval(
        session, actor=principal, notification_id=notification_id, resolution=body.resolution, on=body.on
    )
    return _out(n)
