"""The application factory: no work at import time; the lifespan opens and closes the database.

The one module that imports both adapters: it mounts the JSON API (``api/``) and the
web pages (``web/``) on one app, with the error mapping of :mod:`secassist.http.errors`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.types import ASGIApp

from secassist import __version__
from secassist.api.docs import install_api_docs
from secassist.api.router import API_PREFIX, include_api
from secassist.core.clock import Clock, SystemClock
from secassist.core.config import Settings, load_settings
from secassist.http.deps import SESSION_COOKIE
from secassist.http.edge import RequestLimits, SecurityHeaders
from secassist.http.errors import install_error_handlers, install_problem_schema
from secassist.reference.service import get_reference
from secassist.storage.engine import engine_from_settings, make_session_factory, ping
from secassist.storage.migrate import ensure_at_head
from secassist.web.render import STATIC_DIR, render_error
from secassist.web.router import router as web_router


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return render_error(request, status=status, title=title, detail=detail)


class _App(FastAPI):
    """FastAPI with :class:`SecurityHeaders` outside Starlette's ServerErrorMiddleware.

    Starlette always puts ServerErrorMiddleware outermost, above every ``add_middleware``
    one, so the 500 it answers for an unhandled exception would bypass a headers
    middleware added the usual way. Wrapping the built stack puts the headers on every
    response, the 500 included.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(
    *, settings: Settings | None = None, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the app. ``engine`` may be injected (tests); otherwise it comes from settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings or load_settings()
        eng = engine or engine_from_settings(s)
        try:
            if s.worker_threads is not None:
                # The limiter of this event loop, which runs every sync handler and dependency.
                anyio.to_thread.current_default_thread_limiter().total_tokens = s.worker_threads
            ping(eng)
            ensure_at_head(eng)
            get_reference()  # validate the reference data before taking traffic
            app.state.settings = s
            app.state.clock = clock or SystemClock()
            app.state.engine = eng
            app.state.session_factory = make_session_factory(eng)
            yield
        finally:
            if engine is None:
                eng.dispose()

    app = _App(
        title="secassist",
        version=__version__,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by install_api_docs from local assets, not a CDN
        redoc_url=None,
    )
    include_api(app)
    install_api_docs(app, docs_url=f"{API_PREFIX}/docs")
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app, error_page=_error_page)
    install_problem_schema(app)
    # SecurityHeaders wraps everything (see _App): the limits' early refusals and the
    # unhandled-exception 500 carry the headers too.
    app.add_middleware(RequestLimits, api_prefix=API_PREFIX, session_cookie=SESSION_COOKIE)
    return app
