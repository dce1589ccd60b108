"""Case rows as typed tuples, for the read paths that run precompiled statements
(:mod:`secassist.storage.prepared`) instead of loading ORM objects.

Each record lists its table's columns in table order and reads like the ORM object it
stands for (``rec.status``, ``rec.value``), so the presenters take either. The field
lists are checked against the tables when this module loads: a migration that adds a
column without adding it here fails at import, not with shifted values.

Used only by the two reads ``bench/cases.py`` shows far from a raw-driver peer through
the ORM — the case list and one case's detail (:mod:`.queries`) — and by the helpers
those reads share with the ORM path (:func:`.common.values`, :func:`.lors.lor_missing`,
:func:`.metrics.timeline`), which take either a record or the ORM object.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from secassist.cases.models import Amendment, Case, CaseEvent, CaseLine, Lor


class LorRec(NamedTuple):
    id: int
    purchaser_code: str
    country_code: str | None
    request_type: str
    reference_number: str
    financing: str
    loa_type: str | None
    articles_services: str
    end_users: str
    third_party: str | None
    desired_value: Decimal | None
    received_on: date
    complete_on: date | None
    created_at: datetime
    is_demo: bool


class CaseRec(NamedTuple):
    id: int
    identifier: str
    purchaser_code: str
    purchaser_is_body: bool
    country_code: str | None
    fms_country_code: str
    implementing_agency: str
    designator: str
    loa_type: str
    financing: str
    title: str
    end_users: str
    lor_id: int
    status: str
    aod_group: str | None
    offered_on: date | None
    offer_expires_on: date | None
    accepted_on: date | None
    initial_deposit: Decimal | None
    acceptance_document: str | None
    implemented_on: date | None
    closed_on: date | None
    restatements: int
    transmittal: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    is_demo: bool


class LineRec(NamedTuple):
    id: int
    case_id: int
    number: str
    item_type: str
    description: str
    usml_category: str | None
    mde: bool
    sme: bool
    eeum: bool
    design_construction: bool
    quantity: int
    unit_cost: Decimal
    value: Decimal
    contractor_org_id: int | None
    status: str
    ssc_on: date | None
    is_demo: bool


class EventRec(NamedTuple):
    id: int
    case_id: int
    kind: str
    from_status: str | None
    to_status: str | None
    occurred_on: date
    at: datetime
    actor: str
    detail: str | None


class AmendmentRec(NamedTuple):
    id: int
    case_id: int
    kind: str
    number: int
    description: str
    status: str
    value_before: Decimal
    value_after: Decimal
    changes: str
    warning: str | None
    created_on: date
    accepted_on: date | None
    created_at: datetime


def _check(rec: type[Any], model: type[Any]) -> None:
    columns = tuple(c.key for c in model.__table__.c)
    if tuple(rec._fields) != columns:
        raise RuntimeError(f"{rec.__name__} fields {rec._fields} differ from {model.__tablename__} {columns}")


for _rec, _model in (
    (LorRec, Lor),
    (CaseRec, Case),
    (LineRec, CaseLine),
    (EventRec, CaseEvent),
    (AmendmentRec, Amendment),
):
    _check(_rec, _model)
