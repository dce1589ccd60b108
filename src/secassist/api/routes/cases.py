"""FMS cases: Letters of Request, cases, lines, status changes, the offer and its gates,
amendments and modifications, timelines and metrics.

A case is addressed by its numeric id or its identifier (``PL-D-AAA``). A case outside
the caller's scope answers 404 with the same body as one that does not exist. Writes to
a case carry the ``version`` the client read: a stale version, or a concurrent change
that committed first, answers **409** (``case.version_conflict``). An offer refused by
its gates answers **409** (``case.offer_blocked``) listing every unsatisfied gate and its
reason: the request is valid, the case's state does not allow it yet.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response, status

from secassist.cases import amendments, lors, metrics, present, queries, service
from secassist.cases.schemas import (
    AdvanceIn,
    AmendmentAccept,
    AmendmentCreate,
    AmendmentRead,
    CaseCreate,
    CasePage,
    CaseRead,
    GateRead,
    LineComplete,
    LineCreate,
    LineRead,
    LineUpdate,
    LorCreate,
    LorRead,
    LorUpdate,
    MetricsRead,
    ModificationCreate,
    OfferIn,
    TimelineRead,
)
from secassist.core.types import IsoDate
from secassist.http.deps import (
    PrincipalDep,
    ReadSessionDep,
    WriterDep,
    WriteSessionDep,
    clock_of,
    model_response,
)
from secassist.http.params import Id, Offset
from secassist.identity.policy import Principal
from secassist.workflows import offer as offer_workflow

router = APIRouter(tags=["cases"])


def _detail(session: ReadSessionDep, principal: Principal | None, ref: str | int) -> CaseRead:
    return present.case_read(queries.case_detail(session, actor=principal, ref=ref))


# --- Letters of Request --------------------------------------------------------------


@router.post("/lors", response_model=LorRead, status_code=status.HTTP_201_CREATED)
def receive_lor(body: LorCreate, request: Request, principal: WriterDep, session: WriteSessionDep) -> LorRead:
    """Record a Letter of Request as received (it may still be incomplete)."""
    lor = lors.receive_lor(session, actor=principal, clock=clock_of(request), **body.model_dump())
    return present.lor_read(lor)


@router.get("/lors/{lor_id}", response_model=LorRead)
def get_lor(lor_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> LorRead:
    """One LOR with what it still lacks before it counts as complete."""
    return present.lor_read(lors.get_lor(session, actor=principal, lor_id=lor_id))


@router.patch("/lors/{lor_id}", response_model=LorRead)
def update_lor(
    lor_id: Id, body: LorUpdate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> LorRead:
    """Fill in or correct an LOR that is not yet complete."""
    lor = lors.update_lor(
        session, actor=principal, lor_id=lor_id, clock=clock_of(request), **body.model_dump(exclude_none=True)
    )
    return present.lor_read(lor)


# --- cases ------------------------------------------------------------------------------


@router.get("/cases", response_model=CasePage)
def list_cases(
    principal: PrincipalDep,
    session: ReadSessionDep,
    status: str | None = None,
    country: str | None = Query(default=None, description="Purchaser: ISO code or NATO body."),
    agency: str | None = Query(default=None, description="Implementing agency letter."),
    financing: str | None = None,
    q: str | None = Query(default=None, description="Text in the identifier or title."),
    limit: int = Query(default=50, ge=1, le=queries.MAX_PAGE),
    offset: Offset = 0,
) -> Response:
    """The cases the caller may see, newest first, with their values derived from the lines."""
    page = queries.list_cases(
        session, actor=principal, status=status, country=country, agency=agency, financing=financing, q=q,
        limit=limit, offset=offset,
    )  # fmt: skip
    return model_response(
        CasePage(
            items=[present.case_summary(r) for r in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )
    )


@router.get("/cases/metrics", response_model=MetricsRead)
def case_metrics(
    request: Request, principal: PrincipalDep, session: ReadSessionDep, as_of: IsoDate | None = None
) -> MetricsRead:
    """Processing metrics over the caller's cases as of a date (default today): days LOR
    complete → offered, the AOD share (target 85%), the 120-day metric, dwell per status."""
    day = as_of or clock_of(request).today()
    return present.metrics_read(metrics.case_metrics(session, actor=principal, as_of=day))


@router.post("/cases", response_model=CaseRead, status_code=status.HTTP_201_CREATED)
def create_case(
    body: CaseCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> CaseRead:
    """Open a case for an LOR; the identifier is CC-I-XXX."""
    case = service.create_case(session, actor=principal, clock=clock_of(request), **body.model_dump())
    return _detail(session, principal, case.id)


@router.get("/cases/{ref}", response_model=CaseRead)
def get_case(ref: str, principal: PrincipalDep, session: ReadSessionDep) -> Response:
    """One case with its LOR, lines, history, amendments and the statuses it may move to."""
    return model_response(_detail(session, principal, ref))


@router.get("/cases/{ref}/timeline", response_model=TimelineRead)
def timeline(
    ref: str, request: Request, principal: PrincipalDep, session: ReadSessionDep, as_of: IsoDate | None = None
) -> Response:
    """The case's milestones (AOD, days to offer), status phases with days, and events."""
    day = as_of or clock_of(request).today()
    d = queries.case_detail(session, actor=principal, ref=ref, until=day)
    return model_response(present.timeline_read(d.case, d.lor, d.events, day))


