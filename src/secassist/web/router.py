"""Every web page under one router (mounted by :mod:`secassist.http.app`)."""

from __future__ import annotations

from fastapi import APIRouter

from secassist.web import (
    audit,
    auth,
    cases,
    charts,
    countries,
    equipment,
    lead_nation,
    notifications,
    programs,
    routes,
    screening,
    transfers,
    vetting,
)

router = APIRouter()
# lead_nation before transfers: /transfers/lead-nation is not a request number.
_MODULES = (
    routes,
    auth,
    audit,
    cases,
    charts,
    countries,
    screening,
    vetting,
    programs,
    notifications,
    equipment,
    lead_nation,
    transfers,
)
for _module in _MODULES:
    router.include_router(_module.router)
