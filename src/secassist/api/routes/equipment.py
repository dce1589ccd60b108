"""Equipment accountability: ``/api/v1/equipment/...`` — the registry, a serial's trace,
EEUM delinquency, deliveries, custody events, site reconciliation, sites and incidents.

The answers have the keys of ``secassist equipment … --format json`` (issue #12's
contract; money as decimal strings). Reads are scoped by the access policy in the
equipment queries: an SCO or a partner sees its own country's items, sites and incidents;
a serial outside the caller's scope answers 404 with the same body as one that does not
exist. A custody event the chronology forbids answers **422**
(``equipment.custody_refused``) naming its rule in ``errors[0].rule``; a malformed
reconciliation file answers **422** (``equipment.malformed_file``) naming the line and the
column. Either way nothing is written: the request's unit of work rolls back. Writes need
``equipment:write`` (deliveries also ``case_line:write``) and, from a browser session, the
CSRF header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from secassist.cases.service import case_facts
from secassist.core.errors import ValidationFailedError
from secassist.core.types import MAX_INT64, IsoDate
from secassist.equipment import monitoring, queries, service
from secassist.equipment.models import Item
from secassist.equipment.reconcile import reconcile as run_reconcile
from secassist.equipment.schemas import (
    DelinquencyRead,
    Delivered,
    DeliveryCreate,
    EventCreate,
    EventRead,
    IncidentCreate,
    IncidentDate,
    IncidentRead,
    ItemPage,
    LotRead,
    ReconcileRead,
    SiteRead,
    Trace,
)
from secassist.http.deps import (
    PrincipalDep,
    ReadSessionDep,
    WriterDep,
    WriteSessionDep,
    clock_of,
    model_response,
)
from secassist.http.params import Id
from secassist.workflows.deliver import deliver as run_deliver
from secassist.workflows.deliver import line_ref
from secassist.workflows.trace_item import trace as run_trace

router = APIRouter(prefix="/equipment", tags=["equipment"])

# An upload is read into memory whole (the parser needs the bytes, an XLSX is a ZIP);
# a million-row scan is ~20 MB of CSV.
MAX_UPLOAD = 32 * 1024 * 1024

CountryQ = Annotated[
    str | None, Query(min_length=2, max_length=2, pattern="^[A-Za-z]{2}$", description="ISO alpha-2.")
]


# --- the registry -----------------------------------------------------------------------


@router.get("/items", response_model=ItemPage)
def list_items(
    principal: PrincipalDep,
    session: ReadSessionDep,
    case: Annotated[str | None, Query(max_length=16, description="Case identifier or id.")] = None,
    country: CountryQ = None,
    eeum: Annotated[bool | None, Query(description="Only EEUM items (true) or only others.")] = None,
    state: Annotated[str | None, Query(max_length=16, description="delivered, stored, issued, …")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """The serialized items the caller may see, oldest delivery first (``equipment items``)."""
    items, total = queries.page_items(
        session, actor=principal, case=case, country=country, eeum=eeum, state=state,
        limit=limit, offset=offset,
    )  # fmt: skip
    return model_response(ItemPage(items=items, total=total, limit=limit, offset=offset))


@router.get("/items/{serial}/trace", response_model=Trace)
def trace(
    serial: str,
    principal: PrincipalDep,
    session: ReadSessionDep,
    item_type: Annotated[str | None, Query(max_length=32)] = None,
    tree_size: Annotated[
        int | None,
        Query(ge=1, le=MAX_INT64, description="Prove against this tree size (a signed checkpoint's)."),
    ] = None,
) -> Response:
    """One serial's chain — funding, case, line, notification, every custody event — each
    step with its audit entry, and an inclusion proof per entry (``equipment trace``)."""
    t = run_trace(session, actor=principal, serial=serial, item_type=item_type, size=tree_size)
    return model_response(t)


@router.get("/delinquency", response_model=DelinquencyRead)
def delinquency(
    principal: PrincipalDep,
    session: ReadSessionDep,
    as_of: Annotated[IsoDate, Query(description="The date; a future date is a projection.")],
    country: CountryQ = None,
) -> Response:
    """EEUM inventory delinquency as of a date, by holder country, with the delinquent
    items (``equipment delinquency``)."""
    report = monitoring.delinquency(session, actor=principal, as_of=as_of, country=country)
    return model_response(DelinquencyRead.model_validate(report.as_json()))


# --- writes -----------------------------------------------------------------------------


@router.post("/deliveries", response_model=Delivered, status_code=status.HTTP_201_CREATED)
def deliver(
    body: DeliveryCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> Response:
    """Deliver serialized items or one bulk lot against a case line; answers what was
    created and the line's delivered totals after it (``equipment deliver``)."""
    d = run_deliver(
        session, actor=principal, case_ref=body.case, line_no=body.line, on=body.on, site=body.site,
        serials=body.serials or [], quantity=body.quantity, item_type=body.item_type,
        manufacturer=body.manufacturer, lot_number=body.lot_number, clock=clock_of(request),
    )  # fmt: skip
    first = d.lot if d.lot is not None else d.items[0]
    line = line_ref(case_facts(session, first.case_id), first.line_number)
    delivered, value = queries.line_delivered(session, line.line_id)
    lot = None
    if d.lot is not None:
        lot = LotRead(
            lot_id=d.lot.id,
            item_type=d.lot.item_type,
            case=d.lot.case_ref,
            line=d.lot.line_number,
            quantity=d.lot.quantity,
            site=d.site.name,
            unit_value_usd=queries.dollars(d.lot.unit_value_cents),
        )
    body_out = Delivered(
        case=line.case_ref,
        line=line.line_number,
        on=body.on,
        items=[queries.item_read(i, d.site.name) for i in d.items],
        lot=lot,
        line_quantity=line.quantity,
        delivered_quantity=delivered,
        delivered_value_usd=value,
    )
    return model_response(body_out, status.HTTP_201_CREATED)


