"""Identity test factories, shared by the identity, API, web and CLI tests."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from secassist.core.clock import Clock
from secassist.identity import service
from secassist.identity.models import Organization, User
from secassist.identity.permissions import KIND_ROLES, OrgKind, Role, permissions_for
from secassist.identity.policy import Principal

PASSWORD = "correct horse battery staple"
# The role a test user gets when the test does not say.
DEFAULT_ROLE = {
    OrgKind.state: Role.policy_officer,
    OrgKind.dod: Role.case_manager,
    **{k: next(iter(rs)) for k, rs in KIND_ROLES.items() if len(rs) == 1},
}


def make_org(
    session: Session,
    name: str,
    kind: str,
    country: str | None = None,
    *,
    office: str | None = None,
    clock: Clock | None = None,
) -> Organization:
    return service.create_organization(
        session, actor=None, name=name, kind=kind, country_code=country, office=office, clock=clock
    )


def make_user(
    session: Session,
    org: Organization,
    username: str,
    roles: list[str] | None = None,
    *,
    password: str = PASSWORD,
    clock: Clock | None = None,
) -> User:
    if roles is None:
        roles = [DEFAULT_ROLE[OrgKind(org.kind)].value]
    return service.create_user(
        session,
        actor=None,
        username=username,
        display_name=username.title(),
        organization_id=org.id,
        roles=roles,
        password=password,
        clock=clock,
    )


def principal_of(session: Session, user: User) -> Principal:
    return service.principal_for(session, user)


def synthetic(
    kind: OrgKind,
    role: Role,
    *,
    user_id: int = 1,
    org_id: int = 1,
    country: str | None = None,
    permissions: frozenset[str] | None = None,
) -> Principal:
    """A principal without a database, for the pure policy tests."""
    if country is None and kind in (OrgKind.sco, OrgKind.partner):
        country = "PL"
    return Principal(
        user_id=user_id,
        username=f"{role.value}-{kind.value}",
        org_id=org_id,
        org_name=f"{kind.value} org",
        org_kind=kind,
        country=country,
        roles=frozenset({role}),
        permissions=permissions_for({role}) if permissions is None else permissions,
    )


def scoped(p: Principal, without: set[str]) -> Principal:
    """``p`` acting through a token whose scopes leave out ``without``."""
    return replace(p, permissions=p.permissions - without, via_token=True)


def office_reviewer(session: Session, office: str) -> Principal:
    """A State policy officer of the vetting review office ``office`` (its organization and
    user made on first use): who may sign off for that office."""
    from sqlalchemy import select

    from secassist.identity.models import User

    username = f"{office.replace('_', '-')}.reviewer"
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        org = make_org(session, f"State {office} office", "state", office=office)
        user = make_user(session, org, username, ["policy_officer"])
    return principal_of(session, user)
