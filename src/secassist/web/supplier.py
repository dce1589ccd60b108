"""A contractor's list of the case lines it supplies (issue #15).

Industry reads only ``case_line`` rows naming it as contractor (identity.policy): it may
not open the case or the line's page (both answer 404 to it), so the lines it supplies get
their own paged, sorted, exportable list here, read through the scoped
``cases.queries.visible_lines``. Nothing more than the line is shown — no vetting, gates,
funds or deliveries, none of which the policy lets a contractor read. Any role holding
``case_line:read`` may open the page (it shows what that role may see), but only a role
without ``case:read`` — which reads lines on the case pages instead — is offered it in the
navigation (web.render.nav_for).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.http.deps import ReadSessionDep
from secassist.reports import listing, lists
from secassist.web.auth import WebUserDep, load_web_user
from secassist.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

PATH = "/supplier/lines"


@router.get(PATH, response_class=HTMLResponse)
def supplied_lines(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The case lines the user may see (a contractor: those it supplies), paged and sorted
    on the server, with the export of exactly what the filter shows."""
    if web_user is None:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/login?next={PATH}{query}", status_code=303)
    view = listing.view(lists.LINES, session, web_user.principal, request.query_params)
    return page(request, "supplier_lines.html", active="lines", view=view)
