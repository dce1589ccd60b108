"""Identity services: organizations, users, logins with lockout, API tokens, web sessions.

Every state change writes exactly one audit entry through :func:`secassist.audit.service.record`.
Services take the session explicitly and never commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from secassist.audit.service import SYSTEM, Actor, record
from secassist.core.clock import Clock, SystemClock
from secassist.core.errors import ConflictError, NotFoundError, UnknownCodeError, ValidationFailedError
from secassist.identity import passwords
from secassist.identity.errors import AuthenticationError
from secassist.identity.models import ApiToken, Organization, User, UserRole, WebSession
from secassist.identity.permissions import ALL_PERMISSIONS, KIND_ROLES, OrgKind, Role, permissions_for
from secassist.identity.policy import Principal, require_permission
from secassist.reference.models import CountryRow
from secassist.reference.service import get_reference
from secassist.reference.sync import sync_reference
from secassist.storage.prepared import Prepared

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,63}$")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=8)
TOKEN_PREFIX = "sa_"  # noqa: S105 - a public marker, not a secret
MAX_TOKEN_DAYS = 365
MAX_NAME = 200  # organization and display names (the columns' width)
MAX_TOKEN_NAME = 100


def actor_of(p: Principal | None) -> Actor:
    """The audit actor for a principal; ``None`` is the system (the administrator's console)."""
    if p is None:
        return SYSTEM
    return Actor(label=p.label, user_id=p.user_id, org_id=p.org_id)


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def _sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- organizations ---------------------------------------------------------------


def create_organization(
    session: Session,
    *,
    actor: Principal | None,
    name: str,
    kind: str,
    country_code: str | None = None,
    clock: Clock | None = None,
) -> Organization:
    """Create an organization; SCOs and partners must name their country, others must not."""
    if actor is not None:
        require_permission(actor, "organization:write")
    name = name.strip()
    if not name:
        raise ValidationFailedError("name: must not be empty", field="name")
    if len(name) > MAX_NAME:
        raise ValidationFailedError(f"name: at most {MAX_NAME} characters", field="name")
    try:
        org_kind = OrgKind(kind)
    except ValueError:
        raise ValidationFailedError(
            f"kind: {kind!r} is not one of {', '.join(k.value for k in OrgKind)}", field="kind"
        ) from None
    if org_kind in (OrgKind.sco, OrgKind.partner):
        if not country_code:
            raise ValidationFailedError(
                f"country: a {org_kind.value} organization needs a country", field="country"
            )
        country_code = country_code.strip().upper()
        _ensure_country(session, country_code, clock)
    elif country_code:
        raise ValidationFailedError(
            f"country: a {org_kind.value} organization has no country", field="country"
        )
    if session.scalar(select(Organization.id).where(Organization.name == name)) is not None:
        raise ConflictError(f"an organization named {name!r} already exists", field="name")
    org = Organization(
        name=name, kind=org_kind.value, country_code=country_code or None, created_at=_now(clock)
    )
    session.add(org)
    session.flush()
    record(
        session,
        actor=actor_of(actor),
        tag="identity:organization:created",
        subject_type="organization",
        subject_id=org.id,
        rows=[org],
        clock=clock,
    )
    return org


def _ensure_country(session: Session, code: str, clock: Clock | None) -> None:
    """The country must be in the packaged reference data; if the database's mirror of it
    has not been synced yet (a fresh database), sync it now (its own audit entry)."""
    if session.get(CountryRow, code) is not None:
        return
    ref = get_reference()
    try:
        ref.country(code)
    except UnknownCodeError:
        raise ValidationFailedError(f"country: unknown country code {code!r}", field="country") from None
    sync_reference(session, data=ref, clock=clock)


def get_organization(session: Session, org_id: int) -> Organization:
    """The organization with this id, unscoped (adapters use :mod:`.queries` for actors)."""
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFoundError("organization not found")
    return org


def organization_by_name(session: Session, name: str) -> Organization:
    """The organization with this exact name, unscoped."""
    org = session.scalar(select(Organization).where(Organization.name == name.strip()))
    if org is None:
        raise NotFoundError(f"no organization named {name!r}")
    return org


# --- users -----------------------------------------------------------------------


def _roles(session: Session, user_id: int) -> frozenset[Role]:
    return frozenset(
        Role(r) for r in session.scalars(select(UserRole.role).where(UserRole.user_id == user_id))
    )


def create_user(
    session: Session,
    *,
    actor: Principal | None,
    username: str,
    display_name: str,
    organization_id: int,
    roles: list[str],
    password: str,
    clock: Clock | None = None,
) -> User:
    """Create a user in an organization with roles that organization's kind may grant."""
    if actor is not None:
        require_permission(actor, "user:write")
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise ValidationFailedError(
            "username: 3-64 characters, lowercase letters, digits, '.', '_' or '-', starting with a letter",
            field="username",
        )
    org = get_organization(session, organization_id)
    allowed = KIND_ROLES[OrgKind(org.kind)]
    if not roles:
        raise ValidationFailedError("roles: a user needs at least one role", field="roles")
    if len(display_name.strip()) > MAX_NAME:
        raise ValidationFailedError(f"display_name: at most {MAX_NAME} characters", field="display_name")
    parsed: list[Role] = []
    for r in roles:
        try:
            role = Role(r)
        except ValueError:
            raise ValidationFailedError(f"roles: unknown role {r!r}", field="roles") from None
        if role not in allowed:
            raise ValidationFailedError(
                f"roles: a {org.kind} organization cannot grant {role.value} "
                f"(allowed: {', '.join(sorted(a.value for a in allowed))})",
                field="roles",
            )
        parsed.append(role)
    passwords.check_strength(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"username {username!r} is taken", field="username")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        organization_id=org.id,
        password_hash=passwords.hash_password(password),
        is_active=True,
        failed_logins=0,
        locked_until=None,
        created_at=_now(clock),
        last_login_at=None,
    )
    session.add(user)
    session.flush()
    role_rows = [UserRole(user_id=user.id, role=r.value) for r in sorted(set(parsed))]
    session.add_all(role_rows)
    record(
        session,
        actor=actor_of(actor),
        tag="identity:user:created",
        subject_type="user",
        subject_id=user.id,
        rows=[user, *role_rows],
        clock=clock,
    )
    return user


