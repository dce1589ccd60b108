"""Identity services: organizations, users, and the principal a user acts as.

Every state change writes exactly one audit entry through :func:`secassist.audit.service.record`.
Services take the session explicitly and never commit. Logins and web sessions are in
:mod:`.logins`, API tokens in :mod:`.tokens`.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import ConflictError, NotFoundError, UnknownCodeError, ValidationFailedError
from secassist.identity import passwords, token_cache
from secassist.identity.models import ApiToken, Organization, User, UserRole, WebSession
from secassist.identity.permissions import KIND_ROLES, REVIEW_OFFICES, OrgKind, Role, permissions_for
from secassist.identity.policy import Principal, actor_of, require_permission
from secassist.reference.models import CountryRow
from secassist.reference.service import get_reference
from secassist.reference.sync import sync_reference

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,63}$")
MAX_NAME = 200  # organization and display names (the columns' width)


def sha256_hex(raw: str) -> str:
    """The hex SHA-256 of a secret: what is stored of a token or a session id."""
    return hashlib.sha256(raw.encode()).hexdigest()


# --- organizations ---------------------------------------------------------------


def create_organization(
    session: Session,
    *,
    actor: Principal | None,
    name: str,
    kind: str,
    country_code: str | None = None,
    office: str | None = None,
    clock: Clock | None = None,
) -> Organization:
    """Create an organization; SCOs and partners must name their country, others must not.
    A State organization may be one of the vetting review offices (``office``, one of
    :data:`~secassist.identity.permissions.REVIEW_OFFICES`): its users sign off for it."""
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
    office = _review_office(org_kind, office)
    if session.scalar(select(Organization.id).where(Organization.name == name)) is not None:
        raise ConflictError(f"an organization named {name!r} already exists", field="name")
    org = Organization(
        name=name,
        kind=org_kind.value,
        country_code=country_code or None,
        office=office,
        created_at=now(clock),
    )
    add_recorded(
        session,
        [org],
        actor=actor_of(actor),
        tag="identity:organization:created",
        subject_type="organization",
        clock=clock,
    )
    return org


def _review_office(org_kind: OrgKind, office: str | None) -> str | None:
    """``office`` cleaned: ``None`` when blank; only a State organization is a review office."""
    office = (office or "").strip() or None
    if office is not None:
        if org_kind is not OrgKind.state:
            raise ValidationFailedError(
                f"office: a {org_kind.value} organization is no vetting review office", field="office"
            )
        if office not in REVIEW_OFFICES:
            raise ValidationFailedError(
                f"office: one of {', '.join(REVIEW_OFFICES)}, not {office!r}", field="office"
            )
    return office


def set_office(
    session: Session,
    *,
    actor: Principal | None,
    org_id: int,
    office: str,
    clock: Clock | None = None,
) -> Organization:
    """Name the vetting review office a State organization is, where none is recorded (an
    organization made before offices were, or without ``--office``): its users then, and
    only they, sign off for that office (Leahy vetting by the State bureaus, 22 U.S.C. 2378d;
    issue #16, separation of duties). An office already recorded is not overwritten
    (:class:`ConflictError`): moving sign-off authority between offices is not a correction
    to make in passing. One audit entry."""
    if actor is not None:
        require_permission(actor, "organization:write")
    org = get_organization(session, org_id)
    cleaned = _review_office(OrgKind(org.kind), office)
    if cleaned is None:
        raise ValidationFailedError("office: name the review office", field="office")
    if org.office is not None:
        raise ConflictError(
            f"office: {org.name} is already the {org.office} office; it is not changed", field="office"
        )
    org.office = cleaned
    add_recorded(
        session,
        [org],
        actor=actor_of(actor),
        tag="identity:organization:office_set",
        subject_type="organization",
        subject_id=org.id,
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


def roles_of(session: Session, user_id: int) -> frozenset[Role]:
    """The roles granted to the user ``user_id``."""
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
    os_user: str | None = None,
    clock: Clock | None = None,
) -> User:
    """Create a user in an organization with roles that organization's kind may grant;
    ``os_user`` maps an operating-system account to it for the command line."""
    if actor is not None:
        require_permission(actor, "user:write")
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise ValidationFailedError(
            "username: 3-64 characters, lowercase letters, digits, '.', '_' or '-', starting with a letter",
            field="username",
        )
    org = get_organization(session, organization_id)
    if not roles:
        raise ValidationFailedError("roles: a user needs at least one role", field="roles")
    if len(display_name.strip()) > MAX_NAME:
        raise ValidationFailedError(f"display_name: at most {MAX_NAME} characters", field="display_name")
    parsed = _granted(org, roles)
    passwords.check_strength(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"username {username!r} is taken", field="username")
    os_user = _free_os_user(session, os_user, None)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        organization_id=org.id,
        password_hash=passwords.hash_password(password),
        is_active=True,
        failed_logins=0,
        locked_until=None,
        created_at=now(clock),
        last_login_at=None,
        os_user=os_user,
    )
    session.add(user)
    session.flush()
    role_rows = [UserRole(user_id=user.id, role=r.value) for r in parsed]
    add_recorded(
        session,
        [user, *role_rows],
        actor=actor_of(actor),
        tag="identity:user:created",
        subject_type="user",
        subject_id=user.id,
        clock=clock,
    )
    return user


OS_USER = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._@$-]{0,63}$")


def _free_os_user(session: Session, os_user: str | None, user_id: int | None) -> str | None:
    """A well-formed operating-system account name no other user is mapped to."""
    name = (os_user or "").strip()
    if not name:
        return None
    if not OS_USER.match(name):
        raise ValidationFailedError(f"os_user: {name!r} is not an account name", field="os_user")
    holder = session.scalar(select(User).where(User.os_user == name))
    if holder is not None and holder.id != user_id:
        raise ConflictError(f"os_user: {name!r} is already mapped to {holder.username}", field="os_user")
    return name


def set_os_user(
    session: Session,
    *,
    actor: Principal | None,
    user_id: int,
    os_user: str | None,
    clock: Clock | None = None,
) -> User:
    """Map an operating-system account to a user (``None`` removes the mapping): the
    command line acts as that user when run from that account without ``--as``."""
    if actor is not None:
        require_permission(actor, "user:admin")
    user = get_user(session, user_id)
    user.os_user = _free_os_user(session, os_user, user.id)
    add_recorded(
        session,
        [user],
        actor=actor_of(actor),
        tag="identity:user:os_user_set",
        subject_type="user",
        subject_id=user.id,
        clock=clock,
    )
    return user


def user_by_os_user(session: Session, os_user: str) -> User | None:
    """The user an operating-system account is mapped to, if any."""
    return session.scalar(select(User).where(User.os_user == os_user))


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
    token_cache.forget_on_commit(session)
    at = now(clock)
    changed: list[ApiToken] = []
    if not active:
        for s in session.scalars(
            select(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
        ):
            s.ended_at = at
        for t in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            t.revoked_at = at
            changed.append(t)
    add_recorded(
        session,
        [user, *changed],
        actor=actor_of(actor),
        tag="identity:user:disabled" if not active else "identity:user:enabled",
        subject_type="user",
        subject_id=user.id,
        clock=clock,
    )
    return user


def _granted(org: Organization, roles: list[str]) -> list[Role]:
    """``roles`` parsed, each one the organization's kind may grant (one role at least)."""
    allowed = KIND_ROLES[OrgKind(org.kind)]
    if not roles:
        raise ValidationFailedError("roles: a user needs at least one role", field="roles")
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
    return sorted(set(parsed))


def set_roles(
    session: Session,
    *,
    actor: Principal | None,
    user_id: int,
    organization_id: int,
    roles: list[str],
    clock: Clock | None = None,
) -> User:
    """Move a user to an organization and/or change their roles (those the organization's
    kind may grant). Their web sessions and tokens stay: each request recomputes the
    permissions from the roles (a token's within ``token_cache.TTL_SECONDS`` in other
    processes, at once in this one), and a token never carries more than its user now holds.
    An administrator cannot take the admin role from themself (the last way back in)."""
    if actor is not None:
        require_permission(actor, "user:admin")
    user = get_user(session, user_id)
    org = get_organization(session, organization_id)
    wanted = _granted(org, roles)
    if actor is not None and actor.user_id == user.id and Role.admin not in wanted:
        raise ValidationFailedError("roles: you cannot take the admin role from yourself", field="roles")
    current = {r.role: r for r in session.scalars(select(UserRole).where(UserRole.user_id == user.id))}
    names = {r.value for r in wanted}
    # Only the roles that change: a kept role's row is neither deleted nor re-added, so
    # the log's last image of every row stays the row as it is.
    removed = [row for name, row in current.items() if name not in names]
    added = [UserRole(user_id=user.id, role=name) for name in sorted(names - current.keys())]
    if user.organization_id == org.id and not removed and not added:
        return user
    for row in removed:
        session.delete(row)
    session.flush()
    user.organization_id = org.id
    token_cache.forget_on_commit(session)
    add_recorded(
        session,
        [user, *added],
        actor=actor_of(actor),
        tag="identity:user:roles_changed",
        subject_type="user",
        subject_id=user.id,
        deleted=removed,
        clock=clock,
    )
    return user


def unlock(session: Session, *, actor: Principal | None, user_id: int, clock: Clock | None = None) -> User:
    """Lift a lockout after repeated failed logins before it runs out (NIST SP 800-63B
    §5.2.2 leaves the unlock to the administrator); the failure count starts again."""
    if actor is not None:
        require_permission(actor, "user:admin")
    user = get_user(session, user_id)
    if user.locked_until is None and user.failed_logins == 0:
        return user
    user.locked_until = None
    user.failed_logins = 0
    add_recorded(
        session,
        [user],
        actor=actor_of(actor),
        tag="identity:user:unlocked",
        subject_type="user",
        subject_id=user.id,
        clock=clock,
    )
    return user


def principal_for(session: Session, user: User, *, scopes: frozenset[str] | None = None) -> Principal:
    """The principal of ``user``: its organization, roles and permissions (narrowed to
    ``scopes`` when acting through a token)."""
    org = get_organization(session, user.organization_id)
    roles = roles_of(session, user.id)
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
