"""Transfers after delivery: ``/api/v1/transfers`` — third-party transfer requests with
their findings, State's decision, the §3(d) certification, execution, the return of
temporary transfers, overdue returns and a country office's inbox (issue #13).

The answers have the keys of ``secassist transfers … --format json``. Reads are scoped in
the transfer queries by the access policy: the holder (sending) and the recipient country
see their own requests, congressional staff see a request once its §3(d) certification was
formally submitted, State, DoD and auditors see all; a request outside the caller's scope
answers 404 with the same body as one that does not exist. A decision or an execution the
transfer rules forbid answers **422** (``transfer.refused``) naming its rule in
``errors[0].rule``, and nothing is written: the request's unit of work rolls back. Writes
need ``transfer:write`` (request, execute, return) or ``transfer:approve`` (decide,
certify) and, from a browser session, the CSRF header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from secassist.core.errors import ValidationFailedError
from secassist.core.types import IsoDate
from secassist.http.deps import (
    PrincipalDep,
    ReadSessionDep,
    WriterDep,
    WriteSessionDep,
    clock_of,
    model_response,
)
from secassist.http.params import Id
from secassist.identity.policy import Principal
from secassist.transfers import queries
from secassist.transfers import service as transfers
from secassist.transfers.models import TransferRequest
from secassist.transfers.schemas import (
    CaseHoldingsRead,
    DateIn,
    DecisionIn,
    ExecuteIn,
    FindingRead,
    InboxRead,
    MultinationalCaseRow,
    TransferCreate,
    TransferPage,
    TransferRead,
    TransferRow,
    inbox_read,
    row_read,
    transfer_read,
)
from secassist.vetting.proposal import Determination, ScreeningOutcome
from secassist.workflows import lead_nation_holdings
from secassist.workflows.transfer_execute import decide_transfer, execute_transfer, return_transfer
from secassist.workflows.transfer_request import findings, request_transfer

router = APIRouter(prefix="/transfers", tags=["transfers"])

PartyQ = Annotated[
    str | None,
    Query(min_length=2, max_length=8, pattern="^[A-Za-z0-9]+$", description="A country or NATO body."),
]


def read_of(session: Session, req: TransferRequest) -> TransferRead:
    """A request in full, with every finding (the vetting engine's, then its own)."""
    rows = [
        FindingRead(factor=f.factor, outcome=f.outcome, rationale=f.rationale, evidence=list(f.evidence))
        for f in findings(session, req)
    ]
    return transfer_read(req, queries.items_of(session, req.id), rows)


def _rows(session: Session, reqs: list[TransferRequest]) -> list[TransferRow]:
    items = queries.items_by_request(session, [r.id for r in reqs])
    return [row_read(r, items[r.id]) for r in reqs]


# --- reads ------------------------------------------------------------------------------


@router.get("", response_model=TransferPage)
def list_transfers(
    principal: PrincipalDep,
    session: ReadSessionDep,
    status: Annotated[str | None, Query(max_length=16, description="requested, approved, …")] = None,
    country: PartyQ = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """Requests the caller may see, newest first; ``country`` matches the sending or the
    receiving party (``transfers list``)."""
    reqs, total = queries.page_requests(
        session, actor=principal, status=status, country=country, limit=limit, offset=offset
    )
    return model_response(TransferPage(items=_rows(session, reqs), total=total, limit=limit, offset=offset))


@router.get("/overdue", response_model=list[TransferRow])
def overdue(
    request: Request,
    principal: PrincipalDep,
    session: ReadSessionDep,
    on: Annotated[IsoDate | None, Query(description="As of (default today).")] = None,
) -> list[TransferRow]:
    """Temporary transfers executed and not returned by their return date (``transfers overdue``)."""
    day = on or clock_of(request).today()
    return _rows(session, queries.overdue_returns(session, actor=principal, on=day))


def office_country(principal: Principal, country: str | None) -> str:
    """The inbox asked for: ``country``, else the caller's own office's country."""
    cc = (country or principal.country or "").strip().upper()
    if not cc:
        raise ValidationFailedError("country: give the office's country (ISO alpha-2)", field="country")
    return cc


@router.get("/inbox", response_model=list[InboxRead])
def inbox(principal: PrincipalDep, session: ReadSessionDep, country: PartyQ = None) -> list[InboxRead]:
    """The inbox of the caller's country office (or ``country``'s, if the caller may read
    it): transfers that moved items in or out of its monitoring, newest first."""
    cc = office_country(principal, country)
    return [inbox_read(e) for e in queries.inbox(session, actor=principal, country=cc)]


@router.get("/lead-nation", response_model=list[MultinationalCaseRow])
def multinational_cases(principal: PrincipalDep, session: ReadSessionDep) -> list[MultinationalCaseRow]:
    """The multinational (lead-nation) cases the caller may see: its own, and those naming
    its country a participating nation."""
    return [
        MultinationalCaseRow(case=c.identifier, title=c.title, lead=c.purchaser_code)
        for c in lead_nation_holdings.multinational_cases(session, actor=principal)
    ]


@router.get("/lead-nation/{case_ref}", response_model=CaseHoldingsRead)
def case_holdings(case_ref: str, principal: PrincipalDep, session: ReadSessionDep) -> CaseHoldingsRead:
    """A multinational case's participating nations (assurances signed on and by whom, named
    in the §36(b) notification, the notice of the initial transfer) and who holds what: the
    totals by nation, and the items and lots the caller may see — a participant sees its own
    holdings, never another participant's sites. A case the caller is not named on: 404."""
    got = lead_nation_holdings.holdings(session, actor=principal, case_ref=case_ref)
    return CaseHoldingsRead.model_validate(got.as_json())


@router.get("/{request_id}", response_model=TransferRead)
def get_transfer(request_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> TransferRead:
    """One request: its items, findings with rationale and evidence, the §3(d) requirement,
    certification, State's decision and the execution."""
    return read_of(session, queries.get_request(session, actor=principal, request_id=request_id))


# --- writes -----------------------------------------------------------------------------


@router.post("", response_model=TransferRead, status_code=status.HTTP_201_CREATED)
def create(
    body: TransferCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> TransferRead:
    """File a request from the holder country and run every check on it (``transfers request``)."""
    screenings = (
        {name: ScreeningOutcome(**s.model_dump()) for name, s in body.screenings.items()}
        if body.screenings is not None
        else None
    )
    judged = [Determination(reviewer=principal.label, **d.model_dump()) for d in body.determinations]
    filed = request_transfer(
        session, actor=principal, from_country=body.from_country, to_party=body.to, kind=body.kind,
        on=body.on, end_use=body.end_use, end_user=body.end_user, return_by=body.return_by,
        serials=body.serials, lot_id=body.lot, quantity=body.quantity, screenings=screenings,
        determinations=judged,
        clock=clock_of(request),
    )  # fmt: skip
    return read_of(session, filed.request)


@router.post("/{request_id}/decision", response_model=TransferRead)
def decide(
    request_id: Id, body: DecisionIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> TransferRead:
    """State approves or denies, with provisos; a blocking finding means no approval
    (``transfers decide``)."""
    clock = clock_of(request)
    req = decide_transfer(
        session, actor=principal, request_id=request_id, decision=body.decision,
        on=body.on or clock.today(), provisos=body.provisos, valid_until=body.valid_until, clock=clock,
    )  # fmt: skip
    return read_of(session, req)


@router.post("/{request_id}/certification", response_model=TransferRead)
def certify(
    request_id: Id, body: DateIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> TransferRead:
    """The §3(d) certification formally sent to Congress: its review period starts, and
    congressional staff may read the request (``transfers certify``)."""
    req = transfers.certify(
        session, actor=principal, request_id=request_id, on=body.on, clock=clock_of(request)
    )
    return read_of(session, req)


@router.post("/{request_id}/execution", response_model=TransferRead)
def execute(
    request_id: Id, body: ExecuteIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> TransferRead:
    """Execute an approved request: custody, holder and EEUM responsibility, and both
    offices' inbox entries in one commit (``transfers execute``)."""
    done = execute_transfer(
        session, actor=principal, request_id=request_id, on=body.on, serials=body.serials, site=body.site,
        clock=clock_of(request),
    )  # fmt: skip
    return read_of(session, done.request)


@router.post("/{request_id}/return", response_model=TransferRead)
def return_(
    request_id: Id, body: DateIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> TransferRead:
    """Record the return of a temporary transfer (``transfers return``)."""
    done = return_transfer(
        session, actor=principal, request_id=request_id, on=body.on, clock=clock_of(request)
    )
    return read_of(session, done.request)
