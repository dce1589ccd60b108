"""A country's page: its cases, program funds, delivered items and transfers on one page
(issue #15, "The whole chain on one page").

Logged-in users whose role may read cases. The country must be visible to the user under
the policy (a partner or SCO sees only its own; a country outside one's scope answers the
same 404 page as an unknown code), and each part is read through its domain's scoped
query, so a part the role may not read is left out rather than shown empty.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.cases import present
from secassist.cases import queries as case_queries
from secassist.cases.lifecycle import LABELS, Status
from secassist.core.errors import NotFoundError, UnknownCodeError
from secassist.equipment import queries as equipment_queries
from secassist.http.deps import ReadSessionDep, clock_of
from secassist.identity.policy import Resource, visible
from secassist.programs import oversight
from secassist.reference.service import get_reference
from secassist.transfers import queries as transfer_queries
from secassist.web.auth import WebUserDep, load_web_user
from secassist.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])
SHOWN = 100  # rows per part; each part links to its full, filterable list


@router.get("/countries/{code}", response_class=HTMLResponse)
def country_page(code: str, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """One country's cases, funds, items and transfers, as far as the user may see them."""
    if web_user is None:
        return RedirectResponse(f"/login?next={quote(f'/countries/{code}')}", status_code=303)
    p = web_user.principal
    try:
        country = get_reference().country(code)
    except UnknownCodeError:
        raise NotFoundError("country not found") from None
    if "case:read" not in p.permissions or not visible(p, Resource("case", country=country.code)):
        raise NotFoundError("country not found")
    cc = country.code
    today = clock_of(request).today()
    cases = case_queries.list_cases(session, actor=p, country=cc, limit=SHOWN)
    funds = None
    if "program:read" in p.permissions:
        funds = oversight.totals(session, actor=p, as_of=today, country=cc)
    items = None
    if "equipment:read" in p.permissions:
        items = equipment_queries.list_items(session, actor=p, country=cc)
    transfers = None
    if "transfer:read" in p.permissions:
        transfers = transfer_queries.list_requests(session, actor=p, country=cc)[:SHOWN]
    return page(
        request,
        "country.html",
        active="country",
        country=country,
        cases=[present.case_summary(r) for r in cases.items],
        case_total=cases.total,
        labels={s.value: LABELS[s] for s in Status},
        funds=[r for r in funds if r.level == "country"] if funds is not None else None,
        items=items,
        transfers=transfers,
        today=today,
    )
