"""Every web page under one router (mounted by :mod:`secassist.http.app`)."""

from __future__ import annotations

from fastapi import APIRouter

from secassist.web import (
    account,
    admin,
    audit,
    auth,
    cases,
    charts,
    countries,
    equipment,
    equipment_forms,
    equipment_incidents,
    equipment_sites,
    lead_nation,
    leahy,
    notifications,
    programs,
    reports,
    routes,
    screening,
    supplier,
    transfers,
    vetting,
)

router = APIRouter()
# lead_nation before transfers: /transfers/lead-nation is not a request number.
_MODULES = (
    routes,
    auth,
    account,
    audit,
    cases,
    supplier,
    charts,
    countries,
    screening,
    vetting,
    leahy,
    programs,
    notifications,
    equipment,
    equipment_forms,
    equipment_incidents,
    equipment_sites,
    lead_nation,
    transfers,
    admin,
    reports,
)
for _module in _MODULES:
    router.include_router(_module.router)
