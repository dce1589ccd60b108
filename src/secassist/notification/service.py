"""Notification services: prepare a notification, record its informal review and formal
notification, an emergency waiver, a joint resolution of disapproval. The scoped reads
are in :mod:`secassist.notification.queries`.

Every state change writes exactly one audit entry (tags ``notification:<subject>:<action>``).
Services take the session explicitly and never commit. Sources: AECA §36(b)-(d), §3(d);
domain.md §2 notes (a)-(e) [S121]-[S124].
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import ConflictError, NotFoundError, ValidationFailedError
from secassist.core.types import to_money
from secassist.identity.policy import Principal, Resource, actor_of, check, require_permission
from secassist.notification.models import Notification
from secassist.notification.render import NoticeContent
from secassist.notification.thresholds import KINDS, Requirement, requirement
from secassist.reference.service import get_reference

TRANSMITTAL = r"^[0-9][0-9A-Z]-[0-9][0-9A-Z]$"
MAX_TEXT = 20_000


def resource(n: Notification) -> Resource:
    """What the access policy needs to know of a notification."""
    return Resource(kind="notification", country=n.purchaser_country, formally_notified=n.formally_notified)


def _text(value: str | None, field: str, *, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise ValidationFailedError(f"{field}: at most {limit} characters", field=field)
    return value or None


def _money(value: Decimal | int | str | None, field: str) -> Decimal | None:
    return None if value is None else to_money(value, field=field)


def _transmittal(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().upper()
    if not re.match(TRANSMITTAL, value):
        raise ValidationFailedError(
            f"transmittal: {value!r} is not a transmittal number (YY-NN, 17-0A, 0S-23)", field="transmittal"
        )
    return value


# --- create ------------------------------------------------------------------------


def create_notification(
    session: Session,
    *,
    actor: Principal | None,
    purchaser: str,
    purchaser_country: str,
    mde_value: Decimal | int | str,
    other_value: Decimal | int | str,
    design_construction_value: Decimal | int | str = 0,
    case_id: int | None = None,
    transmittal: str | None = None,
    kind: str = "sale",
    implementing_agency: str | None = None,
    description: str | None = None,
    policy_justification: str | None = None,
    sensitivity: str | None = None,
    clock: Clock | None = None,
) -> Notification:
    """Prepare a notification (status ``draft``) for a case or a planned transaction.

    The total is MDE + other (domain.md §2 "Computing the values"); the section follows
    from the kind (§36(b)(1) sales, §36(c) licenses, §3(d) retransfers).
    """
    if actor is not None:
        require_permission(actor, "notification:write")
    if kind not in KINDS:
        raise ValidationFailedError(f"kind: {kind!r} is not one of {', '.join(KINDS)}", field="kind")
    code = purchaser_country.strip().upper()
    if not get_reference().is_known_party(code):
        raise ValidationFailedError(
            f"purchaser_country: unknown code {purchaser_country!r}", field="purchaser_country"
        )
    name = _text(purchaser, "purchaser", limit=300)
    if not name:
        raise ValidationFailedError("purchaser: must not be empty", field="purchaser")
    transmittal = _transmittal(transmittal)
    if case_id is not None and session.scalar(select(Notification.id).where(Notification.case_id == case_id)):
        raise ConflictError(f"case {case_id} already has a notification", field="case_id")
    mde = _money(mde_value, "mde_value") or Decimal("0.00")
    other = _money(other_value, "other_value") or Decimal("0.00")
    at = now(clock)
    n = Notification(
        origin="case" if case_id is not None else "public_record",
        case_id=case_id,
        transmittal=transmittal,
        section={"sale": "36(b)(1)", "commercial": "36(c)", "retransfer": "3(d)"}[kind],
        kind=kind,
        purchaser=name,
        purchaser_country=code,
        implementing_agency=_text(implementing_agency, "implementing_agency", limit=100),
        mde_value=mde,
        other_value=other,
        total_value=mde + other,
        design_construction_value=_money(design_construction_value, "design_construction_value"),
        description=_text(description, "description"),
        policy_justification=_text(policy_justification, "policy_justification"),
        sensitivity=_text(sensitivity, "sensitivity"),
        status="draft",
        formally_notified=False,
        emergency_waiver=False,
        created_at=at,
        updated_at=at,
    )
    add_recorded(
        session,
        [n],
        actor=actor_of(actor),
        tag="notification:notification:created",
        subject_type="notification",
        clock=clock,
    )
    return n


# --- the review ----------------------------------------------------------------------


def _for_change(session: Session, actor: Principal | None, notification_id: int, action: str) -> Notification:
    n = session.get(Notification, notification_id)
    if n is None:
        raise NotFoundError("notification not found", field="notification_id")
    if actor is not None:
        check(actor, action, resource(n), what="notification")
    return n


def _requirement(n: Notification, on: date) -> Requirement:
    return requirement(
        n.purchaser_country or "",
        on,
        n.mde_value or 0,
        n.total_value or 0,
        n.design_construction_value,
        n.kind,
    )


def _save(
    session: Session, n: Notification, actor: Principal | None, tag: str, clock: Clock | None
) -> Notification:
    n.updated_at = now(clock)
    add_recorded(
        session,
        [n],
        actor=actor_of(actor),
        tag=tag,
        subject_type="notification",
        subject_id=n.id,
        clock=clock,
    )
    return n


def record_informal_review(
    session: Session,
    *,
    actor: Principal | None,
    notification_id: int,
    on: date,
    days: int | None = None,
    clock: Clock | None = None,
) -> Notification:
    """The informal ("tiered") review sent to SFRC/HFAC before the formal notice.

    Executive-branch practice, not statute [S38][S39][S121]; its length comes from the
    threshold data (UNCONFIRMED 20 / 40 days) unless given.
    """
    n = _for_change(session, actor, notification_id, "write")
    if n.formally_notified:
        raise ConflictError("the formal notification is already recorded", field="informal_review_on")
    if days is None:
        req = _requirement(n, on)
        days = req.informal_review_days or 0
    if days < 0:
        raise ValidationFailedError("days: must not be negative", field="days")
    n.informal_review_on = on
    n.informal_review_days = days
    n.status = "informal_review"
    return _save(session, n, actor, "notification:informal:recorded", clock)


def record_formal_notification(
    session: Session,
    *,
    actor: Principal | None,
    notification_id: int,
    on: date,
    transmittal: str | None = None,
    clock: Clock | None = None,
) -> Notification:
    """The formal notification delivered to Congress on ``on``: the review period starts.

    The period is 30 days, or 15 for NATO, its members, Japan, Australia, the Republic of
    Korea, Israel and New Zealand (AECA §36(b)(1), §36(c)(2), §3(d)(2)) [S121][S122][S124].
    """
    n = _for_change(session, actor, notification_id, "approve")
    if n.formally_notified:
        raise ConflictError("the formal notification is already recorded", field="formal_notification_on")
    if n.informal_review_on is not None and on < n.informal_review_on:
        raise ValidationFailedError(
            "formal_notification_on: before the informal review began", field="formal_notification_on"
        )
    if transmittal is not None:
        transmittal = transmittal.strip().upper()
        if not re.match(TRANSMITTAL, transmittal):
            raise ValidationFailedError(
                f"transmittal: {transmittal!r} is not a transmittal number", field="transmittal"
            )
        n.transmittal = transmittal
    req = _requirement(n, on)
    # A notification sent below the thresholds still gets the statutory period of its group.
    days = req.review_days or (15 if req.short_review else 30)
    n.formally_notified = True
    n.formal_notification_on = on
    n.review_days = days
    n.review_ends_on = on + timedelta(days=days)
    n.status = "formally_notified"
    return _save(session, n, actor, "notification:formal:recorded", clock)


def record_emergency_waiver(
    session: Session,
    *,
    actor: Principal | None,
    notification_id: int,
    justification: str,
    clock: Clock | None = None,
) -> Notification:
    """The President's emergency statement waiving the review period, with its written
    justification (AECA §36(b)(1), §36(c)(2), §36(d)(2), §3(d)(2); note (e)) [S121]-[S124]."""
    n = _for_change(session, actor, notification_id, "approve")
    text = _text(justification, "justification")
    if not text:
        raise ValidationFailedError(
            "justification: an emergency waiver needs its justification", field="justification"
        )
    n.emergency_waiver = True
    n.emergency_justification = text
    return _save(session, n, actor, "notification:waiver:recorded", clock)


def record_disapproval(
    session: Session,
    *,
    actor: Principal | None,
    notification_id: int,
    resolution: str,
    on: date,
    clock: Clock | None = None,
) -> Notification:
    """A joint resolution of disapproval enacted (over a veto if need be): the sale is blocked
    (AECA §36(b)(1); domain.md §2 "Addressees") [S36]."""
    n = _for_change(session, actor, notification_id, "approve")
    name = _text(resolution, "resolution", limit=100)
    if not name:
        raise ValidationFailedError(
            "resolution: name the joint resolution (e.g. S.J.Res. 42)", field="resolution"
        )
    n.disapproval_resolution = name
    n.disapproved_on = on
    n.status = "disapproved"
    return _save(session, n, actor, "notification:disapproval:recorded", clock)


# --- the offer decision ------------------------------------------------------------


@dataclass(frozen=True)
class ReviewState:
    """Whether the review lets an offer go ahead on a date, and why (one sentence)."""

    clear: bool
    reason: str
    evidence: tuple[str, ...]


def review_state(n: Notification | None, *, required: bool, section: str | None, on: date) -> ReviewState:
    """The congressional review's answer for an offer on ``on``.

    Required and not formally notified: refused. A joint resolution of disapproval: refused.
    An emergency waiver with its justification: allowed at once (note (e)). Otherwise
    allowed from the day the formal review period ends (formal date + 30 or 15 days).
    """
    ev = (f"notification:{n.id}",) if n is not None else ()
    if n is not None and n.disapproval_resolution:
        return ReviewState(False, f"Congress disapproved the sale ({n.disapproval_resolution}).", ev)
    if not required:
        return ReviewState(True, "Below the congressional notification thresholds.", ev)
    if n is not None and n.emergency_waiver and n.emergency_justification:
        return ReviewState(True, "Emergency waiver of the review period recorded with its justification.", ev)
    if n is None or not n.formally_notified or n.formal_notification_on is None:
        return ReviewState(
            False,
            f"Congressional notification under AECA §{section} required; no formal notification recorded.",
            ev,
        )
    ends = n.review_ends_on or n.formal_notification_on + timedelta(days=n.review_days or 30)
    if on < ends:
        return ReviewState(False, f"Formal review period ends {ends.isoformat()}.", ev)
    return ReviewState(True, f"Formal review period ended {ends.isoformat()}.", ev)


def notice_content(n: Notification) -> NoticeContent:
    """What the rendered transmittal states, from the notification's own record."""
    lines = [x.strip() for x in (n.description or "").splitlines() if x.strip()]
    mde = tuple(x[4:].strip() for x in lines if x.upper().startswith("MDE:"))
    other = tuple(x for x in lines if not x.upper().startswith("MDE:"))
    return NoticeContent(
        transmittal=n.transmittal or "(unassigned)",
        purchaser=n.purchaser or n.purchaser_country or "(unknown)",
        mde=n.mde_value or Decimal(0),
        other=n.other_value or Decimal(0),
        dated=n.formal_notification_on or n.created_at.date(),
        implementing_agency=n.implementing_agency,
        section=n.section or "36(b)(1)",
        mde_items=mde,
        non_mde_items=other,
        policy_justification=n.policy_justification or "",
        sensitivity=n.sensitivity or "",
    )
