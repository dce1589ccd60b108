"""Reads of congressional notifications, scoped to what the actor may see.

Scoping is the access policy's row rule (:func:`secassist.identity.policy.scope`): for
congress only after formal notification; for an SCO or a partner its own purchaser country
AND only after formal notification (published notifications are public record, the project
owner's decision; DESIGN.md "Who uses it"). ``actor=None`` is
the system (the CLI, the offer gate): unscoped. The public export reads formally notified
notifications only. The writes are in :mod:`secassist.notification.service`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import Session

from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.identity.policy import Principal, scope
from secassist.notification.models import STATUSES, NoticeSource, Notification

_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])


def _scoped(stmt: _S, actor: Principal | None) -> _S:
    if actor is None:
        return stmt
    return scope(
        stmt,
        actor,
        "notification",
        country=Notification.purchaser_country,
        notified=Notification.formally_notified,
    )


def get_notification(session: Session, *, actor: Principal | None, notification_id: int) -> Notification:
    """One notification the actor may see (404 otherwise, the same as a missing one)."""
    n = session.scalar(_scoped(select(Notification).where(Notification.id == notification_id), actor))
    if n is None:
        raise NotFoundError("notification not found", field="notification_id")
    return n


def for_case(session: Session, case_id: int) -> Notification | None:
    """The notification of a case, unscoped: for the offer gate, which runs as the system."""
    return session.scalar(select(Notification).where(Notification.case_id == case_id))


def list_notifications(
    session: Session,
    *,
    actor: Principal | None,
    status: str | None = None,
    country: str | None = None,
    limit: int = 500,
) -> list[Notification]:
    """Notifications the actor may see, soonest review deadline first (then newest)."""
    stmt = select(Notification)
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailedError(
                f"status: {status!r} is not one of {', '.join(STATUSES)}", field="status"
            )
        stmt = stmt.where(Notification.status == status)
    if country is not None:
        stmt = stmt.where(Notification.purchaser_country == country.strip().upper())
    stmt = stmt.order_by(
        Notification.review_ends_on.is_(None), Notification.review_ends_on, Notification.id.desc()
    ).limit(limit)
    return list(session.scalars(_scoped(stmt, actor)))


def formal_counts(session: Session, *, actor: Principal | None) -> list[tuple[int, str, int]]:
    """Formal notifications the actor may see, counted per calendar year of the formal
    notification and purchaser country: ``(year, country, count)``, oldest year first. A
    notification with no purchaser country (a NATO body's, an unparsed notice) counts
    under ``""``."""
    year = extract("year", Notification.formal_notification_on)
    stmt = (
        select(year, Notification.purchaser_country, func.count())
        .where(Notification.formally_notified.is_(True), Notification.formal_notification_on.is_not(None))
        .group_by(year, Notification.purchaser_country)
    )
    rows = session.execute(_scoped(stmt, actor))
    return sorted((int(y), c or "", int(n)) for y, c, n in rows)


def sources(session: Session, *, actor: Principal | None, notification_id: int) -> list[NoticeSource]:
    """The published texts a notification was read from, oldest first (404 when the actor
    may not see the notification)."""
    get_notification(session, actor=actor, notification_id=notification_id)
    return list(
        session.scalars(
            select(NoticeSource)
            .where(NoticeSource.notification_id == notification_id)
            .order_by(NoticeSource.id)
        )
    )


# --- the public export ---------------------------------------------------------------


def public_records(session: Session, *, limit: int = 10_000) -> list[Notification]:
    """What a public export may show: formally notified notifications only. Before formal
    notification the link between a country and the items stays out of every export."""
    stmt = (
        select(Notification)
        .where(Notification.formally_notified.is_(True))
        .order_by(Notification.formal_notification_on.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


PUBLIC_FIELDS = (
    "id",
    "transmittal",
    "section",
    "purchaser",
    "purchaser_country",
    "implementing_agency",
    "mde_value",
    "other_value",
    "total_value",
    "formal_notification_on",
    "review_ends_on",
    "status",
)


def public_row(n: Notification) -> dict[str, object]:
    """One exported notification (never a draft: callers pass ``public_records`` rows)."""
    if not n.formally_notified:
        raise ValidationFailedError("a notification is public only after formal notification", field="id")
    return {f: getattr(n, f) for f in PUBLIC_FIELDS}
