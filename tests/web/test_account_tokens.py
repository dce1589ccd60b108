"""A user's own API tokens on /account (issue #15): every role may issue one (policy:
``token:write``), with scopes no wider than its own permissions; the secret is shown once on
the answer to the form; revoking asks once; each change is one audit entry; another user's
token cannot be revoked from here."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.identity import queries
from secassist.identity import service as identity
from secassist.identity.tokens import issue_token, principal_from_token
from secassist.storage.uow import read_only, unit_of_work
from tests.web.test_funds_pages import audit_count, confirm_values, error, login

pytestmark = pytest.mark.usefixtures("demo_db")


def _uid(factory: sessionmaker[Session], username: str) -> int:
    with read_only(factory) as s:
        return identity.user_by_name(s, username).id


def test_a_partner_issues_its_own_token_shown_once_then_revokes_it(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "pl.mod")
    page = client.get("/account")
    assert page.status_code == 200
    assert 'action="/account/tokens"' in page.text
    assert 'value="equipment:write"' in page.text  # its own permission is offered …
    assert 'value="program:write"' not in page.text  # … one it lacks is not
    before = audit_count(session_factory)
    body = {"csrf": csrf, "name": "inventory upload", "days": "30",
            "scopes": ["equipment:read", "program:write"]}  # fmt: skip
    r = client.post("/account/tokens", data=body)
    assert r.status_code == 422
    assert "program:write" in error(r.text, "scopes")
    assert 'value="inventory upload"' in r.text  # the input is kept
    r = client.post("/account/tokens", data={**body, "days": "soon", "scopes": ["equipment:read"]})
    assert r.status_code == 422
    assert "not a number of days" in error(r.text, "days")
    assert audit_count(session_factory) == before
    r = client.post("/account/tokens", data={**body, "scopes": ["equipment:read", "equipment:write"]})
    assert r.status_code == 201
    assert r.headers["cache-control"] == "no-store"
    assert audit_count(session_factory) == before + 1
    secret = r.text.split('data-testid="secret">')[1].split("<")[0]
    with read_only(session_factory) as s:
        p = principal_from_token(s, secret)
        assert p.username == "pl.mod"
        assert p.permissions == frozenset({"equipment:read", "equipment:write"})
        token_id = queries.list_tokens(s, actor=None, user_id=p.user_id)[0].id
    listing = client.get("/account").text
    assert secret not in listing  # shown once
    row = listing[listing.index(f'data-testid="token-{token_id}"') :].split("</tr>")[0]
    assert "inventory upload" in row
    assert "active" in row
    asked = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf": csrf})
    assert f"Revoke your token {token_id} (inventory upload" in asked.text
    with read_only(session_factory) as s:
        principal_from_token(s, secret)  # still works until confirmed
    assert audit_count(session_factory) == before + 1
    done = client.post(f"/account/tokens/{token_id}/revoke", data=confirm_values(asked.text))
    assert f"Revoked token {token_id}." in done.text
    assert audit_count(session_factory) == before + 2
    with read_only(session_factory) as s, pytest.raises(Exception, match="invalid or expired"):
        principal_from_token(s, secret)
    row = done.text[done.text.index(f'data-testid="token-{token_id}"') :].split("</tr>")[0]
    assert "revoked" in row
    assert "Revoke…" not in row


def test_someone_elses_token_is_neither_listed_nor_revocable_here(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as s:
        _, other = issue_token(s, actor=None, user_id=_uid(session_factory, "jp.mod"), name="jp sync", days=5)
        other_id = other.id
    # An administrator sees every token on /admin/tokens but only its own on /account.
    for username in ("pl.mod", "pm.admin"):
        csrf = login(client, session_factory, username)
        assert f'data-testid="token-{other_id}"' not in client.get("/account").text
        before = audit_count(session_factory)
        r = client.post(f"/account/tokens/{other_id}/revoke", data={"csrf": csrf, "confirmed": "x"})
        assert r.status_code == 404
        assert audit_count(session_factory) == before
    with read_only(session_factory) as s:
        still = queries.list_tokens(s, actor=None, user_id=_uid(session_factory, "jp.mod"))[0]
        assert queries.token_status(still, other.created_at) == "active"


def test_the_read_only_auditor_gets_no_form(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "ig.auditor")  # the auditor's role holds no token:write
    page = client.get("/account")
    assert 'id="tokens"' in page.text
    assert 'action="/account/tokens"' not in page.text
    before = audit_count(session_factory)
    r = client.post("/account/tokens", data={"csrf": csrf, "name": "x", "days": "5"})
    assert r.status_code in (403, 422)
    assert audit_count(session_factory) == before


def test_a_post_without_the_csrf_field_is_refused(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    login(client, session_factory, "hfac.staff")
    before = audit_count(session_factory)
    r = client.post("/account/tokens", data={"name": "x", "days": "5"})
    assert r.status_code == 403
    assert audit_count(session_factory) == before
