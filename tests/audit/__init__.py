"""Audit log tests, and the small factories they share with the audit CLI and API tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from secassist.core.config import Settings
from secassist.core.errors import NotFoundError
from secassist.identity import service as identity
from secassist.identity.tokens import issue_token
from secassist.storage.uow import unit_of_work

PASSWORD = "correct horse battery staple"
AUDIT_KEY_DIR = "audit-keys"


def key_settings(settings: Settings, backend: str, tmp_path: Path) -> Settings:
    """Settings whose audit keys have a home: on SQLite the directory beside the database
    file (the default under test); on PostgreSQL ``tmp_path/audit-keys``, as
    SECASSIST_AUDIT_KEY_PATH (see :func:`key_env`)."""
    if backend == "sqlite":
        return settings
    return settings.model_copy(update={"audit_key_path": tmp_path / AUDIT_KEY_DIR})


def key_env(env: dict[str, str], backend: str, tmp_path: Path) -> dict[str, str]:
    """The subprocess environment matching :func:`key_settings`."""
    if backend == "sqlite":
        return env
    return {**env, "SECASSIST_AUDIT_KEY_PATH": str(tmp_path / AUDIT_KEY_DIR)}


TEST_BUREAU = "Test Bureau (audit tests)"


@dataclass(frozen=True)
class Person:
    org_id: int
    user_id: int
    username: str


def make_person(
    factory: sessionmaker[Session],
    *,
    username: str,
    org: str,
    kind: str,
    roles: list[str],
    country: str | None = None,
) -> Person:
    """An organization (created when missing) and a user in it, through the services."""
    with unit_of_work(factory) as s:
        try:
            o = identity.organization_by_name(s, org)
        except NotFoundError:
            o = identity.create_organization(s, actor=None, name=org, kind=kind, country_code=country)
        u = identity.create_user(
            s,
            actor=None,
            username=username,
            display_name=username.title(),
            organization_id=o.id,
            roles=roles,
            password=PASSWORD,
        )
        return Person(org_id=o.id, user_id=u.id, username=u.username)


def seed(factory: sessionmaker[Session]) -> Person:
    """A State PM organization with one administrator, on top of the demo data: callers ask
    for the ``demo_db`` fixture, so the database starts as a copy of the demo template."""
    return make_person(factory, username="alice", org=TEST_BUREAU, kind="state", roles=["admin"])


def token_for(factory: sessionmaker[Session], user_id: int) -> str:
    """A bearer token for ``user_id`` with all of the user's permissions."""
    with unit_of_work(factory) as s:
        raw, _ = issue_token(s, actor=None, user_id=user_id, name="tests")
        return raw