def get_user(session: Session, user_id: int) -> User:
    """The user with this id, unscoped (adapters use :mod:`.queries` for actors)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("user not found")
    return user


def user_by_name(session: Session, username: str) -> User:
    """The user with this username (case-insensitive), unscoped."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user named {username!r}")
    return user


def set_active(
    session: Session, *, actor: Principal | None, user_id: int, active: bool, clock: Clock | None = None
) -> User:
    """Disable (or re-enable) a user; disabling also ends their web sessions and revokes
    their tokens (re-enabling does not bring those back)."""
    if actor is not None:
        require_permission(actor, "user:admin")
    user = get_user(session, user_id)
    if user.is_active == active:
        return user
    user.is_active = active
    now = _now(clock)
    changed: list[ApiToken] = []
    if not active:
        for s in session.scalars(
            select(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
        ):
            s.ended_at = now
        for t in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            t.revoked_at = now
            changed.append(t)
    record(
        session,
        actor=actor_of(actor),
        tag="identity:user:disabled" if not active else "identity:user:enabled",
        subject_type="user",
        subject_id=user.id,
        rows=[user, *changed],
        clock=clock,
    )
    return user


def principal_for(session: Session, user: User, *, scopes: frozenset[str] | None = None) -> Principal:
    """The principal of ``user``: its organization, roles and permissions (narrowed to
    ``scopes`` when acting through a token)."""
    org = get_organization(session, user.organization_id)
    roles = _roles(session, user.id)
    perms = permissions_for(roles)
    if scopes is not None:
        perms = perms & scopes
    return Principal(
        user_id=user.id,
        username=user.username,
        org_id=org.id,
        org_name=org.name,
        org_kind=OrgKind(org.kind),
        country=org.country_code,
        roles=roles,
        permissions=perms,
        via_token=scopes is not None,
    )


# --- logins ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """The outcome of :func:`authenticate`; ``reason`` is for the log, never for the user."""

    principal: Principal | None
    reason: str  # "ok", "invalid", "locked", "disabled"


def authenticate(
    session: Session, *, username: str, password: str, clock: Clock | None = None
) -> LoginResult:
    """Check a password. Failures are counted and audited; after five the account locks
    for 15 minutes (NIST SP 800-63B §5.2.2 rate limiting). Returns instead of raising, so
    the caller's unit of work commits the failure count before answering 401."""
    now = _now(clock)
    # FOR UPDATE: concurrent wrong guesses must not overwrite each other's failure count.
    user = session.scalar(select(User).where(User.username == username.strip().lower()).with_for_update())
    if user is None:
        passwords.verify_password(None, password)  # same cost as a wrong password
        record(
            session,
            actor=SYSTEM,
            tag="identity:login:unknown_user",
            # A digest, not the name: people type passwords into the username field,
            # and the log keeps everything forever. Repeated probes still show up.
            subject_type="username_sha256",
            subject_id=_sha256(username.strip().lower())[:32],
            clock=clock,
        )
        return LoginResult(None, "invalid")
    if user.locked_until is not None and user.locked_until > now:
        record(
            session,
            actor=SYSTEM,
            tag="identity:login:refused_locked",
            subject_type="user",
            subject_id=user.id,
            clock=clock,
        )
        return LoginResult(None, "locked")
    ok = passwords.verify_password(user.password_hash, password)
    if ok and not user.is_active:
        record(
            session,
            actor=SYSTEM,
            tag="identity:login:refused_disabled",
            subject_type="user",
            subject_id=user.id,
            clock=clock,
        )
        return LoginResult(None, "disabled")
    if not ok:
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        record(
            session,
            actor=SYSTEM,
            tag="identity:login:locked" if locked else "identity:login:failed",
            subject_type="user",
            subject_id=user.id,
            rows=[user],
            clock=clock,
        )
        return LoginResult(None, "locked" if locked else "invalid")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    principal = principal_for(session, user)
    record(
        session,
        actor=actor_of(principal),
        tag="identity:login:succeeded",
        subject_type="user",
        subject_id=user.id,
        rows=[user],
        clock=clock,
    )
    return LoginResult(principal, "ok")


# --- API tokens --------------------------------------------------------------------


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

    ``scopes`` narrows the user's permissions (default: all of them); only the SHA-256 of
    the token is stored. A user holding ``token:write`` may issue tokens for themself, an
    administrator (``token:admin``) for anyone; ``actor=None`` is the system console.
    A token never carries more than its issuer acts with: a principal that is itself a
    scoped token cannot mint a broader one.
    """
    user = get_user(session, user_id)
    user_perms = permissions_for(_roles(session, user.id))
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
    wanted = frozenset(scopes) if scopes else ceiling
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
    now = _now(clock)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[:10],
        token_hash=_sha256(raw),
        scopes=" ".join(sorted(wanted)),
        created_at=now,
        expires_at=now + timedelta(days=days),
        revoked_at=None,
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor=actor_of(actor),
        tag="identity:token:issued",
        subject_type="token",
        subject_id=token.id,
        rows=[token],
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
        token.revoked_at = _now(clock)
        record(
            session,
            actor=actor_of(actor),
            tag="identity:token:revoked",
            subject_type="token",
            subject_id=token.id,
            rows=[token],
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


def principal_from_token(session: Session, raw: str, *, clock: Clock | None = None) -> Principal:
    """The principal behind a bearer token, or AuthenticationError (unknown, expired,
    revoked, or its user disabled: the same vague answer for each)."""
    if not raw.startswith(TOKEN_PREFIX):
        raise AuthenticationError("invalid or expired token")
    rows = _TOKEN_PRINCIPAL.all(session, {"token_hash": _sha256(raw)})
    now = _now(clock)
    if not rows:
        raise AuthenticationError("invalid or expired token")
    scopes, expires_at, revoked_at, user_id, username, is_active, org_id, org_name, kind, country, _ = rows[0]
    if revoked_at is not None or expires_at <= now or not is_active:
        raise AuthenticationError("invalid or expired token")
    roles = frozenset(Role(r[-1]) for r in rows if r[-1] is not None)
    return Principal(
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


# --- web sessions ----------------------------------------------------------------


def start_web_session(
    session: Session, *, user_id: int, clock: Clock | None = None
) -> tuple[str, WebSession]:
    """A new browser session (a fresh random id at every login: no session fixation).
    Returns the raw id for the cookie; only its SHA-256 is stored."""
    raw = secrets.token_urlsafe(32)
    now = _now(clock)
    ws = WebSession(
        id_hash=_sha256(raw),
        user_id=user_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_TTL,
        ended_at=None,
    )
    session.add(ws)
    session.flush()
    return raw, ws


def resolve_web_session(
    session: Session, raw: str, *, clock: Clock | None = None
) -> tuple[Principal, WebSession]:
    """The principal behind a session cookie, or AuthenticationError when it is unknown,
    ended, expired, or its user disabled."""
    ws = session.scalar(select(WebSession).where(WebSession.id_hash == _sha256(raw)))
    if ws is None or ws.ended_at is not None or ws.expires_at <= _now(clock):
        raise AuthenticationError("session expired; log in again")
    user = get_user(session, ws.user_id)
    if not user.is_active:
        raise AuthenticationError("session expired; log in again")
    return principal_for(session, user), ws


def end_web_session(session: Session, raw: str, *, clock: Clock | None = None) -> None:
    """Log out: the session id stops working at once (idempotent)."""
    ws = session.scalar(select(WebSession).where(WebSession.id_hash == _sha256(raw)))
    if ws is not None and ws.ended_at is None:
        ws.ended_at = _now(clock)
