"""Reads of transfer requests, scoped to what the actor may see: the holder (sending) and
the recipient country each see their own requests, congressional staff see those whose
§3(d) certification was formally submitted, State, DoD and auditors see all (the access
policy, ``identity/policy.py``). ``actor=None`` is the system (the console)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.identity.policy import Principal, scope
from secassist.transfers import rules
from secassist.transfers.models import InboxEntry, TransferFinding, TransferItem, TransferRequest

S = TypeVar("S", bound=Select[Any])


def scoped(stmt: S, actor: Principal | None) -> S:
    """Requests ``actor`` may see: by the sending country, or the receiving one, or (for
    congress) once certified."""
    if actor is None:
        return stmt
    R = TransferRequest  # noqa: N806 - the table, as in SQL
    by_from = scope(select(R.id), actor, "transfer", country=R.from_country, notified=R.certified)
    by_to = scope(select(R.id), actor, "transfer", country=R.to_party, notified=R.certified)
    return stmt.where(or_(R.id.in_(by_from), R.id.in_(by_to)))


def get_request(session: Session, *, actor: Principal | None, request_id: int) -> TransferRequest:
    """One request the actor may see (404 otherwise, the same as a missing one)."""
    req = session.scalar(scoped(select(TransferRequest).where(TransferRequest.id == request_id), actor))
    if req is None:
        raise NotFoundError(f"id: no transfer request {request_id}", field="id")
    return req


def list_requests(
    session: Session, *, actor: Principal | None, status: str | None = None, country: str | None = None
) -> list[TransferRequest]:
    """Requests, newest first; ``country`` matches the sending or the receiving party."""
    stmt = select(TransferRequest)
    if status is not None:
        if status not in rules.STATUSES:
            raise ValidationFailedError(
                f"status: one of {', '.join(rules.STATUSES)}, not {status!r}", field="status"
            )
        stmt = stmt.where(TransferRequest.status == status)
    if country is not None:
        cc = country.strip().upper()
        stmt = stmt.where(or_(TransferRequest.from_country == cc, TransferRequest.to_party == cc))
    return list(session.scalars(scoped(stmt, actor).order_by(TransferRequest.id.desc())))


def findings_of(session: Session, request_id: int) -> list[TransferFinding]:
    return list(
        session.scalars(
            select(TransferFinding)
            .where(TransferFinding.request_id == request_id)
            .order_by(TransferFinding.position)
        )
    )


def items_of(session: Session, request_id: int) -> list[TransferItem]:
    return list(
        session.scalars(
            select(TransferItem).where(TransferItem.request_id == request_id).order_by(TransferItem.id)
        )
    )


def approved_serials(session: Session, request_id: int) -> list[str]:
    """The serials a request names (only the column: an execution checks thousands)."""
    return list(session.scalars(select(TransferItem.serial).where(TransferItem.request_id == request_id)))


def overdue_returns(session: Session, *, actor: Principal | None, on: date) -> list[TransferRequest]:
    """Temporary transfers executed and not returned by their return date, as of ``on``."""
    stmt = scoped(select(TransferRequest), actor).where(
        TransferRequest.status == "executed",
        TransferRequest.return_by.is_not(None),
        TransferRequest.return_by < on,
    )
    return list(session.scalars(stmt.order_by(TransferRequest.return_by, TransferRequest.id)))


def inbox(session: Session, *, actor: Principal | None, country: str) -> list[InboxEntry]:
    """A country office's inbox, newest first (scoped by the entry's country)."""
    stmt = select(InboxEntry).where(InboxEntry.country_code == country.strip().upper())
    if actor is not None:
        stmt = scope(stmt, actor, "transfer", country=InboxEntry.country_code)
    return list(session.scalars(stmt.order_by(InboxEntry.id.desc())))


MAX_PAGE = 500


def page_requests(
    session: Session,
    *,
    actor: Principal | None,
    status: str | None = None,
    country: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[TransferRequest], int]:
    """One page of :func:`list_requests` (newest first) and the total the filters match."""
    stmt = select(TransferRequest)
    if status is not None:
        if status not in rules.STATUSES:
            raise ValidationFailedError(
                f"status: one of {', '.join(rules.STATUSES)}, not {status!r}", field="status"
            )
        stmt = stmt.where(TransferRequest.status == status)
    if country is not None:
        cc = country.strip().upper()
        stmt = stmt.where(or_(TransferRequest.from_country == cc, TransferRequest.to_party == cc))
    stmt = scoped(stmt, actor)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.order_by(TransferRequest.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def items_by_request(session: Session, request_ids: Sequence[int]) -> dict[int, list[TransferItem]]:
    """The items of several requests at once (one query for a page)."""
    out: dict[int, list[TransferItem]] = {rid: [] for rid in request_ids}
    if request_ids:
        stmt = select(TransferItem).where(TransferItem.request_id.in_(request_ids)).order_by(TransferItem.id)
        for it in session.scalars(stmt):
            out[it.request_id].append(it)
    return out
