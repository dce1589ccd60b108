"""Map errors once: problem JSON (RFC 9457) for the API, an error page for the web.

The web adapter's error page is passed in by the app factory (``render_page``), so this
module imports neither adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from secassist.core.errors import SecassistError
from secassist.http.edge import TOO_LARGE_CODE, TOO_LARGE_TITLE
from secassist.storage.engine import translate_error

# An error page: (request, status, title, detail) -> response.
ErrorPage = Callable[[Request, int, str, str], Response]

PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """The body of every API error: RFC 9457 problem details, with a stable ``code``."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    # Validation failures: one {field, message, ...} per problem.
    errors: list[dict[str, Any]] | None = None
    # 503 and some 409s: seconds to wait before retrying (also the Retry-After header).
    retry_after: int | None = None


# Declared once in the document's components; every error response refers to it.
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_WHY = {
    400: "Malformed request.",
    401: "No valid credential (token or session).",
    403: "The caller's role may not do this (or a CSRF check failed).",
    404: "No such resource, or none the caller may see.",
    409: (
        "Conflicts with the current state of the resource (a stale version; a case, item, request "
        "or balance that has moved on, e.g. after a concurrent change): re-read and decide again; "
        "retry after Retry-After seconds when given."
    ),
    413: "Request body larger than the configured limit.",
    422: "Invalid input: each error names its field.",
    503: "Busy (no database connection free in time): retry after Retry-After seconds.",
}
READ_ERRORS = (401, 403, 404, 422, 503)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422, 503)


def problem_responses(statuses: tuple[int, ...]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem JSON an operation can answer with."""
    return {
        status: {"description": _WHY[status], "content": {PROBLEM: {"schema": _PROBLEM_REF}}}
        for status in statuses
    }


def install_problem_schema(app: FastAPI) -> None:
    """Add the ``Problem`` schema that :func:`problem_responses` refers to to the app's
    OpenAPI document (once, rather than inline in each of several hundred responses)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                Problem.model_json_schema()
            )
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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


def install_error_handlers(app: FastAPI, *, error_page: ErrorPage) -> None:
    """Answer every error the same way: problem JSON under /api/, ``error_page`` elsewhere."""
    _web_error = error_page

    def _answer(request: Request, exc: SecassistError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        if _is_api(request):
            return JSONResponse(
                exc.to_problem(), status_code=exc.http_status, media_type=PROBLEM, headers=headers
            )
        response = _web_error(request, exc.http_status, exc.title, exc.message)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(SecassistError)
    async def _secassist(request: Request, exc: SecassistError) -> Response:
        return _answer(request, exc)

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> Response:
        # A read session's failure (the unit of work translates its own): an exhausted
        # pool is a quick 503, a concurrent transaction a 409 to retry; anything else is
        # a bug and stays a 500.
        mapped = translate_error(exc)
        if mapped is None:
            raise exc
        return _answer(request, mapped)

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
        title = {404: "Not found", 405: "Method not allowed", 413: TOO_LARGE_TITLE}.get(
            exc.status_code, "Error"
        )
        code = {404: "not_found", 405: "method_not_allowed", 413: TOO_LARGE_CODE}.get(
            exc.status_code, "http_error"
        )
        if _is_api(request):
            return _problem(exc.status_code, title, str(exc.detail), code)
        return _web_error(request, exc.status_code, title, str(exc.detail))