@router.get("/cases/{ref}/gates", response_model=list[GateRead])
def gates(
    ref: str, request: Request, principal: PrincipalDep, session: ReadSessionDep, on: IsoDate | None = None
) -> list[GateRead]:
    """Each offer gate's answer (vetting, notification, funding…) with its reason; a gate
    resting on a record the caller may not read (a partner and the vetting decision) shows
    ``satisfied: null`` and its reason withheld."""
    case = service.resolve_case(session, actor=principal, ref=ref)
    results = offer_workflow.gates_for(
        session, actor=principal, case_id=case.id, on=on, clock=clock_of(request)
    )
    return [
        GateRead(gate=r.gate, satisfied=r.satisfied, reason=r.reason, evidence=list(r.evidence))
        for r in offer_workflow.gates_as_seen(principal, case.country_code, results)
    ]


@router.post("/cases/{ref}/advance", response_model=CaseRead)
def advance(
    ref: str, body: AdvanceIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> CaseRead:
    """Move the case to ``to``. ``offered`` runs the offer workflow (gates) and needs
    ``offer_expires_on``; ``accepted`` needs ``initial_deposit`` and is the purchaser's, or
    an implementing agency's on its behalf naming ``acceptance_document``."""
    case = service.resolve_case(session, actor=principal, ref=ref)
    clock = clock_of(request)
    if body.to.strip().lower() == "offered":
        offer_workflow.offer_case(
            session, actor=principal, case_id=case.id, offer_expires_on=body.offer_expires_on, on=body.on,
            expected_version=body.version, note=body.note, clock=clock,
        )  # fmt: skip
    else:
        service.advance(
            session, actor=principal, case_id=case.id, to=body.to, on=body.on, expected_version=body.version,
            offer_expires_on=body.offer_expires_on, initial_deposit=body.initial_deposit, note=body.note,
            acceptance_document=body.acceptance_document, clock=clock,
        )  # fmt: skip
    return _detail(session, principal, case.id)


@router.post("/cases/{ref}/offer", response_model=CaseRead)
def offer(
    ref: str, body: OfferIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> CaseRead:
    """Offer the case: refused (409) while any offer gate is unsatisfied."""
    case = service.resolve_case(session, actor=principal, ref=ref)
    offer_workflow.offer_case(
        session, actor=principal, case_id=case.id, offer_expires_on=body.offer_expires_on, on=body.on,
        expected_version=body.version, note=body.note, clock=clock_of(request),
    )  # fmt: skip
    return _detail(session, principal, case.id)


# --- lines --------------------------------------------------------------------------------


@router.get("/cases/{ref}/lines", response_model=list[LineRead])
def lines(ref: str, principal: PrincipalDep, session: ReadSessionDep) -> list[LineRead]:
    """The case's lines the caller may see."""
    return _detail(session, principal, ref).lines


@router.post("/cases/{ref}/lines", response_model=LineRead, status_code=status.HTTP_201_CREATED)
def add_line(
    ref: str, body: LineCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> LineRead:
    """Add a line while the case is in development (or restated)."""
    case = service.resolve_case(session, actor=principal, ref=ref)
    args = body.model_dump(exclude={"version"})
    line = service.add_line(
        session,
        actor=principal,
        case_id=case.id,
        expected_version=body.version,
        clock=clock_of(request),
        **args,
    )
    return present.line_read(line, case.identifier)


@router.patch("/cases/{ref}/lines/{line_id}", response_model=LineRead)
def update_line(
    ref: str,
    line_id: Id,
    body: LineUpdate,
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
) -> LineRead:
    """Change a line's quantity, unit cost, description or contractor before the offer."""
    case = service.resolve_case(session, actor=principal, ref=ref)
    line = service.update_line(
        session, actor=principal, case_id=case.id, line_id=line_id, expected_version=body.version,
        clock=clock_of(request), **body.model_dump(exclude={"version"}, exclude_none=True),
    )  # fmt: skip
    return present.line_read(line, case.identifier)


@router.post("/cases/{ref}/lines/{line_id}/complete", response_model=LineRead)
def complete_line(
    ref: str,
    line_id: Id,
    body: LineComplete,
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
) -> LineRead:
    """Mark a line supply/services complete; the last one makes the case SSC."""
    case = service.resolve_case(session, actor=principal, ref=ref)
    line = service.complete_line(
        session, actor=principal, case_id=case.id, line_id=line_id, on=body.on, expected_version=body.version,
        clock=clock_of(request),
    )  # fmt: skip
    return present.line_read(line, case.identifier)


@router.get("/case-lines", response_model=list[LineRead])
def case_lines(
    principal: PrincipalDep,
    session: ReadSessionDep,
    limit: int = Query(default=200, ge=1, le=queries.MAX_PAGE),
    offset: Offset = 0,
) -> list[LineRead]:
    """Every case line the caller may see (a contractor: the lines it supplies)."""
    rows = queries.visible_lines(session, actor=principal, limit=limit, offset=offset)
    return [present.line_read(line, ident) for line, ident in rows]


# --- amendments and modifications ---------------------------------------------------------


@router.get("/cases/{ref}/amendments", response_model=list[AmendmentRead])
def list_amendments(ref: str, principal: PrincipalDep, session: ReadSessionDep) -> list[AmendmentRead]:
    """The case's amendments and modifications, each numbered on its own."""
    return _detail(session, principal, ref).amendments


@router.post("/cases/{ref}/amendments", response_model=AmendmentRead, status_code=status.HTTP_201_CREATED)
def propose_amendment(
    ref: str, body: AmendmentCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> AmendmentRead:
    """Propose an amendment (new lines, changed quantities); applies when accepted."""
    case = service.resolve_case(session, actor=principal, ref=ref)
    a = amendments.propose_amendment(
        session, actor=principal, case_id=case.id, description=body.description,
        new_lines=[line.new_line() for line in body.new_lines],
        quantity_changes=body.quantity_changes, expected_version=body.version, clock=clock_of(request),
    )  # fmt: skip
    return present.amendment_read(a)


@router.post("/cases/{ref}/amendments/{number}/accept", response_model=AmendmentRead)
def accept_amendment(
    ref: str,
    number: Id,
    body: AmendmentAccept,
    request: Request,
    principal: WriterDep,
    session: WriteSessionDep,
) -> AmendmentRead:
    """Record the purchaser's acceptance of an amendment and apply it."""
    case = service.resolve_case(session, actor=principal, ref=ref)
    a = amendments.accept_amendment(
        session, actor=principal, case_id=case.id, number=number, on=body.on, expected_version=body.version,
        clock=clock_of(request),
    )  # fmt: skip
    return present.amendment_read(a)


@router.post("/cases/{ref}/modifications", response_model=AmendmentRead, status_code=status.HTTP_201_CREATED)
def issue_modification(
    ref: str, body: ModificationCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> AmendmentRead:
    """Issue a modification (no scope change): new unit costs, or a schedule, payment or
    administrative change (``reason``); ``warning`` is set when the total grows more than 10%."""
    case = service.resolve_case(session, actor=principal, ref=ref)
    m = amendments.issue_modification(
        session, actor=principal, case_id=case.id, description=body.description, unit_costs=body.unit_costs,
        reason=body.reason, expected_version=body.version, clock=clock_of(request),
    )  # fmt: skip
    return present.amendment_read(m)
