"""The "Programs" page: totals by program × fiscal year × region × country as of a date,
scoped to the logged-in user (a partner sees its own country's rows only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.http.deps import ReadSessionDep, clock_of
from secassist.programs import oversight
from secassist.programs.catalog import catalog
from secassist.web.auth import WebUserDep, load_web_user
from secassist.web.render import page
from secassist.web.routes import _as_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])


@router.get("/programs", response_class=HTMLResponse)
def programs(
    request: Request, web_user: WebUserDep, session: ReadSessionDep, on: str | None = None
) -> Response:
    if web_user is None:
        return RedirectResponse("/login?next=/programs", status_code=303)
    as_of = _as_of(on, clock_of(request).today())
    rows = oversight.totals(session, actor=web_user.principal, as_of=as_of)
    return page(
        request,
        "programs.html",
        active="programs",
        on=as_of,
        rows=rows,
        programs={p.code: p for p in catalog().programs},
    )
