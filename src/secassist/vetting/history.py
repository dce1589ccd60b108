"""The end-use history a country's diversion risk is judged on.

:class:`DbDiversionHistory` implements :class:`~secassist.vetting.context.DiversionHistory`
over ``vetting_enduse_record``, entered by hand (service, CLI, API) until the equipment
domain feeds the same interface from its EEUM inventories and checks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import ValidationFailedError
from secassist.identity.policy import Principal, actor_of
from secassist.reference.service import get_reference
from secassist.vetting.common import require, scoped
from secassist.vetting.context import END_USE_KINDS, EndUseRecord
from secassist.vetting.decisions_models import EndUseRecordRow


def _record(row: EndUseRecordRow) -> EndUseRecord:
    kind = row.kind
    assert kind in END_USE_KINDS
    return EndUseRecord(
        record_id=row.id,
        country=row.country_code,
        kind=kind,
        occurred_on=row.occurred_on,
        description=row.description,
        resolved_on=row.resolved_on,
        source=row.source,
    )


class DbDiversionHistory:
    """End-use records from the database (unscoped: the engine sees the whole history)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def records(self, countries: Collection[str], *, on: date) -> Sequence[EndUseRecord]:
        rows = self.session.scalars(
            select(EndUseRecordRow)
            .where(EndUseRecordRow.country_code.in_(sorted(countries)), EndUseRecordRow.occurred_on <= on)
            .order_by(EndUseRecordRow.occurred_on, EndUseRecordRow.id)
        )
        return [_record(r) for r in rows]


def add_enduse_record(
    session: Session,
    *,
    actor: Principal | None,
    country: str,
    kind: str,
    occurred_on: date,
    description: str,
    source: str,
    resolved_on: date | None = None,
    clock: Clock | None = None,
) -> EndUseRecordRow:
    """Record an end-use incident, delinquent inventory or unauthorized transfer."""
    code = get_reference().country(country).code
    require(actor, "write", "vetting", code, what="country")
    if kind not in END_USE_KINDS:
        raise ValidationFailedError(f"kind: one of {', '.join(END_USE_KINDS)}, not {kind!r}", field="kind")
    if not description.strip():
        raise ValidationFailedError("description: must not be empty", field="description")
    if resolved_on is not None and resolved_on < occurred_on:
        raise ValidationFailedError("resolved_on: before occurred_on", field="resolved_on")
    row = EndUseRecordRow(
        country_code=code,
        kind=kind,
        occurred_on=occurred_on,
        description=description.strip(),
        source=source.strip(),
        resolved_on=resolved_on,
        recorded_at=now(clock),
        recorded_by=actor_of(actor).label,
    )
    add_recorded(
        session,
        [row],
        actor=actor_of(actor),
        tag="vetting:enduse:recorded",
        subject_type="vetting_enduse_record",
        clock=clock,
    )
    return row


def list_enduse_records(
    session: Session, *, actor: Principal | None, country: str | None = None
) -> list[EndUseRecordRow]:
    stmt = scoped(select(EndUseRecordRow), actor, "vetting", EndUseRecordRow.country_code)
    if country:
        stmt = stmt.where(EndUseRecordRow.country_code == country.strip().upper())
    return list(session.scalars(stmt.order_by(EndUseRecordRow.occurred_on, EndUseRecordRow.id)))
