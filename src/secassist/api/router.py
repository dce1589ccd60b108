"""Every JSON endpoint under one router at /api/v1 (mounted by :mod:`secassist.http.app`)."""

from __future__ import annotations

from fastapi import APIRouter

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

API_PREFIX = "/api/v1"

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
    router.include_router(_module.router)
