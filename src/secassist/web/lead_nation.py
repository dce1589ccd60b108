"""Lead-nation pages (issue #13): the multinational cases the user may see, and one case's
participating nations (assurances signed on and by whom, named in the §36(b) notification,
the notice of the initial transfer) with who holds what — the holdings by nation, and the
items (each linking to its trace) and lots the user may see.

Logged-in users whose role may read transfers. Scoping is in
:mod:`secassist.workflows.lead_nation_holdings`: a participant sees the case it is named on
and its own holdings, never another participant's sites; anyone else gets the same 404 page
as for a case that does not exist.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.core.errors import NotFoundError
from secassist.equipment.queries import dollars
from secassist.http.deps import ReadSessionDep
from secassist.web.auth import WebUserDep, load_web_user
from secassist.web.render import page
from secassist.workflows import lead_nation_holdings

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])


def _login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


@router.get("/transfers/lead-nation", response_class=HTMLResponse)
def cases_page(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The multinational cases the user may see."""
    if web_user is None:
        return _login("/transfers/lead-nation")
    p = web_user.principal
    if "transfer:read" not in p.permissions:
        raise NotFoundError("page not found")
    rows = lead_nation_holdings.multinational_cases(session, actor=p)
    return page(request, "transfers/lead_nations.html", active="transfers", cases=rows)


@router.get("/transfers/lead-nation/{case_ref}", response_class=HTMLResponse)
def case_page(case_ref: str, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """One multinational case: its participants and who holds what."""
    if web_user is None:
        return _login(f"/transfers/lead-nation/{quote(case_ref)}")
    p = web_user.principal
    if "transfer:read" not in p.permissions:
        raise NotFoundError("page not found")
    got = lead_nation_holdings.holdings(session, actor=p, case_ref=case_ref)
    return page(
        request,
        "transfers/lead_nation.html",
        active="transfers",
        h=got,
        usd=dollars,
        quote=quote,
    )
