"""Scoped reads of organizations, users and tokens.

Every function takes the acting principal and restricts its query through
:func:`secassist.identity.policy.scope`, so a record outside the actor's scope is simply
not found: the same NotFoundError, with the same message, as an id that does not exist.
``actor=None`` is the system (the administrator's console) and sees everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from secassist.core.errors import NotFoundError
from secassist.identity.models import ApiToken, Organization, User, UserRole
from secassist.identity.policy import Principal, scope


def _orgs(actor: Principal | None) -> Select[Organization]:
    stmt = select(Organization)
    if actor is None:
        return stmt
    return scope(stmt, actor, "organization", org=Organization.id, country=Organization.country_code)


def _users(actor: Principal | None) -> Select[User]:
    stmt = select(User)
    if actor is None:
        return stmt
    return scope(stmt, actor, "user", org=User.organization_id)


def list_organizations(
    session: Session, *, actor: Principal | None, kind: str | None = None
) -> list[Organization]:
    """The organizations ``actor`` may see, by id (optionally of one kind)."""
    stmt = _orgs(actor)
    if kind is not None:
        stmt = stmt.where(Organization.kind == kind)
    return list(session.scalars(stmt.order_by(Organization.id)))


def visible_organization(session: Session, *, actor: Principal | None, org_id: int) -> Organization:
    """The organization ``org_id`` if ``actor`` may see it; NotFoundError otherwise."""
    org = session.scalar(_orgs(actor).where(Organization.id == org_id))
    if org is None:
        raise NotFoundError("organization not found")
    return org


def list_users(
    session: Session, *, actor: Principal | None, organization_id: int | None = None
) -> list[User]:
    """The users ``actor`` may see, by id (optionally of one organization)."""
    stmt = _users(actor)
    if organization_id is not None:
        stmt = stmt.where(User.organization_id == organization_id)
    return list(session.scalars(stmt.order_by(User.id)))


def visible_user(session: Session, *, actor: Principal | None, user_id: int) -> User:
    """The user ``user_id`` if ``actor`` may see it; NotFoundError otherwise."""
    user = session.scalar(_users(actor).where(User.id == user_id))
    if user is None:
        raise NotFoundError("user not found")
    return user


def roles_by_user(session: Session, user_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each user's role names, sorted (users without roles map to an empty list)."""
    ids = list(user_ids)
    out: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = session.execute(
            select(UserRole.user_id, UserRole.role)
            .where(UserRole.user_id.in_(ids))
            .order_by(UserRole.user_id, UserRole.role)
        )
        for user_id, role in rows:
            out[user_id].append(role)
    return {i: out.get(i, []) for i in ids}


def list_tokens(session: Session, *, actor: Principal | None, user_id: int | None = None) -> list[ApiToken]:
    """Tokens, newest first: the actor's own, or anyone's for an administrator
    (``token:admin``) and the system. Rows carry the hash; adapters never show it."""
    stmt: Select[Any] = select(ApiToken)
    if actor is not None and "token:admin" not in actor.permissions:
        stmt = stmt.where(ApiToken.user_id == actor.user_id)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    return list(session.scalars(stmt.order_by(ApiToken.id.desc())))


def token_status(token: ApiToken, now: datetime) -> str:
    """``revoked``, ``expired`` or ``active`` at ``now``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    return "active"
