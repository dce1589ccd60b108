"""Who am I, organizations, users and API tokens.

Reads go through :mod:`secassist.identity.queries`, whose queries are scoped by the access
policy: an id outside the caller's scope answers 404 with the same body as an id that
does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from secassist.core.clock import now
from secassist.http.deps import PrincipalDep, ReadSessionDep, WriterDep, WriteSessionDep
from secassist.http.params import Id, IdFilter
from secassist.identity import queries, service
from secassist.identity import tokens as token_service
from secassist.identity.models import ApiToken, Organization, User
from secassist.identity.schemas import (
    IssuedTokenOut,
    MeOrganization,
    MeOut,
    MeUser,
    OrganizationOut,
    TokenIn,
    TokenOut,
    UserOut,
)

router = APIRouter(tags=["identity"])

# Commits before the response is sent (FastAPI's default "request" scope would commit
# after it: a client could be told 201 about a token that then fails to commit).


def _org_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(
        id=org.id, name=org.name, kind=org.kind, country=org.country_code, created_at=org.created_at
    )


def _user_out(user: User, roles: list[str]) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        organization_id=user.organization_id,
        roles=roles,
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        user_id=token.user_id,
        name=token.name,
        prefix=token.prefix,
        scopes=token.scopes.split(),
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        status=queries.token_status(token, now()),
    )


@router.get("/auth/me", response_model=MeOut)
def me(principal: PrincipalDep, session: ReadSessionDep) -> MeOut:
    """The caller: user, organization (kind, country), roles and effective permissions."""
    user = service.get_user(session, principal.user_id)
    return MeOut(
        user=MeUser(id=user.id, username=user.username, display_name=user.display_name),
        organization=MeOrganization(
            id=principal.org_id,
            name=principal.org_name,
            kind=principal.org_kind.value,
            country=principal.country,
        ),
        roles=sorted(r.value for r in principal.roles),
        permissions=sorted(principal.permissions),
        via_token=principal.via_token,
    )


@router.get("/organizations", response_model=list[OrganizationOut])
def organizations(
    principal: PrincipalDep, session: ReadSessionDep, kind: str | None = None
) -> list[OrganizationOut]:
    """The organizations the caller may see."""
    return [_org_out(o) for o in queries.list_organizations(session, actor=principal, kind=kind)]


@router.get("/organizations/{org_id}", response_model=OrganizationOut)
def organization(org_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> OrganizationOut:
    """One organization; 404 when it does not exist or is outside the caller's scope."""
    return _org_out(queries.visible_organization(session, actor=principal, org_id=org_id))


@router.get("/users", response_model=list[UserOut])
def users(
    principal: PrincipalDep, session: ReadSessionDep, organization_id: IdFilter = None
) -> list[UserOut]:
    """The users the caller may see."""
    found = queries.list_users(session, actor=principal, organization_id=organization_id)
    roles = queries.roles_by_user(session, [u.id for u in found])
    return [_user_out(u, roles[u.id]) for u in found]


@router.get("/users/{user_id}", response_model=UserOut)
def user(user_id: Id, principal: PrincipalDep, session: ReadSessionDep) -> UserOut:
    """One user; 404 when it does not exist or is outside the caller's scope."""
    found = queries.visible_user(session, actor=principal, user_id=user_id)
    return _user_out(found, queries.roles_by_user(session, [found.id])[found.id])


@router.get("/tokens", response_model=list[TokenOut])
def tokens(principal: PrincipalDep, session: ReadSessionDep) -> list[TokenOut]:
    """The caller's own tokens (an administrator's: everyone's). Never the hashes."""
    return [_token_out(t) for t in queries.list_tokens(session, actor=principal)]


@router.post("/tokens", response_model=IssuedTokenOut, status_code=status.HTTP_201_CREATED)
def issue_token(
    body: TokenIn, request: Request, principal: WriterDep, session: WriteSessionDep
) -> IssuedTokenOut:
    """Issue a bearer token for yourself, narrowed to ``scopes``; the token is shown once."""
    raw, token = token_service.issue_token(
        session,
        actor=principal,
        user_id=principal.user_id,
        name=body.name,
        scopes=body.scopes,
        days=body.days,
    )
    return IssuedTokenOut(token=raw, **_token_out(token).model_dump())


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: Id, request: Request, principal: WriterDep, session: WriteSessionDep) -> Response:
    """Revoke one of your tokens (an administrator: anyone's); 404 for anyone else's."""
    token_service.revoke_token(session, actor=principal, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
