"""Logging in and out of the web pages, and CSRF protection (the account page is
:mod:`secassist.web.account`).

* The session cookie (``secassist_session``) holds a random id; the database stores its
  SHA-256. HttpOnly, SameSite=Lax, Path=/, and Secure in production.
* Every POST form carries a hidden ``csrf`` field. Logged in, it must equal the session's
  CSRF token. Before login (the login form itself) it must be the HMAC, under the
  secret key, of a random nonce kept in the ``secassist_csrf`` cookie: a signed
  double-submit cookie, so a page on another site can neither read nor forge the pair.
* A failed login shows one vague message whatever the reason, and the failure count is
  committed before the 401 page is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from secassist.core.config import Settings
from secassist.core.errors import PermissionDeniedError
from secassist.http.deps import SESSION_COOKIE, ReadSessionDep, clock_of, session_factory
from secassist.identity import service
from secassist.identity.errors import AuthenticationError
from secassist.identity.logins import (
    SESSION_TTL,
    authenticate,
    end_web_session,
    resolve_web_session,
    start_web_session,
)
from secassist.identity.policy import Principal
from secassist.storage.uow import read_only, unit_of_work
from secassist.web.render import page

CSRF_COOKIE = "secassist_csrf"
CSRF_FIELD = "csrf"
LOGIN_FAILED = "Wrong username or password, or the account is locked."
CSRF_FAILED = "This form has expired or did not come from this site. Reload the page and try again."
_NONCE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class WebUser:
    """The logged-in browser user, as the templates show it."""

    principal: Principal
    display_name: str
    csrf_token: str


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _web_user(request: Request, session: Session, raw: str) -> WebUser | None:
    try:
        principal, web_session = resolve_web_session(session, raw, clock=clock_of(request))
    except AuthenticationError:
        return None
    display = service.get_user(session, principal.user_id).display_name
    return WebUser(principal, display, web_session.csrf_token)


def load_web_user(request: Request, session: ReadSessionDep) -> WebUser | None:
    """The user behind the session cookie, or None; kept on ``request.state.web_user``
    so the top bar of every page (error pages included) can show it.

    A page (GET) looks the user up on the page's own read session. A form post looks it
    up on a session closed at once, before the form's unit of work opens
    (:func:`form_write`): a request never holds two connections."""
    user: WebUser | None = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw and request.method in SAFE_METHODS:
        user = _web_user(request, session, raw)
    elif raw:
        with read_only(session_factory(request)) as short:
            user = _web_user(request, short, raw)
    request.state.web_user = user
    return user


WebUserDep = Annotated[WebUser | None, Depends(load_web_user)]
router = APIRouter(include_in_schema=False, dependencies=[Depends(load_web_user)])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _sign(request: Request, nonce: str) -> str:
    key = _settings(request).secret_key.get_secret_value().encode()
    return hmac.new(key, b"secassist-login-csrf\x00" + nonce.encode(), hashlib.sha256).hexdigest()


def _login_nonce(request: Request) -> tuple[str, bool]:
    """The pre-login nonce from the cookie, or a new one (and whether it is new)."""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if _NONCE.match(nonce):
        return nonce, False
    return secrets.token_urlsafe(32), True


def require_csrf(request: Request, sent: str, *, pre_login: bool = False) -> None:
    """Check a POST form's ``csrf`` field; PermissionDeniedError (a 403 page) otherwise.

    Logged in, the field must be the session's token; before login (or ``pre_login``,
    for the login form) the signed double-submit pair.
    """
    web_user: WebUser | None = getattr(request.state, "web_user", None)
    if web_user is not None and not pre_login:
        expected = web_user.csrf_token
    else:
        nonce = request.cookies.get(CSRF_COOKIE, "")
        if not _NONCE.match(nonce):
            raise PermissionDeniedError(CSRF_FAILED)
        expected = _sign(request, nonce)
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PermissionDeniedError(CSRF_FAILED)


@contextmanager
def form_write(request: Request, csrf: str, *, pre_login: bool = False) -> Iterator[Session]:
    """The one way a web form changes state: its ``csrf`` field checked
    (:func:`require_csrf`), then one unit of work that commits when the block ends."""
    require_csrf(request, csrf, pre_login=pre_login)
    with unit_of_work(session_factory(request)) as session:
        yield session


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=_settings(request).is_production,
        httponly=True,
        samesite="lax",
    )


def _delete_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path="/", secure=_settings(request).is_production, httponly=True, samesite="lax"
    )


def _safe_next(value: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative ``//``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value:
        return "/account"
    if any(ord(c) < 0x20 for c in value):
        return "/account"
    return value


def _login_page(
    request: Request, *, status: int, next_url: str, username: str = "", error: str = ""
) -> Response:
    nonce, new = _login_nonce(request)
    response = page(
        request,
        "login.html",
        active="login",
        status=status,
        csrf=_sign(request, nonce),
        next_url=next_url,
        username=username,
        error=error,
    )
    response.headers.update(NO_STORE)
    if new:
        _set_cookie(request, response, CSRF_COOKIE, nonce, max_age=None)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, web_user: WebUserDep, next: str | None = None) -> Response:
    """The login form (already logged in: straight on to where the user was going)."""
    if web_user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, status=200, next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/account",
) -> Response:
    """Check the password; on success start a session and redirect, otherwise 401."""
    next_url = _safe_next(next)
    raw: str | None = None
    with form_write(request, csrf, pre_login=True) as session:
        if username.strip() and password:
            result = authenticate(session, username=username, password=password, clock=clock_of(request))
            if result.principal is not None:
                raw, _ = start_web_session(session, user_id=result.principal.user_id, clock=clock_of(request))
    # Committed here: the failure count and its audit entry survive the 401 below.
    if raw is None:
        return _login_page(request, status=401, next_url=next_url, username=username, error=LOGIN_FAILED)
    response = RedirectResponse(next_url, status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, raw, max_age=int(SESSION_TTL.total_seconds()))
    _delete_cookie(request, response, CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, web_user: WebUserDep, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """End the session: its id stops working at once, wherever the cookie was copied."""
    response = RedirectResponse("/", status_code=303)
    raw = request.cookies.get(SESSION_COOKIE)
    if web_user is not None and raw:
        with form_write(request, csrf) as session:
            end_web_session(session, raw, clock=clock_of(request))
    _delete_cookie(request, response, SESSION_COOKIE)
    return response
