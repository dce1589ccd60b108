"""The application factory: no work at import time; the lifespan opens and closes the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from secassist import __version__
from secassist.api.docs import install_api_docs
from secassist.api.errors import install_error_handlers
from secassist.api.routes import audit, cases, health, notifications, programs, reference, screening, vetting
from secassist.api.routes import identity as identity_routes
from secassist.core.clock import Clock, SystemClock
from secassist.core.config import Settings, load_settings
from secassist.reference.service import get_reference
from secassist.storage.engine import make_engine, make_session_factory, ping
from secassist.storage.migrate import ensure_at_head

API_PREFIX = "/api/v1"


def create_app(
    *, settings: Settings | None = None, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the app. ``engine`` may be injected (tests); otherwise it comes from settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings or load_settings()
        eng = engine or make_engine(s.database_url, echo=s.database_echo)
        try:
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

    app = FastAPI(
        title="secassist",
        version=__version__,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by install_api_docs from local assets, not a CDN
        redoc_url=None,
    )
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(health.router)
    api.include_router(reference.router)
    api.include_router(audit.router)
    api.include_router(identity_routes.router)
    api.include_router(cases.router)
    api.include_router(screening.router)
    api.include_router(vetting.router)
    api.include_router(programs.router)
    api.include_router(notifications.router)
    app.include_router(api)
    install_api_docs(app, docs_url=f"{API_PREFIX}/docs")

    from secassist.web import auth as web_auth
    from secassist.web import cases as web_cases
    from secassist.web import notifications as web_notifications
    from secassist.web import programs as web_programs
    from secassist.web import routes as web_routes
    from secassist.web import screening as web_screening
    from secassist.web import vetting as web_vetting
    from secassist.web.render import STATIC_DIR

    app.include_router(web_routes.router)
    app.include_router(web_auth.router)
    app.include_router(web_cases.router)
    app.include_router(web_screening.router)
    app.include_router(web_vetting.router)
    app.include_router(web_programs.router)
    app.include_router(web_notifications.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app)
    return app
