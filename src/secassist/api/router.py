"""Every JSON endpoint, under /api/v1 (mounted by :mod:`secassist.http.app` with :func:`include_api`)."""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI
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
from secassist.http.deps import committing_writes, ending_reads
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


# Each module's router, included by the app under API_PREFIX (``include_api``), in this
# order. Not one /api/v1 router including them: FastAPI (0.163) keeps an included router
# as a node that it matches once to choose it and once more to dispatch into it, so every
# level of nesting repeats the scan of the routes below it; one level instead of two
# halves the routing CPU of every API request (0.26 -> 0.13 ms, measured for make load).
ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
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
    )
)


def _end_transactions_in_handler_thread(module_router: APIRouter) -> None:
    """Wrap every sync handler before the app includes the router (an included route is
    built from ``route.endpoint``): a GET with :func:`secassist.http.deps.ending_reads`,
    so a read ends its transaction in the handler's worker thread (one thread hop per
    read instead of two); any other with :func:`secassist.http.deps.committing_writes`,
    so a write releases its locks before it waits for a thread to build its response."""
    for route in module_router.routes:
        if isinstance(route, APIRoute) and not inspect.iscoroutinefunction(route.endpoint):
            if "GET" in (route.methods or set()):
                route.endpoint = ending_reads(route.endpoint)
            else:
                route.endpoint = committing_writes(route.endpoint)


for _router in ROUTERS:
    _declare_problems(_router)
    _end_transactions_in_handler_thread(_router)


def include_api(app: FastAPI) -> None:
    """Mount every JSON endpoint on ``app`` under :data:`API_PREFIX`."""
    for module_router in ROUTERS:
        app.include_router(module_router, prefix=API_PREFIX)
