"""``GET /api/v1/health``: liveness and readiness (the database answers and is at the migration head)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

from secassist import __version__
from secassist.http.deps import ReadSessionDep
from secassist.storage.migrate import head_revision

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request, session: ReadSessionDep) -> dict[str, Any]:
    """Liveness and readiness: the database answers and is at the code's migration head."""
    session.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "version": __version__,
        "database": request.app.state.engine.dialect.name,
        "schema_revision": head_revision(),
    }
