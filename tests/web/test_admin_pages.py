"""Administration through the app on the demo dataset: users (add, change organization and
roles, disable and enable, lift a lockout), organizations and API tokens (the secret shown
once; revoking asks once) — for administrators only. Refused input comes back (422) with
the error beside its field and nothing written; other roles see no link, get a 404 page
and have their posts refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.keys import TrustedKeys
from secassist.audit.verify import verify_log
from secassist.core.clock import now
from secassist.identity import queries
from secassist.identity import service as identity
from secassist.identity.tokens import principal_from_token
from secassist.storage.uow import read_only, unit_of_work
from tests.web.test_funds_pages import audit_count, confirm_values, error, login

pytestmark = pytest.mark.usefixtures("demo_db")

PASSWORD = "correct horse battery staple"


def _org_id(factory: sessionmaker[Session], name: str) -> int:
    with read_only(factory) as s:
        return identity.organization_by_name(s, name).id


def _user(factory: sessionmaker[Session], username: str) -> tuple[int, bool, list[str], int]:
    with read_only(factory) as s:
        u = identity.user_by_name(s, username)
        return u.id, u.is_active, queries.roles_by_user(s, [u.id])[u.id], u.organization_id


def test_add_a_user_refused_beside_the_field_then_added(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "pm.admin")
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert 'data-testid="user-pl.mod"' in page.text
    assert 'href="/admin/users"' in page.text  # the nav's Administration link
    dsca = str(_org_id(session_factory, "Defense Security Cooperation Agency (DSCA)"))
    body = {"csrf": csrf, "username": "new.case", "display_name": "Nia Case", "organization": dsca,
            "roles": ["policy_officer"], "password": PASSWORD, "password2": PASSWORD}  # fmt: skip
    before = audit_count(session_factory)
    r = client.post("/admin/users", data=body)
    assert r.status_code == 422
    assert "cannot grant policy_officer" in error(r.text, "roles")
    assert 'value="new.case"' in r.text
    assert PASSWORD not in r.text  # a password is never sent back
    r = client.post("/admin/users", data={**body, "roles": ["case_manager"], "password2": "other"})
    assert r.status_code == 422
    assert "differ" in error(r.text, "password2")
    r = client.post("/admin/users", data={**body, "roles": ["case_manager"], "username": "pl.mod"})
    assert r.status_code == 422
    assert "taken" in error(r.text, "username")
    assert audit_count(session_factory) == before
    r = client.post("/admin/users", data={**body, "roles": ["case_manager", "eum_monitor"]})
    assert r.status_code == 200
    assert "Added user new.case." in r.text
    assert 'data-testid="roles">case manager, eum monitor<' in r.text
    assert audit_count(session_factory) == before + 1


def test_roles_and_organization_change_and_the_last_admin_keeps_admin(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "pm.admin")
    uid, _, roles, _ = _user(session_factory, "army.eum")
    assert roles == ["eum_monitor"]
    dsca = str(_org_id(session_factory, "Defense Security Cooperation Agency (DSCA)"))
    r = client.post(
        f"/admin/users/{uid}/roles", data={"csrf": csrf, "organization": dsca, "roles": ["auditor"]}
    )
    assert r.status_code == 422
    assert "cannot grant auditor" in error(r.text, "roles")
    r = client.post(
        f"/admin/users/{uid}/roles",
        data={"csrf": csrf, "organization": dsca, "roles": ["eum_monitor", "case_manager"]},
    )
    assert "Saved army.eum" in r.text
    _, _, roles, org = _user(session_factory, "army.eum")
    assert roles == ["case_manager", "eum_monitor"]
    assert org == int(dsca)
    me, _, _, state = _user(session_factory, "pm.admin")
    r = client.post(
        f"/admin/users/{me}/roles",
        data={"csrf": csrf, "organization": str(state), "roles": ["policy_officer"]},
    )
    assert r.status_code == 422
    assert "admin role from yourself" in error(r.text, "roles")
    assert _user(session_factory, "pm.admin")[2] == ["admin"]
    with read_only(session_factory) as s:  # every role row matches its last image in the log
        assert verify_log(s, keys=TrustedKeys.none()).ok


def test_disable_asks_once_and_unlock_lifts_a_lockout(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "pm.admin")
    uid, _, _, _ = _user(session_factory, "jp.mod")
    before = audit_count(session_factory)
    asked = client.post(f"/admin/users/{uid}/active", data={"csrf": csrf, "active": "no"})
    assert 'data-testid="confirm-summary">Disable jp.mod<' in asked.text
    assert "revoked" in asked.text
    assert _user(session_factory, "jp.mod")[1] is True
    assert audit_count(session_factory) == before
    done = client.post(f"/admin/users/{uid}/active", data=confirm_values(asked.text))
    assert "Disabled jp.mod." in done.text
    assert 'data-testid="state">disabled<' in done.text
    assert _user(session_factory, "jp.mod")[1] is False
    done = client.post(f"/admin/users/{uid}/active", data={"csrf": csrf, "active": "yes"})
    assert "Enabled jp.mod." in done.text
    assert _user(session_factory, "jp.mod")[1] is True
    me = _user(session_factory, "pm.admin")[0]
    r = client.post(f"/admin/users/{me}/active", data={"csrf": csrf, "active": "no"})
    assert r.status_code == 422
    assert "your own account" in error(r.text, "form")
    assert 'value="admin" checked' in r.text  # the roles form still shows the roles held

    with unit_of_work(session_factory) as s:
        identity.user_by_name(s, "jp.mod").locked_until = now() + timedelta(minutes=10)
    page = client.get(f"/admin/users/{uid}").text
    assert "locked after failed logins" in page
    done = client.post(f"/admin/users/{uid}/unlock", data={"csrf": csrf})
    assert "Lifted jp.mod&#39;s lockout." in done.text or "Lifted jp.mod's lockout." in done.text
    assert 'data-testid="state">active<' in done.text


def test_organizations(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    csrf = login(client, session_factory, "pm.admin")
    body = {"csrf": csrf, "name": "Ministry of Defence of Estonia", "kind": "partner", "country": ""}
    r = client.post("/admin/organizations", data=body)
    assert r.status_code == 422
    assert "needs a country" in error(r.text, "country")
    assert 'value="Ministry of Defence of Estonia"' in r.text
    r = client.post("/admin/organizations", data={**body, "country": "EE"})
    assert "Added the organization Ministry of Defence of Estonia." in r.text
    assert "Estonia (EE)" in r.text


def test_a_token_secret_is_shown_once_and_revoking_asks_once(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "pm.admin")
    uid = _user(session_factory, "pl.mod")[0]
    body = {"csrf": csrf, "user": str(uid), "name": "inventory upload", "days": "30",
            "scopes": ["equipment:read", "equipment:write", "program:write"]}  # fmt: skip
    r = client.post("/admin/tokens", data=body)
    assert r.status_code == 422
    assert "does not hold 'program:write'" in error(r.text, "scopes")
    assert 'value="inventory upload"' in r.text
    r = client.post("/admin/tokens", data={**body, "scopes": ["equipment:read", "equipment:write"]})
    assert r.status_code == 201
    assert r.headers["cache-control"] == "no-store"
    secret = r.text.split('data-testid="secret">')[1].split("<")[0]
    assert secret.startswith("sa_")
    with read_only(session_factory) as s:
        p = principal_from_token(s, secret)
        assert p.permissions == frozenset({"equipment:read", "equipment:write"})
        token_id = queries.list_tokens(s, actor=None, user_id=uid)[0].id
    listing = client.get("/admin/tokens").text
    assert secret not in listing  # shown once
    assert f'data-testid="token-{token_id}"' in listing
    asked = client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf": csrf})
    assert f"Revoke token {token_id} (inventory upload" in asked.text
    with read_only(session_factory) as s:
        principal_from_token(s, secret)  # still works until confirmed
    done = client.post(f"/admin/tokens/{token_id}/revoke", data=confirm_values(asked.text))
    assert f"Revoked token {token_id}." in done.text
    with read_only(session_factory) as s, pytest.raises(Exception, match="invalid or expired"):
        principal_from_token(s, secret)


def test_only_administrators(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    uid = _user(session_factory, "jp.mod")[0]
    before = audit_count(session_factory)
    for username in ("pm.officer", "ig.auditor", "pl.mod"):
        csrf = login(client, session_factory, username)
        assert 'href="/admin/users"' not in client.get("/").text
        for path in ("/admin/users", f"/admin/users/{uid}", "/admin/organizations", "/admin/tokens"):
            assert client.get(path).status_code == 404, (username, path)
        assert (
            client.post(f"/admin/users/{uid}/active", data={"csrf": csrf, "active": "no"}).status_code == 403
        )
        r = client.post("/admin/organizations", data={"csrf": csrf, "name": "X", "kind": "state"})
        assert r.status_code == 403
    assert audit_count(session_factory) == before
    assert _user(session_factory, "jp.mod")[1] is True
