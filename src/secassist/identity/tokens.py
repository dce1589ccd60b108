"""API tokens: issuing and revoking bearer tokens, and the principal behind one.

Only a token's SHA-256 is stored; the raw token is shown once, when issued. Every state
change writes exactly one audit entry through :func:`secassist.audit.service.record`.
Services take the session explicitly and never commit.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.identity import token_cache
from secassist.identity.errors import AuthenticationError
from secassist.identity.models import ApiToken, Organization, User, UserRole
from secassist.identity.permissions import ALL_PERMISSIONS, OrgKind, Role, permissions_for
from secassist.identity.policy import Principal, actor_of, require_permission
from secassist.identity.service import get_user, roles_of, sha256_hex
from secassist.storage.prepared import Prepared

TOKEN_PREFIX = "sa_"  # noqa: S105 - a public marker, not a secret
MAX_TOKEN_DAYS = 365
MAX_TOKEN_NAME = 100


def issue_token(
    session: Session,
    *,
    actor: Principal | None,
    user_id: int,
    name: str,
    scopes: list[str] | None = None,
    days: int = 90,
    clock: Clock | None = None,
) -> tuple[str, ApiToken]:
    """Issue a bearer token for ``user_id``; returns the raw token (shown once) and its row.

    ``scopes`` narrows the user's permissions (None: all of them; an empty list is refused,
    it would grant nothing); only the SHA-256 of
    the token is stored. A user holding ``token:write`` may issue tokens for themself, an
    administrator (``token:admin``) for anyone; ``actor=None`` is the system console.
    A token never carries more than its issuer acts with: a principal that is itself a
    scoped token cannot mint a broader one.
    """
    user = get_user(session, user_id)
    user_perms = permissions_for(roles_of(session, user.id))
    ceiling = user_perms
    if actor is not None:
        if actor.user_id == user.id:
            require_permission(actor, "token:write")
            ceiling = user_perms & actor.permissions
        else:
            require_permission(actor, "token:admin")
    if not user.is_active:
        raise ValidationFailedError("user: a disabled user cannot get a token", field="user")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailedError(f"days: between 1 and {MAX_TOKEN_DAYS}", field="days")
    name = name.strip() or "token"
    if len(name) > MAX_TOKEN_NAME:
        raise ValidationFailedError(f"name: at most {MAX_TOKEN_NAME} characters", field="name")
    if scopes is not None and not scopes:
        # Empty means none, never "all of the user's": only an omitted list (None) means all.
        raise ValidationFailedError(
            "scopes: an empty list grants no permission; name at least one, or omit scopes "
            "for all of the user's",
            field="scopes",
        )
    wanted = ceiling if scopes is None else frozenset(scopes)
    unknown = wanted - ALL_PERMISSIONS
    if unknown:
        raise ValidationFailedError(f"scopes: unknown permission {sorted(unknown)[0]!r}", field="scopes")
    beyond = wanted - ceiling
    if beyond:
        raise ValidationFailedError(
            f"scopes: {user.username} does not hold {sorted(beyond)[0]!r}", field="scopes"
        )
    if not wanted:
        raise ValidationFailedError("scopes: a token needs at least one permission", field="scopes")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    at = now(clock)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[:10],
        token_hash=sha256_hex(raw),
        scopes=" ".join(sorted(wanted)),
        created_at=at,
        expires_at=at + timedelta(days=days),
        revoked_at=None,
    )
    add_recorded(
        session,
        [token],
        actor=actor_of(actor),
        tag="identity:token:issued",
        subject_type="token",
        clock=clock,
    )
    return raw, token


def revoke_token(
    session: Session, *, actor: Principal | None, token_id: int, clock: Clock | None = None
) -> ApiToken:
    """Revoke a token (idempotent). Its holder or an administrator may; for anyone else
    the token does not exist (NotFoundError), so token ids cannot be probed."""
    token = session.get(ApiToken, token_id)
    if token is None or (
        actor is not None and actor.user_id != token.user_id and "token:admin" not in actor.permissions
    ):
        raise NotFoundError("token not found")
    if token.revoked_at is None:
        token.revoked_at = now(clock)
        token_cache.forget_on_commit(session)
        add_recorded(
            session,
            [token],
            actor=actor_of(actor),
            tag="identity:token:revoked",
            subject_type="token",
            subject_id=token.id,
            clock=clock,
        )
    return token


# One statement (token, user, organization and roles: one row per role), compiled once:
# every API request pays for it.
_TOKEN_PRINCIPAL = Prepared(
    select(
        ApiToken.scopes,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        User.id,
        User.username,
        User.is_active,
        Organization.id,
        Organization.name,
        Organization.kind,
        Organization.country_code,
        UserRole.role,
    )
    .join(User, User.id == ApiToken.user_id)
    .join(Organization, Organization.id == User.organization_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def cached_principal(raw: str, *, clock: Clock | None = None) -> Principal | None:
    """The principal behind a bearer token if this process looked it up valid moments ago
    and it has not expired (:mod:`secassist.identity.token_cache`); None means "look it up"
    with :func:`principal_from_token`, never "refused". No I/O."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    return token_cache.recall(sha256_hex(raw), now(clock))


def principal_from_token(session: Session, raw: str, *, clock: Clock | None = None) -> Principal:
    """The principal behind a bearer token, or AuthenticationError (unknown, expired,
    revoked, or its user disabled: the same vague answer for each). A valid one is kept
    for a moment (:mod:`secassist.identity.token_cache`) and reused, expiry checked on
    every use."""
    if not raw.startswith(TOKEN_PREFIX):
        raise AuthenticationError("invalid or expired token")
    token_hash = sha256_hex(raw)
    at = now(clock)
    kept = token_cache.recall(token_hash, at)
    if kept is not None:
        return kept
    generation = token_cache.generation()
    rows = _TOKEN_PRINCIPAL.all(session, {"token_hash": token_hash})
    if not rows:
        raise AuthenticationError("invalid or expired token")
    scopes, expires_at, revoked_at, user_id, username, is_active, org_id, org_name, kind, country, _ = rows[0]
    if revoked_at is not None or expires_at <= at or not is_active:
        raise AuthenticationError("invalid or expired token")
    roles = frozenset(Role(r[-1]) for r in rows if r[-1] is not None)
    principal = Principal(
        user_id=user_id,
        username=username,
        org_id=org_id,
        org_name=org_name,
        org_kind=OrgKind(kind),
        country=country,
        roles=roles,
        permissions=permissions_for(roles) & frozenset(scopes.split()),
        via_token=True,
    )
    token_cache.remember(token_hash, expires_at, principal, generation)
    return principal
