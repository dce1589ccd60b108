"""Map errors once: problem JSON (RFC 9457) for the API, an error page for the web."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from secassist.core.errors import SecassistError

PROBLEM = "application/problem+json"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(status: int, title: str, detail: str, code: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"urn:secassist:error:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _web_error(request: Request, status: int, title: str, detail: str) -> Response:
    from secassist.web.render import render_error

    return render_error(request, status=status, title=title, detail=detail)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SecassistError)
    async def _secassist(request: Request, exc: SecassistError) -> Response:
        if _is_api(request):
            return JSONResponse(exc.to_problem(), status_code=exc.http_status, media_type=PROBLEM)
        return _web_error(request, exc.http_status, exc.title, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        if _is_api(request):
            return _problem(422, "Invalid input", detail, "validation.failed", errors=errors)
        return _web_error(request, 422, "Invalid input", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if _is_api(request):
            return _problem(exc.status_code, title, str(exc.detail), code)
        return _web_error(request, exc.status_code, title, str(exc.detail))
