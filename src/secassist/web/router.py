"""Every web page under one router (mounted by :mod:`secassist.http.app`)."""

from __future__ import annotations

from fastapi import APIRouter

from secassist.web import (
    auth,
    cases,
    equipment,
    notifications,
    programs,
    routes,
    screening,
    transfers,
    vetting,
)

router = APIRouter()
for _module in (routes, auth, cases, screening, vetting, programs, notifications, equipment, transfers):
    router.include_router(_module.router)
