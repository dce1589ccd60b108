"""Shared plumbing of the vetting services: actors, scoping, time."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

from secassist.identity.policy import Column, Principal, Resource, check, scope

S = TypeVar("S", bound=Select[Any])


def scoped(stmt: S, actor: Principal | None, kind: str, country: Column) -> S:
    """Restrict to what ``actor`` may see (the system sees everything)."""
    return stmt if actor is None else scope(stmt, actor, kind, country=country)


def require(actor: Principal | None, action: str, kind: str, country: str | None, *, what: str) -> None:
    """404 when the record is invisible, 403 when visible but not allowed; system passes."""
    if actor is None:
        return
    check(actor, action, Resource(kind, country=country), what=what)
