"""Input and read shapes of identity: organizations, users, the caller, API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from secassist.identity.tokens import MAX_TOKEN_DAYS, MAX_TOKEN_NAME


class OrganizationOut(BaseModel):
    id: int
    name: str
    kind: str
    country: str | None
    created_at: datetime


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    organization_id: int
    roles: list[str]
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class MeUser(BaseModel):
    id: int
    username: str
    display_name: str


class MeOrganization(BaseModel):
    id: int
    name: str
    kind: str
    country: str | None


class MeOut(BaseModel):
    user: MeUser
    organization: MeOrganization
    roles: list[str]
    permissions: list[str]
    via_token: bool


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_TOKEN_NAME)
    scopes: list[str] | None = Field(
        default=None, description="Permissions to carry (default: all of yours)."
    )
    days: int = Field(default=90, ge=1, le=MAX_TOKEN_DAYS)


class TokenOut(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: str


class IssuedTokenOut(TokenOut):
    token: str = Field(description="The bearer token. Shown once: only its hash is stored.")