@router.post("/items/{serial}/events", response_model=EventRead, status_code=status.HTTP_201_CREATED)
def record_event(
    serial: str, body: EventCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> Response:
    """Record a custody event; a chronology the rules forbid is 422
    ``equipment.custody_refused`` naming the rule, and nothing is written."""
    kind = body.kind.lower()
    found = body.found
    if kind == "inventoried" and found is None:
        found = True  # as the CLI: an inventory finds the item unless it says otherwise
    ev = service.record_event(
        session, actor=principal, serial=serial, kind=kind, on=body.on, site=body.site, unit=body.unit,
        holder_country=body.holder_country, found=found, performed_by=body.performed_by,
        note=body.note, item_type=body.item_type, clock=clock_of(request),
    )  # fmt: skip
    item = session.get(Item, ev.item_id)
    assert item is not None  # the event was just recorded for it
    return model_response(queries.event_read(session, item, ev), status.HTTP_201_CREATED)


@router.post("/sites/{site}/reconcile", response_model=ReconcileRead)
def reconcile(
    site: str,
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
    file: Annotated[UploadFile, File(description="The scanner's export: CSV or XLSX naming serial.")],
    on: Annotated[IsoDate, Query(description="The scan's date.")],
    apply: Annotated[bool, Query(description="Record an inventory event per item found.")] = False,
) -> Response:
    """Reconcile a site's scanned serial list: found / missing / unexpected / wrong_site /
    gone (``equipment reconcile``). A dry run (the default) writes nothing; with ``apply``,
    one inventory and one ``inventoried`` event per item found, idempotently."""
    # A sync handler runs in a worker thread, so reading the spooled upload blocks nothing.
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationFailedError(f"file: larger than {MAX_UPLOAD // (1024 * 1024)} MB", field="file")
    result = run_reconcile(
        session, actor=principal, data=data, name=file.filename or "scan.csv", site=site, on=on,
        apply=apply, clock=clock_of(request),
    )  # fmt: skip
    return model_response(ReconcileRead.model_validate(result.as_json()))


# --- sites and incidents -------------------------------------------------------------------


@router.get("/sites", response_model=list[SiteRead])
def list_sites(principal: PrincipalDep, session: ReadSessionDep, country: CountryQ = None) -> list[SiteRead]:
    """Storage sites the caller may see, by country and name (``equipment sites list``)."""
    return [queries.site_read(s) for s in queries.list_sites(session, actor=principal, country=country)]


@router.get("/incidents", response_model=list[IncidentRead])
def list_incidents(
    request: Request,
    principal: PrincipalDep,
    session: ReadSessionDep,
    country: CountryQ = None,
    open: Annotated[bool, Query(description="Only incidents open on ``on`` (default today).")] = False,
    on: IsoDate | None = None,
) -> list[IncidentRead]:
    """Possible end-use violations the caller may see, newest discovery first."""
    open_on = (on or clock_of(request).today()) if open else None
    rows = monitoring.list_incidents(session, actor=principal, country=country, open_on=open_on)
    return queries.incident_reads(session, rows)


@router.post("/incidents", response_model=IncidentRead, status_code=status.HTTP_201_CREATED)
def record_incident(
    body: IncidentCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> IncidentRead:
    """Record a possible EUM violation with its report deadline and the offices to be told."""
    row = monitoring.record_incident(
        session, actor=principal, country=body.country, kind=body.kind.lower(),
        discovered_on=body.discovered_on, description=body.description, serial=body.serial,
        site=body.site, occurred_on=body.occurred_on, clock=clock_of(request),
    )  # fmt: skip
    return queries.incident_reads(session, [row])[0]


@router.post("/incidents/{incident_id}/report", response_model=IncidentRead)
def report_incident(
    incident_id: Id, body: IncidentDate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> IncidentRead:
    """Record the date the incident was reported to the offices."""
    row = monitoring.report_incident(
        session, actor=principal, incident_id=incident_id, on=body.on, clock=clock_of(request)
    )
    return queries.incident_reads(session, [row])[0]


@router.post("/incidents/{incident_id}/close", response_model=IncidentRead)
def close_incident(
    incident_id: Id, body: IncidentDate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> IncidentRead:
    """Close an incident (recovered, or the investigation ended)."""
    row = monitoring.close_incident(
        session, actor=principal, incident_id=incident_id, on=body.on, clock=clock_of(request)
    )
    return queries.incident_reads(session, [row])[0]
