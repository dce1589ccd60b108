"""Web login through the TestClient: CSRF on every form, cookie flags, the vague failure
message (with the failure committed), the top bar, the account page, logout."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.core.config import Settings
from secassist.http.deps import SESSION_COOKIE
from secassist.identity.logins import MAX_FAILED_LOGINS
from secassist.identity.models import User
from secassist.storage.uow import read_only
from secassist.web.auth import CSRF_COOKIE, LOGIN_FAILED

USER, PASSWORD = "pl.mod", "demo-pl.mod!"
DISPLAY, ORG = "Anna Nowak (Poland MoD)", "Ministry of National Defence of Poland"


@pytest.fixture
def web(client: TestClient, demo_db: None) -> TestClient:
    """The app over the demo dataset; redirects are not followed, so they can be checked."""
    client.follow_redirects = False
    return client


def csrf_field(page: str) -> str:
    m = re.search(r'<input type="hidden" name="csrf" value="([^"]+)">', page)
    assert m, "no csrf field in the page"
    return html.unescape(m.group(1))


def set_cookies(r: Any) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    out = {}
    for header in r.headers.get_list("set-cookie"):
        out[header.split("=", 1)[0]] = header
    return out


def login(web: TestClient, username: str = USER, password: str = PASSWORD, **extra: str) -> Any:
    form = web.get("/login")
    assert form.status_code == 200
    return web.post(
        "/login", data={"username": username, "password": password, "csrf": csrf_field(form.text), **extra}
    )


def top_bar(page: str) -> str:
    m = re.search(r'<nav class="session" aria-label="Account">(.*?)</nav>', page, re.S)
    assert m, "no account navigation"
    return m.group(1)


def failed_logins(session_factory: sessionmaker[Session]) -> int:
    with read_only(session_factory) as s:
        return s.scalars(select(User.failed_logins).where(User.username == USER)).one()


# --- the form and its CSRF -----------------------------------------------------------------


def test_login_form_sets_a_pre_login_csrf_cookie(web: TestClient) -> None:
    r = web.get("/login")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    cookie = set_cookies(r)[CSRF_COOKIE]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # development over http
    field = csrf_field(r.text)
    nonce = web.cookies[CSRF_COOKIE]
    assert field != nonce  # the field is a signature of the nonce, not a copy
    assert 'name="username"' in r.text
    assert 'type="password"' in r.text
    # A second visit keeps the nonce (and so the same field).
    again = web.get("/login")
    assert CSRF_COOKIE not in set_cookies(again)
    assert csrf_field(again.text) == field


@pytest.mark.parametrize(
    "case", ["missing field", "wrong field", "no cookie", "another nonce", "nonce as field"]
)
def test_login_without_a_valid_csrf_pair_is_403(
    web: TestClient, session_factory: sessionmaker[Session], case: str
) -> None:
    field = csrf_field(web.get("/login").text)
    data = {"username": USER, "password": PASSWORD, "csrf": field}
    if case == "missing field":
        del data["csrf"]
    elif case == "wrong field":
        data["csrf"] = "0" * 64
    elif case == "no cookie":
        web.cookies.delete(CSRF_COOKIE)
    elif case == "another nonce":
        web.cookies.delete(CSRF_COOKIE)
        web.cookies.set(CSRF_COOKIE, "A" * 43)
    elif case == "nonce as field":
        data["csrf"] = web.cookies[CSRF_COOKIE]
    r = web.post("/login", data=data)
    assert r.status_code == 403
    assert "text/html" in r.headers["content-type"]
    assert "did not come from this site" in html.unescape(r.text)
    assert SESSION_COOKIE not in set_cookies(r)
    assert failed_logins(session_factory) == 0  # refused before any password check


# --- success, failure ----------------------------------------------------------------------


def test_login_sets_a_safe_session_cookie_and_redirects(web: TestClient) -> None:
    r = login(web)
    assert r.status_code == 303
    assert r.headers["location"] == "/account"
    cookies = set_cookies(r)
    session = cookies[SESSION_COOKIE]
    assert "HttpOnly" in session
    assert "SameSite=lax" in session
    assert "Path=/" in session
    assert "Max-Age=28800" in session
    assert "Secure" not in session
    assert cookies[CSRF_COOKIE].startswith(f'{CSRF_COOKIE}=""')  # the pre-login nonce is dropped
    assert "Max-Age=0" in cookies[CSRF_COOKIE]


def test_session_cookie_is_secure_in_production(settings: Settings, engine: Engine, demo_db: None) -> None:
    from secassist.http.app import create_app

    prod = settings.model_copy(update={"env": "production"})
    with TestClient(create_app(settings=prod, engine=engine), base_url="https://testserver") as c:
        c.follow_redirects = False
        form = c.get("/login")
        assert "Secure" in set_cookies(form)[CSRF_COOKIE]
        r = c.post("/login", data={"username": USER, "password": PASSWORD, "csrf": csrf_field(form.text)})
        assert r.status_code == 303
        assert "Secure" in set_cookies(r)[SESSION_COOKIE]


@pytest.mark.parametrize(
    ("username", "password"),
    [(USER, "wrong password!!"), ("nobody.here", PASSWORD), (USER, ""), ("", PASSWORD)],
)
def test_failed_login_is_vague_and_401(web: TestClient, username: str, password: str) -> None:
    r = login(web, username, password)
    assert r.status_code == 401
    assert LOGIN_FAILED in html.unescape(r.text)
    assert SESSION_COOKIE not in set_cookies(r)
    assert csrf_field(r.text)  # the form is shown again, ready for another try


def test_failures_are_committed_before_the_401_and_lock_the_account(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    for n in range(1, MAX_FAILED_LOGINS):
        assert login(web, USER, "wrong password!!").status_code == 401
        assert failed_logins(session_factory) == n
    locked = login(web, USER, "wrong password!!")
    again = login(web, USER, PASSWORD)  # the right password, but locked
    for r in (locked, again):
        assert r.status_code == 401
        assert LOGIN_FAILED in html.unescape(r.text)
    with read_only(session_factory) as s:
        tags = list(s.scalars(select(AuditEntry.tag).order_by(AuditEntry.seq)))
    assert tags[-(MAX_FAILED_LOGINS + 1) :] == ["identity:login:failed"] * (MAX_FAILED_LOGINS - 1) + [
        "identity:login:locked",
        "identity:login:refused_locked",
    ]


def test_next_is_followed_only_on_this_site(web: TestClient) -> None:
    assert login(web, next="/reference").headers["location"] == "/reference"
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        web.cookies.clear()
        assert login(web, next=evil).headers["location"] == "/account"


# --- logged in -----------------------------------------------------------------------------


@pytest.fixture
def logged_in(web: TestClient) -> TestClient:
    assert login(web).status_code == 303
    return web


def test_top_bar_shows_the_user_and_a_logout_button(web: TestClient) -> None:
    anonymous = top_bar(web.get("/").text)
    assert '<a href="/login"' in anonymous
    assert "Log out" not in anonymous
    login(web)
    for path in ("/", "/reference/countries", "/account"):
        bar = html.unescape(top_bar(web.get(path).text))
        assert DISPLAY in bar
        assert ORG in bar
        assert 'action="/logout"' in bar
        assert "Log in" not in bar


def test_account_page(logged_in: TestClient) -> None:
    r = logged_in.get("/account")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    text = html.unescape(r.text)
    for testid, value in [
        ("account-username", USER),
        ("account-org", ORG),
        ("account-kind", "partner"),
        ("account-country", "PL"),
        ("account-roles", "partner_staff"),
    ]:
        assert f'data-testid="{testid}">{value}</dd>' in text
    assert "<td>case</td><td>read, write</td>" in text
    assert "<td>audit</td>" not in text


def test_account_needs_a_login(web: TestClient) -> None:
    r = web.get("/account")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/account"
    login_page = web.get("/login?next=/account")
    assert 'name="next" value="/account"' in login_page.text


def test_login_page_when_logged_in_goes_on(logged_in: TestClient) -> None:
    r = logged_in.get("/login?next=/reference")
    assert (r.status_code, r.headers["location"]) == (303, "/reference")


@pytest.mark.parametrize("csrf", [None, "", "wrong-token"])
def test_logout_needs_the_session_csrf_token(logged_in: TestClient, csrf: str | None) -> None:
    r = logged_in.post("/logout", data={} if csrf is None else {"csrf": csrf})
    assert r.status_code == 403
    assert logged_in.get("/account").status_code == 200  # still logged in


def test_the_pre_login_token_does_not_log_you_out(logged_in: TestClient) -> None:
    logged_out_form = TestClient(logged_in.app).get("/login")  # a pre-login field for some nonce
    r = logged_in.post("/logout", data={"csrf": csrf_field(logged_out_form.text)})
    assert r.status_code == 403


def test_logout_ends_the_session_for_good(logged_in: TestClient) -> None:
    old = logged_in.cookies[SESSION_COOKIE]
    token = csrf_field(top_bar(logged_in.get("/").text))
    r = logged_in.post("/logout", data={"csrf": token})
    assert (r.status_code, r.headers["location"]) == (303, "/")
    cleared = set_cookies(r)[SESSION_COOKIE]
    assert "Max-Age=0" in cleared
    assert "HttpOnly" in cleared
    assert SESSION_COOKIE not in logged_in.cookies
    # The old cookie, replayed, no longer works: not for pages, not for the API.
    logged_in.cookies.delete(SESSION_COOKIE)
    logged_in.cookies.set(SESSION_COOKIE, old)
    assert logged_in.get("/account").status_code == 303
    assert '<a href="/login"' in top_bar(logged_in.get("/").text)
    assert logged_in.get("/api/v1/auth/me").status_code == 401


def test_the_session_cookie_works_for_the_api(logged_in: TestClient) -> None:
    me = logged_in.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["user"]["username"] == USER
    assert me.json()["via_token"] is False
