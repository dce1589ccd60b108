"""The program ledger: ``/api/v1/programs/...``. Reads are scoped by the access policy (a
partner sees its own country's allocations and below; another country's ids answer 404);
writes need ``program:write`` and, from a browser session, the CSRF header."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from secassist.core.types import IsoDate
from secassist.http.deps import (
    PrincipalDep,
    ReadSessionDep,
    WriterDep,
    WriteSessionDep,
    clock_of,
    models_response,
)
from secassist.http.params import AfterId, FiscalYear, Id, IdFilter
from secassist.programs import oversight, queries, service
from secassist.programs.catalog import catalog
from secassist.programs.schemas import (
    AllocationCreate,
    AppropriationCreate,
    AppropriationRead,
    CaseFundingRead,
    EntryRead,
    ExpenditureCreate,
    LineFundingRead,
    ObligationCreate,
    ProgramRead,
    ReversalCreate,
    TotalsRead,
    TotalsRowRead,
)
from secassist.workflows.fund_case import case_funding_of
from secassist.workflows.obligate_assistance import obligate_assistance

router = APIRouter(prefix="/programs", tags=["programs"])


@router.get("", response_model=list[ProgramRead])
def programs() -> list[ProgramRead]:
    """The program list (reference data, with legal basis and sources)."""
    return [ProgramRead(**p.model_dump()) for p in catalog().programs]


@router.get("/appropriations", response_model=list[AppropriationRead])
def appropriations(
    principal: PrincipalDep,
    session: ReadSessionDep,
    program: str | None = None,
    fiscal_year: FiscalYear = None,
) -> list[AppropriationRead]:
    """Appropriations (State, DoD, auditors; partners and SCOs see none)."""
    found = queries.list_appropriations(session, actor=principal, program=program, fiscal_year=fiscal_year)
    return [AppropriationRead.of(a) for a in found]


@router.get("/appropriations/{appropriation_id}", response_model=AppropriationRead)
def appropriation(
    appropriation_id: Id, principal: PrincipalDep, session: ReadSessionDep
) -> AppropriationRead:
    """One appropriation; 404 when missing or invisible."""
    return AppropriationRead.of(
        queries.get_appropriation(session, actor=principal, appropriation_id=appropriation_id)
    )


@router.post("/appropriations", response_model=EntryRead, status_code=status.HTTP_201_CREATED)
def create_appropriation(
    body: AppropriationCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> EntryRead:
    """Record an appropriation; answers its first ledger entry."""
    _, entry = service.create_appropriation(
        session, actor=principal, clock=clock_of(request), **body.model_dump()
    )
    return EntryRead.of(entry)


@router.post("/allocations", response_model=EntryRead, status_code=status.HTTP_201_CREATED)
def allocate(
    body: AllocationCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> EntryRead:
    """Allocate part of an appropriation to a country."""
    return EntryRead.of(
        service.allocate(session, actor=principal, clock=clock_of(request), **body.model_dump())
    )


@router.post("/obligations", response_model=EntryRead, status_code=status.HTTP_201_CREATED)
def obligate(
    body: ObligationCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> EntryRead:
    """Obligate part of a country's allocation to a case line, training or a unit."""
    target = service.Target(
        body.target,
        case_id=body.case_id,
        case_line_id=body.case_line_id,
        recipient_unit_id=body.recipient_unit_id,
        reference=body.reference,
    )
    entry = obligate_assistance(  # Leahy-checked for a unit (workflows/obligate_assistance.py)
        session,
        actor=principal,
        appropriation_id=body.appropriation_id,
        country=body.country,
        amount=body.amount,
        on=body.on,
        target=target,
        memo=body.memo,
        clock=clock_of(request),
    )
    return EntryRead.of(entry)


@router.post("/expenditures", response_model=EntryRead, status_code=status.HTTP_201_CREATED)
def expend(
    body: ExpenditureCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> EntryRead:
    """Record money paid out against an obligation."""
    return EntryRead.of(
        service.expend(session, actor=principal, clock=clock_of(request), **body.model_dump())
    )


@router.post("/entries/{entry_id}/reversal", response_model=EntryRead, status_code=status.HTTP_201_CREATED)
def reverse(
    entry_id: Id, body: ReversalCreate, request: Request, principal: WriterDep, session: WriteSessionDep
) -> EntryRead:
    """Reverse an entry (the correction of the append-only ledger)."""
    entry = service.reverse(
        session,
        actor=principal,
        entry_id=entry_id,
        on=body.on,
        reason=body.reason,
        clock=clock_of(request),
    )
    return EntryRead.of(entry)


@router.get("/entries", response_model=list[EntryRead])
def entries(
    principal: PrincipalDep,
    session: ReadSessionDep,
    appropriation_id: IdFilter = None,
    country: str | None = None,
    kind: Literal["appropriation", "allocation", "obligation", "expenditure"] | None = None,
    case_id: IdFilter = None,
    on: IsoDate | None = None,
    after_id: AfterId = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 100,
) -> Response:
    """The ledger, in id order, scoped and filtered; page with ``after_id``."""
    found = queries.list_entries(
        session,
        actor=principal,
        appropriation_id=appropriation_id,
        country=country,
        kind=kind,
        case_id=case_id,
        as_of=on,
        after_id=after_id,
        limit=limit,
    )
    rev = queries.reversed_ids(session, [e.id for e in found])
    return models_response([EntryRead.of(e, rev.get(e.id)) for e in found])


@router.get("/entries/{entry_id}", response_model=EntryRead)
def entry(entry_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> EntryRead:
    """One ledger entry; 404 when missing or outside the caller's scope."""
    found = queries.get_entry(session, actor=principal, entry_id=entry_id)
    return EntryRead.of(found, queries.reversed_ids(session, [found.id]).get(found.id))


@router.get("/totals", response_model=TotalsRead)
def totals(
    request: Request,
    principal: PrincipalDep,
    session: ReadSessionDep,
    on: IsoDate | None = None,
    program: str | None = None,
    fiscal_year: FiscalYear = None,
    region: str | None = None,
    country: str | None = None,
) -> TotalsRead:
    """Totals by program × fiscal year × region × country as of ``on`` (default today)."""
    as_of = on or clock_of(request).today()
    rows = oversight.totals(
        session,
        actor=principal,
        as_of=as_of,
        program=program,
        fiscal_year=fiscal_year,
        region=region,
        country=country,
    )
    return TotalsRead(as_of=as_of, rows=[TotalsRowRead.of(r) for r in rows])


@router.get("/cases/{case_id}/funding", response_model=CaseFundingRead)
def case_funding(
    case_id: Id, request: Request, principal: PrincipalDep, session: ReadSessionDep, on: IsoDate | None = None
) -> CaseFundingRead:
    """What the ledger holds for one FMS case, by program and by line, as of ``on``; 404
    when the case is missing or outside the caller's scope."""
    f = case_funding_of(session, actor=principal, case_id=case_id, as_of=on or clock_of(request).today())
    return CaseFundingRead(
        case_id=f.case_id,
        as_of=f.as_of,
        by_program=f.by_program,
        lines=[
            LineFundingRead(case_line_id=x.case_line_id, obligated=x.obligated, expended=x.expended)
            for x in f.lines
        ],
        obligated=f.obligated,
        expended=f.expended,
    )
