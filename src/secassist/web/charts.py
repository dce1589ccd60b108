"""The "Charts" page (issue #15, "Look rather than read"): the figures of
:mod:`secassist.reports.figures` as server-rendered SVG, each with its table view.

Signed-in users see the chart groups their role's permissions allow (funds, case pipeline,
notifications, EEUM); every figure is read through the scoped domain queries, so a
partner's charts hold only its country. A role that may see none gets the same 404 page as
a page that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.core.errors import NotFoundError
from secassist.http.deps import ReadSessionDep, clock_of
from secassist.reports import figures
from secassist.reports.charts import Chart
from secassist.web.auth import WebUserDep, load_web_user
from secassist.web.render import page
from secassist.web.routes import _as_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])

TITLES = {
    "funds": "Program funds",
    "pipeline": "Case pipeline",
    "notifications": "Congressional notifications",
    "eeum": "End-use monitoring",
}


@router.get("/charts", response_class=HTMLResponse)
def charts(
    request: Request,
    web_user: WebUserDep,
    session: ReadSessionDep,
    on: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """Every chart the user's role may see, as of ``on`` (default: today)."""
    if web_user is None:
        return RedirectResponse("/login?next=/charts", status_code=303)
    p = web_user.principal
    groups = figures.available(p.permissions)
    if not groups:
        raise NotFoundError("page not found")
    today = clock_of(request).today()
    as_of = _as_of(on, today)
    built: dict[str, list[Chart]] = {}
    for group in groups:
        if group == "funds":
            built[group] = figures.funds(session, actor=p, as_of=as_of)
        elif group == "pipeline":
            built[group] = figures.pipeline(session, actor=p, as_of=as_of)
        elif group == "notifications":
            built[group] = figures.notifications(session, actor=p)
        else:
            built[group] = figures.eeum(session, actor=p, today=as_of)
    return page(request, "charts.html", active="charts", on=as_of, groups=built, titles=TITLES)
