"""Store notifications read from published notice texts.

Each text is parsed (``parse.parse_notice``), then matched to a notification already on
record: by transmittal number and purchaser (the same notice printed in the Federal
Register, the Congressional Record and a press release), or — for a release with no
number — by purchaser, total and a date within ``SAME_SALE_WINDOW``. A case's own
notification carries its transmittal, so a published notice links to the case through it.
A text already imported (same SHA-256) changes nothing: the import is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal, actor_of, require_permission
from secassist.notification.models import NoticeSource, Notification
from secassist.notification.parse import ParsedNotice, parse_notice

SAME_SALE_WINDOW = timedelta(days=45)
_KIND = {"36(c)": "commercial", "36(d)": "commercial", "3(d)": "retransfer"}


def source_type(text: str) -> str:
    """Where a text comes from, from its own wording."""
    head = text[:3000]
    if re.search(r"RSAT\s+\d", head):
        return "state_letter"
    if re.search(r"Federal Register|\[FR Doc|\bDated:", head):
        return "federal_register"
    if re.search(r"Congressional Record|Floor Speech|Mr\. President|Madam President", head):
        return "congressional_record"
    if re.search(r"WASHINGTON|possible Foreign Military Sale|notified Congress", head, re.IGNORECASE):
        return "press_release"
    return "other"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)  # file names that created a notification
    merged: list[str] = field(default_factory=list)  # added as another source of one on record
    unchanged: list[str] = field(default_factory=list)  # already imported
    notification_ids: dict[str, int] = field(default_factory=dict)


def _money(v: int | None) -> Decimal | None:
    return None if v is None else Decimal(v).quantize(Decimal("0.01"))


def _match(session: Session, p: ParsedNotice, stated: date | None) -> Notification | None:
    if p.transmittal:
        for n in session.scalars(
            select(Notification).where(Notification.transmittal == p.transmittal).order_by(Notification.id)
        ):
            if (
                n.purchaser_country is None
                or p.purchaser_country is None
                or n.purchaser_country == p.purchaser_country
            ):
                return n
    if p.purchaser_country and p.total_usd is not None and stated is not None:
        stmt = select(Notification).where(
            Notification.purchaser_country == p.purchaser_country,
            Notification.total_value == _money(p.total_usd),
        )
        if p.transmittal:  # a numbered notice may complete a release that had no number
            stmt = stmt.where(Notification.transmittal.is_(None))
        for n in session.scalars(stmt.order_by(Notification.id)):
            known = n.formal_notification_on
            if known is not None and abs(known - stated) <= SAME_SALE_WINDOW:
                return n
    return None


def _fill(n: Notification, p: ParsedNotice, stated: date | None) -> bool:
    """Complete what the notification lacks from another source; True if anything changed."""
    changed = False
    pairs: list[tuple[str, object]] = [
        ("transmittal", p.transmittal),
        ("section", p.aeca_section),
        ("purchaser", p.purchaser),
        ("purchaser_country", p.purchaser_country),
        ("implementing_agency", p.implementing_agency),
        ("mde_value", _money(p.mde_usd)),
        ("other_value", _money(p.other_usd)),
        ("total_value", _money(p.total_usd)),
    ]
    for attr, value in pairs:
        if value is not None and getattr(n, attr) is None:
            setattr(n, attr, value)
            changed = True
    earlier = stated is not None and (n.formal_notification_on is None or stated < n.formal_notification_on)
    if n.origin == "public_record" and earlier:
        n.formal_notification_on = stated
        changed = True
    return changed


def import_notice(
    session: Session,
    *,
    actor: Principal | None,
    name: str,
    text: str,
    report: ImportReport | None = None,
    clock: Clock | None = None,
) -> ImportReport:
    """Import one notice text (one audit entry when it changes anything)."""
    if actor is not None:
        require_permission(actor, "notification:write")
    report = report or ImportReport()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = session.scalar(select(NoticeSource).where(NoticeSource.sha256 == digest))
    if existing is not None:
        report.unchanged.append(name)
        report.notification_ids[name] = existing.notification_id
        return report
    p = parse_notice(text)
    if p.transmittal is None and p.purchaser is None:
        raise ValidationFailedError(
            f"{name}: not an arms-sale notice (no transmittal number and no purchaser)",
            field="path",
            file=name,
        )
    stated = date.fromisoformat(p.date) if p.date else None
    at = now(clock)
    n = _match(session, p, stated)
    created = n is None
    if n is None:
        n = Notification(
            origin="public_record",
            transmittal=p.transmittal,
            section=p.aeca_section,
            kind=_KIND.get(p.aeca_section or "", "sale"),
            purchaser=p.purchaser,
            purchaser_country=p.purchaser_country,
            implementing_agency=p.implementing_agency,
            mde_value=_money(p.mde_usd),
            other_value=_money(p.other_usd),
            total_value=_money(p.total_usd),
            status="formally_notified",
            formally_notified=True,
            formal_notification_on=stated,
            emergency_waiver=False,
            created_at=at,
            updated_at=at,
        )
        session.add(n)
        session.flush()
    elif _fill(n, p, stated):
        n.updated_at = at
    src = NoticeSource(
        notification_id=n.id,
        source_type=source_type(text),
        file_name=name[:300],
        sha256=digest,
        parsed=json.dumps(p.as_dict(), sort_keys=True),
        stated_date=stated,
        imported_at=at,
    )
    add_recorded(
        session,
        [n, src],
        actor=actor_of(actor),
        tag="notification:notice:imported" if created else "notification:source:added",
        subject_type="notification",
        subject_id=n.id,
        note={"file": name},
        clock=clock,
    )
    (report.created if created else report.merged).append(name)
    report.notification_ids[name] = n.id
    return report


def import_notices(
    session: Session,
    *,
    actor: Principal | None,
    texts: list[tuple[str, str]],
    clock: Clock | None = None,
) -> ImportReport:
    """Import several texts in order; the caller's unit of work commits them together."""
    report = ImportReport()
    for name, text in texts:
        import_notice(session, actor=actor, name=name, text=text, report=report, clock=clock)
    return report
