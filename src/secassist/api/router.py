"""Every JSON endpoint under one router at /api/v1 (mounted by :mod:`secassist.http.app`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from secassist.api.routes import (
    audit,
    cases,
    equipment,
    health,
    notifications,
    programs,
    reference,
    screening,
    transfers,
    vetting,
)
from secassist.api.routes import identity as identity_routes
from secassist.http.errors import READ_ERRORS, WRITE_ERRORS, problem_responses

API_PREFIX = "/api/v1"


def _declare_problems(module_router: APIRouter) -> None:
    """Declare, on every operation, the problem-JSON errors it can answer with, so a
    client (and the schema fuzzer) knows every status it may see: reads can fail on
    credentials, scope, a missing row, bad input or a busy pool; writes also on a
    conflict, a body too large or a malformed body. An operation's own declarations
    take precedence."""
    for route in module_router.routes:
        if isinstance(route, APIRoute):
            writes = (route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
            route.responses = {
                **problem_responses(WRITE_ERRORS if writes else READ_ERRORS),
                **route.responses,
            }


router = APIRouter(prefix=API_PREFIX)
for _module in (
    health,
    reference,
    audit,
    identity_routes,
    cases,
    screening,
    vetting,
    programs,
    notifications,
    equipment,
    transfers,
):
    _declare_problems(_module.router)
    router.include_router(_module.router)
