"""Exports and report pages: every list as CSV, JSON or XLSX of exactly what its filter
shows (``/exports/<list>.<format>?<the page's filters>``), a case summary as PDF (the
notice PDF is the API's), the public transparency registers, and the SIPRI TIV check.

The logic lives in :mod:`secassist.reports`; these handlers only read the request and send
the file. Every read goes through the same scoped queries as the list pages.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.http.deps import ReadSessionDep, clock_of
from secassist.identity.policy import require_permission
from secassist.reports import exports, listing, lists, pdf, sipri, transparency
from secassist.web.auth import NO_STORE, WebUserDep, load_web_user, require_csrf
from secassist.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])
MAX_UPLOAD = 16 * 1024 * 1024  # the full SIPRI register is 3.6 MB


def _login(request: Request) -> RedirectResponse:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def _file(data: bytes, fmt: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"', **NO_STORE}
    media = exports.FORMATS.get(fmt, "application/pdf")
    return Response(content=data, media_type=media, headers=headers)


def _format(fmt: str) -> str:
    if fmt not in exports.FORMATS:
        raise NotFoundError(f"no export format {fmt!r}")
    return fmt


@router.get("/exports/{name}.{fmt}")
def export_list(
    name: str, fmt: str, request: Request, web_user: WebUserDep, session: ReadSessionDep
) -> Response:
    """Every row the list's filters select (all pages), in the list's sort order."""
    if web_user is None:
        return _login(request)
    spec = lists.spec(name)
    query = listing.parse_query(spec, request.query_params)
    rows = listing.select_rows(spec, session, web_user.principal, query)
    data = exports.render(_format(fmt), spec.columns, rows, name=spec.name, title=spec.title)
    return _file(data, fmt, spec.name)


@router.get("/cases/{ref}/summary.pdf")
def case_pdf(ref: str, request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    if web_user is None:
        return _login(request)
    require_permission(web_user.principal, "case:read")
    data = pdf.case_summary_pdf(session, actor=web_user.principal, ref=ref, today=clock_of(request).today())
    return _file(data, "pdf", f"case-{ref}")


@router.get("/reports/transparency", response_class=HTMLResponse)
def transparency_page(request: Request, web_user: WebUserDep, session: ReadSessionDep) -> Response:
    """The SIPRI-style trade register and the UN Register categories of formally notified sales."""
    if web_user is None:
        return _login(request)
    require_permission(web_user.principal, "notification:read")
    register = transparency.trade_register(session, actor=web_user.principal)
    return page(
        request, "reports/transparency.html", active="notifications",
        register=register, un=transparency.un_register(register), mapping=transparency.mapping(),
    )  # fmt: skip


@router.get("/reports/{name}.{fmt}")
def transparency_export(
    name: str, fmt: str, request: Request, web_user: WebUserDep, session: ReadSessionDep
) -> Response:
    """``trade-register`` or ``un-register`` as CSV, JSON or XLSX."""
    if web_user is None:
        return _login(request)
    require_permission(web_user.principal, "notification:read")
    register = transparency.trade_register(session, actor=web_user.principal)
    if name == "trade-register":
        data = exports.render(
            _format(fmt), transparency.TRADE_COLUMNS, register, name=name, title="Trade register"
        )
    elif name == "un-register":
        rows = transparency.un_register(register).rows
        data = exports.render(_format(fmt), transparency.UNROCA_COLUMNS, rows, name=name, title="UN Register")
    else:
        raise NotFoundError(f"no report {name!r}")
    return _file(data, fmt, name)


@router.get("/reports/sipri", response_class=HTMLResponse)
def sipri_form(request: Request, web_user: WebUserDep) -> Response:
    """Upload a SIPRI trade register and SIPRI's TIV table to check one against the other."""
    if web_user is None:
        return _login(request)
    return page(request, "reports/sipri.html", active="", rows=None, csrf=web_user.csrf_token, error=None)


async def _upload(upload: UploadFile, field: str) -> bytes:
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationFailedError(f"{field}: larger than {MAX_UPLOAD // 2**20} MB", field=field)
    if not data:
        raise ValidationFailedError(f"{field}: the file is empty", field=field)
    return data


@router.post("/reports/sipri", response_class=HTMLResponse)
async def sipri_check(
    request: Request,
    web_user: WebUserDep,
    register_file: Annotated[UploadFile, File(alias="register")],
    table_file: Annotated[UploadFile, File(alias="table")],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The TIV each recipient received, recomputed beside SIPRI's table (nothing is stored)."""
    if web_user is None:
        return _login(request)
    require_csrf(request, csrf)
    try:
        rows = sipri.reconcile(
            sipri.read_register(
                await _upload(register_file, "register"), name=register_file.filename or "register"
            ),
            sipri.read_tiv_table(await _upload(table_file, "table"), name=table_file.filename or "table"),
        )
    except ValidationFailedError as exc:
        return page(request, "reports/sipri.html", active="", rows=None, csrf=web_user.csrf_token,
                    error=exc.message, status=422)  # fmt: skip
    return page(request, "reports/sipri.html", active="", rows=rows, csrf=web_user.csrf_token, error=None)
