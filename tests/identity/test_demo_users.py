"""The demo dataset's organizations and users: one per stakeholder kind, idempotent, audited."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.demo.dataset import DEMO_LOGINS, DEMO_ORGS, DEMO_USERS, load_demo
from secassist.identity.logins import authenticate
from secassist.identity.models import Organization, User
from secassist.identity.passwords import MIN_LENGTH
from secassist.identity.permissions import OrgKind
from secassist.storage.uow import read_only, unit_of_work
from tests.support import run_cli


def test_one_user_per_stakeholder_kind(
    session_factory: sessionmaker[Session], tags: Callable[[], list[str]], audit_ok: Callable[[], None]
) -> None:
    with unit_of_work(session_factory) as s:
        first = load_demo(s)
    assert f"organizations: {len(DEMO_ORGS)} created" in first
    assert f"users: {len(DEMO_USERS)} created" in first
    with read_only(session_factory) as s:
        kinds = {
            OrgKind(k)
            for k in s.scalars(select(Organization.kind).join(User, User.organization_id == Organization.id))
        }
        assert kinds == set(OrgKind)
        countries = set(s.scalars(select(Organization.country_code).where(Organization.kind == "partner")))
        assert {"PL", "JP"} <= countries
    logged = tags()
    assert logged.count("identity:organization:created") == len(DEMO_ORGS)
    assert logged.count("identity:user:created") == len(DEMO_USERS)
    audit_ok()


def test_demo_load_is_idempotent(
    session_factory: sessionmaker[Session], tags: Callable[[], list[str]]
) -> None:
    with unit_of_work(session_factory) as s:
        load_demo(s)
    before = len(tags())
    with unit_of_work(session_factory) as s:
        second = load_demo(s)
    assert f"organizations: 0 created, {len(DEMO_ORGS)} present" in second
    assert f"users: 0 created, {len(DEMO_USERS)} present" in second
    assert len(tags()) == before
    with read_only(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)


def test_every_demo_login_works(session_factory: sessionmaker[Session], demo_db: None) -> None:
    assert [u for u, _, _ in DEMO_LOGINS] == [u.username for u in DEMO_USERS]
    for username, password, org in DEMO_LOGINS:
        assert len(password) >= MIN_LENGTH
        assert password.startswith("demo-")
        with unit_of_work(session_factory) as s:
            result = authenticate(s, username=username, password=password)
        assert result.principal is not None, username
        assert result.principal.org_name == org


def test_cli_prints_the_demo_logins(app_env: dict[str, str]) -> None:
    proc = run_cli(app_env, "demo", "logins")
    assert proc.returncode == 0, proc.stderr
    for username, password, org in DEMO_LOGINS:
        assert f"{username} " in proc.stdout
        assert password in proc.stdout
        assert org in proc.stdout


def test_cli_refuses_the_demo_in_production(app_env: dict[str, str]) -> None:
    env = {**app_env, "SECASSIST_ENV": "production", "SECASSIST_SECRET_KEY": "s" * 16 + "t" * 16 + "u" * 8}
    proc = run_cli(env, "demo", "load")
    assert proc.returncode == 78, proc.stderr
    assert "published passwords" in proc.stderr
    assert "Traceback" not in proc.stderr
