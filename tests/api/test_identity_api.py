"""The identity API over the demo dataset: who am I, scoped organizations and users,
cross-country id guessing (404, the same body as a missing id), tokens."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.http.deps import SESSION_COOKIE
from secassist.identity import service
from secassist.identity.logins import start_web_session
from secassist.identity.models import ApiToken, Organization, User
from secassist.identity.permissions import Role, permissions_for
from secassist.identity.tokens import issue_token, revoke_token
from secassist.storage.uow import read_only, unit_of_work
from tests.api.test_errors import assert_problem

API = "/api/v1"
MISSING = 10_000


@pytest.fixture
def demo(session_factory: sessionmaker[Session], demo_db: None) -> dict[str, Any]:
    """The demo dataset; organizations and users by name, with their ids."""
    with read_only(session_factory) as s:
        orgs = {o.name: (o.id, o.country_code) for o in s.scalars(select(Organization))}
        users = {u.username: (u.id, u.organization_id) for u in s.scalars(select(User))}
    return {"orgs": orgs, "users": users}


@pytest.fixture
def token_for(session_factory: sessionmaker[Session], demo: dict[str, Any]) -> Any:
    """Issue a token (from the console) for a demo user; returns the Authorization header."""

    def issue(username: str, scopes: list[str] | None = None) -> dict[str, str]:
        with unit_of_work(session_factory) as s:
            raw, _ = issue_token(
                s, actor=None, user_id=service.user_by_name(s, username).id, name="test", scopes=scopes
            )
        return {"Authorization": f"Bearer {raw}"}

    return issue


def ids_answering_200(client: TestClient, headers: dict[str, str], path: str, ids: list[int]) -> set[int]:
    found = set()
    for i in ids:
        r = client.get(f"{API}/{path}/{i}", headers=headers)
        assert r.status_code in (200, 404), r.text
        if r.status_code == 200:
            assert r.json()["id"] == i
            found.add(i)
    return found


# --- anonymous -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/me"),
        ("GET", "/organizations"),
        ("GET", "/organizations/1"),
        ("GET", "/users"),
        ("GET", "/users/1"),
        ("GET", "/tokens"),
        ("POST", "/tokens"),
        ("DELETE", "/tokens/1"),
    ],
)
def test_anonymous_is_401(client: TestClient, demo: dict[str, Any], method: str, path: str) -> None:
    r = client.request(method, f"{API}{path}", json={"name": "x"} if method == "POST" else None)
    assert_problem(r, 401, "auth.failed")


@pytest.mark.parametrize(
    "authorization", ["Basic cGw6cGw=", "Bearer", "Bearer sa_not-a-token", "Bearer garbage", "sa_raw"]
)
def test_bad_credentials_are_401_alike(client: TestClient, demo: dict[str, Any], authorization: str) -> None:
    r = client.get(f"{API}/auth/me", headers={"Authorization": authorization})
    assert_problem(r, 401, "auth.failed")


def test_revoked_and_unknown_tokens_get_the_same_answer(
    client: TestClient, session_factory: sessionmaker[Session], token_for: Any
) -> None:
    headers = token_for("pl.mod")
    with unit_of_work(session_factory) as s:
        token_id = s.scalars(select(ApiToken.id)).one()
        revoke_token(s, actor=None, token_id=token_id)
    revoked = client.get(f"{API}/auth/me", headers=headers)
    unknown = client.get(f"{API}/auth/me", headers={"Authorization": "Bearer sa_unknown"})
    assert_problem(revoked, 401, "auth.failed")
    assert revoked.content == unknown.content


# --- who am I ------------------------------------------------------------------------------


def test_me(client: TestClient, demo: dict[str, Any], token_for: Any) -> None:
    r = client.get(f"{API}/auth/me", headers=token_for("pl.mod"))
    assert r.status_code == 200, r.text
    body = r.json()
    org_id, country = demo["orgs"]["Ministry of National Defence of Poland"]
    assert body["user"] == {
        "id": demo["users"]["pl.mod"][0],
        "username": "pl.mod",
        "display_name": "Anna Nowak (Poland MoD)",
    }
    assert body["organization"] == {
        "id": org_id,
        "name": "Ministry of National Defence of Poland",
        "kind": "partner",
        "country": country,
    }
    assert body["roles"] == ["partner_staff"]
    assert body["permissions"] == sorted(permissions_for({Role.partner_staff}))
    assert body["via_token"] is True


# --- cross-country id guessing -------------------------------------------------------------


@pytest.mark.parametrize(("me", "mine", "them"), [("pl.mod", "PL", "JP"), ("jp.mod", "JP", "PL")])
def test_partner_guessing_ids_gets_404_outside_its_country(
    client: TestClient, demo: dict[str, Any], token_for: Any, me: str, mine: str, them: str
) -> None:
    headers = token_for(me)
    my_org = demo["users"][me][1]
    all_org_ids = sorted(i for i, _ in demo["orgs"].values())
    all_user_ids = sorted(i for i, _ in demo["users"].values())
    probe_orgs = [*all_org_ids, max(all_org_ids) + 1, MISSING]
    probe_users = [*all_user_ids, max(all_user_ids) + 1, MISSING]

    # Organizations: its own and the others of its own country (its SCO); users: its own org's.
    same_country = {i for i, c in demo["orgs"].values() if c == mine}
    assert my_org in same_country
    assert ids_answering_200(client, headers, "organizations", probe_orgs) == same_country
    mine_users = {i for i, org in demo["users"].values() if org == my_org}
    assert ids_answering_200(client, headers, "users", probe_users) == mine_users

    # The other country's records look exactly like records that do not exist.
    missing_org = client.get(f"{API}/organizations/{MISSING}", headers=headers)
    missing_user = client.get(f"{API}/users/{MISSING}", headers=headers)
    assert_problem(missing_org, 404, "not_found")
    assert_problem(missing_user, 404, "not_found")
    for org_id, country in demo["orgs"].values():
        if country == them:
            r = client.get(f"{API}/organizations/{org_id}", headers=headers)
            assert (r.status_code, r.content, r.headers["content-type"]) == (
                404,
                missing_org.content,
                missing_org.headers["content-type"],
            )
    for user_id, org_id in demo["users"].values():
        if org_id != my_org:
            r = client.get(f"{API}/users/{user_id}", headers=headers)
            assert (r.status_code, r.content) == (404, missing_user.content)

    # And the lists agree with the ids.
    assert {o["id"] for o in client.get(f"{API}/organizations", headers=headers).json()} == same_country
    assert {u["id"] for u in client.get(f"{API}/users", headers=headers).json()} == mine_users


def test_sco_sees_its_country_and_its_own_people(
    client: TestClient, demo: dict[str, Any], token_for: Any
) -> None:
    headers = token_for("odc.poland")
    orgs = client.get(f"{API}/organizations", headers=headers).json()
    assert {o["country"] for o in orgs} == {"PL"}
    users = client.get(f"{API}/users", headers=headers).json()
    assert [u["username"] for u in users] == ["odc.poland"]


@pytest.mark.parametrize("username", ["pm.officer", "dsca.case", "ig.auditor"])
def test_state_dod_and_auditors_see_everyone(
    client: TestClient, demo: dict[str, Any], token_for: Any, username: str
) -> None:
    headers = token_for(username)
    assert len(client.get(f"{API}/organizations", headers=headers).json()) == len(demo["orgs"])
    users = client.get(f"{API}/users", headers=headers).json()
    assert len(users) == len(demo["users"])
    assert not any("password" in key or "hash" in key for u in users for key in u)
    jp = demo["users"]["jp.mod"][0]
    assert client.get(f"{API}/users/{jp}", headers=headers).json()["roles"] == ["partner_staff"]


@pytest.mark.parametrize("username", ["hfac.staff", "nds.contracts"])
def test_congress_and_industry_see_only_their_own_organization(
    client: TestClient, demo: dict[str, Any], token_for: Any, username: str
) -> None:
    headers = token_for(username)
    me, my_org = demo["users"][username]
    assert [o["id"] for o in client.get(f"{API}/organizations", headers=headers).json()] == [my_org]
    assert client.get(f"{API}/users", headers=headers).json() == []
    assert_problem(client.get(f"{API}/users/{me}", headers=headers), 404, "not_found")
    assert client.get(f"{API}/auth/me", headers=headers).json()["user"]["id"] == me


def test_a_narrow_token_sees_less(client: TestClient, demo: dict[str, Any], token_for: Any) -> None:
    headers = token_for("pl.mod", scopes=["case:read"])
    me, my_org = demo["users"]["pl.mod"]
    sco = demo["orgs"]["Office of Defense Cooperation Poland (SCO)"][0]
    assert client.get(f"{API}/auth/me", headers=headers).json()["permissions"] == ["case:read"]
    assert client.get(f"{API}/organizations/{my_org}", headers=headers).status_code == 200
    # Without organization:read / user:read the policy hides the records: 404, not 403.
    assert_problem(client.get(f"{API}/organizations/{sco}", headers=headers), 404, "not_found")
    assert_problem(client.get(f"{API}/users/{me}", headers=headers), 404, "not_found")
    assert client.get(f"{API}/users", headers=headers).json() == []
    # Without token:write it cannot issue tokens: the action is refused, 403.
    assert_problem(
        client.post(f"{API}/tokens", json={"name": "more"}, headers=headers), 403, "permission.denied"
    )


# --- tokens over the API -------------------------------------------------------------------


def test_issue_use_list_and_revoke_a_token(
    client: TestClient, session_factory: sessionmaker[Session], demo: dict[str, Any], token_for: Any
) -> None:
    headers = token_for("pl.mod")
    r = client.post(
        f"{API}/tokens",
        json={"name": "laptop", "scopes": ["case:read", "user:read"], "days": 7},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["scopes"] == ["case:read", "user:read"]
    assert issued["status"] == "active"
    assert issued["user_id"] == demo["users"]["pl.mod"][0]
    new = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get(f"{API}/auth/me", headers=new).json()["permissions"] == ["case:read", "user:read"]
    with read_only(session_factory) as s:
        assert (
            s.scalars(select(AuditEntry.tag).order_by(AuditEntry.seq.desc()).limit(1)).one()
            == "identity:token:issued"
        )

    listed = client.get(f"{API}/tokens", headers=headers)
    assert {t["id"] for t in listed.json()} == {issued["id"], issued["id"] - 1}
    assert issued["token"] not in listed.text
    assert hashlib.sha256(issued["token"].encode()).hexdigest() not in listed.text
    assert "hash" not in listed.text

    assert client.delete(f"{API}/tokens/{issued['id']}", headers=headers).status_code == 204
    assert_problem(client.get(f"{API}/auth/me", headers=new), 401, "auth.failed")
    assert client.delete(f"{API}/tokens/{issued['id']}", headers=headers).status_code == 204  # idempotent


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["case:approve"]}, "scopes"),
        ({"name": "x", "scopes": ["nope:read"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),  # empty grants nothing: refused, not "all"
        ({"name": "x", "days": 0}, "days"),
        ({"name": "x", "days": 366}, "days"),
        ({"name": ""}, "name"),
        ({}, "name"),
    ],
)
def test_issue_token_validation(client: TestClient, token_for: Any, body: dict[str, Any], field: str) -> None:
    r = client.post(f"{API}/tokens", json=body, headers=token_for("pl.mod"))
    problem = assert_problem(r, 422, "validation.failed")
    assert [e["field"] for e in problem["errors"]] == [field]


def test_auditors_cannot_issue_tokens(client: TestClient, token_for: Any) -> None:
    r = client.post(f"{API}/tokens", json={"name": "x"}, headers=token_for("ig.auditor"))
    assert_problem(r, 403, "permission.denied")


def test_revoking_someone_elses_token_is_404_unless_admin(
    client: TestClient, session_factory: sessionmaker[Session], token_for: Any
) -> None:
    victim = token_for("jp.mod")
    with read_only(session_factory) as s:
        victim_id = s.scalars(select(ApiToken.id)).one()
    attacker = token_for("pl.mod")
    r = client.delete(f"{API}/tokens/{victim_id}", headers=attacker)
    missing = client.delete(f"{API}/tokens/{MISSING}", headers=attacker)
    assert_problem(r, 404, "not_found")
    assert r.content == missing.content
    assert client.get(f"{API}/auth/me", headers=victim).status_code == 200
    assert client.delete(f"{API}/tokens/{victim_id}", headers=token_for("pm.admin")).status_code == 204
    assert_problem(client.get(f"{API}/auth/me", headers=victim), 401, "auth.failed")


def test_a_browser_session_must_send_the_csrf_header_to_change_state(
    client: TestClient, session_factory: sessionmaker[Session], demo: dict[str, Any]
) -> None:
    with unit_of_work(session_factory) as s:
        raw, ws = start_web_session(s, user_id=demo["users"]["pl.mod"][0])
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    assert client.get(f"{API}/auth/me").json()["via_token"] is False
    assert_problem(client.post(f"{API}/tokens", json={"name": "x"}), 403, "permission.denied")
    assert_problem(
        client.post(f"{API}/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "wrong"}),
        403,
        "permission.denied",
    )
    r = client.post(f"{API}/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
