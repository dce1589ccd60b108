"""Shared plumbing of the vetting services: actors, scoping, time."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select

from secassist.audit.service import SYSTEM, Actor
from secassist.core.clock import Clock, SystemClock
from secassist.identity.policy import Column, Principal, Resource, check, scope

S = TypeVar("S", bound=Select[Any])


def actor_of(p: Principal | None) -> Actor:
    """The audit actor; ``None`` is the system (the administrator's console)."""
    return SYSTEM if p is None else Actor(label=p.label, user_id=p.user_id, org_id=p.org_id)


def label_of(p: Principal | None) -> str:
    return "system" if p is None else p.label


def now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def scoped(stmt: S, actor: Principal | None, kind: str, country: Column) -> S:
    """Restrict to what ``actor`` may see (the system sees everything)."""
    return stmt if actor is None else scope(stmt, actor, kind, country=country)


def require(actor: Principal | None, action: str, kind: str, country: str | None, *, what: str) -> None:
    """404 when the record is invisible, 403 when visible but not allowed; system passes."""
    if actor is None:
        return
    check(actor, action, Resource(kind, country=country), what=what)
