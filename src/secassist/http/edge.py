"""The edge of the app: what every request and response passes through before any route.

Two pure ASGI middlewares (no body buffering of their own, so they cost nothing per
request and see the raw byte stream):

* :class:`RequestLimits` refuses oversized bodies before they are read (413), counts a
  streamed (chunked) body as it arrives and stops at the limit, refuses a state change
  to the API that carries no credential at all (401) before its body is parsed, and
  checks a bearer token (one hashed lookup) before reading the body, so a made-up
  ``Authorization`` header is a 401 too. A hostile client therefore cannot make the
  server hold more than the limit in memory, and one without a valid token cannot make
  it parse anything. (A session cookie's validity is still checked by the route: a
  browser's forms are small, and the limit bounds them.)
* :class:`SecurityHeaders` puts the browser-hardening headers on every response: a
  Content-Security-Policy that allows no inline script, no framing (clickjacking), no
  MIME sniffing, a strict Referrer-Policy, and HSTS in production (OWASP Secure Headers
  Project; HSTS is RFC 6797, frame-ancestors CSP Level 2).
"""

from __future__ import annotations

import json

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from secassist.core.clock import Clock
from secassist.core.config import Settings
from secassist.core.errors import SecassistError
from secassist.http.deps import TOKEN_PRINCIPAL_KEY, bearer_token
from secassist.identity.errors import AuthenticationError
from secassist.identity.policy import Principal
from secassist.identity.tokens import cached_principal, principal_from_token
from secassist.storage.engine import translate_error

PROBLEM = "application/problem+json"
# Methods that carry a body which changes state; a GET/HEAD/OPTIONS body is ignored by
# every route, and still counted against the limit.
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# 'self' only: every script and stylesheet is a static file; no inline <script>, no
# style="" attribute, no on*= handler. form-action 'self' keeps a injected form from
# posting elsewhere; base-uri 'none' stops a <base> tag re-pointing relative URLs.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# One year, the minimum the HSTS preload list accepts.
HSTS = "max-age=31536000; includeSubDomains"


TOO_LARGE_TITLE = "Content too large"
TOO_LARGE_CODE = "request.too_large"


class BodyTooLargeError(HTTPException):
    """A request body beyond its limit: 413 (RFC 9110 §15.5.14)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _has_credential(scope: Scope, cookie_name: str) -> bool:
    if _header(scope, b"authorization"):
        return True
    cookie = _header(scope, b"cookie") or b""
    return f"{cookie_name}=".encode() in cookie


def _problem(status: int, title: str, detail: str, code: str) -> dict[str, object]:
    return {"type": f"urn:secassist:error:{code}", "title": title, "status": status, "detail": detail,
            "code": code}  # fmt: skip


async def _refuse(
    send: Send, problem: dict[str, object], *, api: bool, retry_after: int | None = None
) -> None:
    """Answer without reading the body; ``Connection: close`` because the unread body
    is still on the socket and must not be taken for the next request."""
    status = int(str(problem["status"]))
    if api:
        body = json.dumps(problem).encode()
        media = PROBLEM
    else:
        body = f"{problem['title']}: {problem['detail']}\n".encode()
        media = "text/plain; charset=utf-8"
    headers = [
        (b"content-type", media.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="secassist"'))
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _settings(scope: Scope) -> Settings:
    """The app's settings, set by its lifespan before it takes traffic."""
    settings: Settings | None = getattr(scope["app"].state, "settings", None)
    return settings if settings is not None else Settings()


def _resolve_token(scope: Scope, authorization: bytes) -> Principal:
    """The bearer token's principal, on a short session of its own (closed before the
    route's unit of work opens, so a request still holds one connection at a time)."""
    app_state = scope["app"].state
    factory: sessionmaker[Session] = app_state.session_factory
    clock: Clock | None = getattr(app_state, "clock", None)
    raw = bearer_token(authorization.decode("latin-1"))
    with factory() as session:
        return principal_from_token(session, raw, clock=clock)


def _known_token(scope: Scope, authorization: bytes) -> Principal | None:
    """The bearer token's principal if this process looked it up valid moments ago
    (``identity.token_cache``, expiry checked on the app's clock), without I/O; else None."""
    clock: Clock | None = getattr(scope["app"].state, "clock", None)
    return cached_principal(bearer_token(authorization.decode("latin-1")), clock=clock)


class RequestLimits:
    """Bound every request body, and refuse an anonymous API write before reading it.

    ``Settings.max_body_bytes`` bounds ordinary bodies (JSON, urlencoded forms);
    ``Settings.max_upload_bytes`` bounds ``multipart/form-data`` requests, the only way a
    file is uploaded (equipment reconciliation scans). A declared Content-Length over the
    limit is refused at once; a chunked body is counted as it streams and the read stops
    at the limit.
    """

    def __init__(self, app: ASGIApp, *, api_prefix: str, session_cookie: str) -> None:
        self.app = app
        self.api_prefix = api_prefix
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = _settings(scope)
        api = str(scope["path"]).startswith(self.api_prefix + "/")
        content_type = (_header(scope, b"content-type") or b"").lower()
        multipart = content_type.startswith(b"multipart/form-data")
        limit = settings.max_upload_bytes if multipart else settings.max_body_bytes
        declared = _header(scope, b"content-length")
        has_body = declared not in (None, b"0") or _header(scope, b"transfer-encoding") is not None
        if (
            api
            and has_body
            and scope["method"] in _WRITES
            and not _has_credential(scope, self.session_cookie)
        ):
            # The credential itself is checked by the route's dependency; here only its
            # absence, so that an anonymous body is never read, let alone parsed.
            problem = AuthenticationError("log in, or send 'Authorization: Bearer <token>'").to_problem()
            await _refuse(send, problem, api=True)
            return
        if declared is not None:
            if not declared.isdigit():
                await _refuse(
                    send, _problem(400, "Bad request", "invalid Content-Length", "http_error"), api=api
                )
                return
            if int(declared) > limit:
                too_large = BodyTooLargeError(limit)
                problem = _problem(413, TOO_LARGE_TITLE, str(too_large.detail), TOO_LARGE_CODE)
                await _refuse(send, problem, api=api)
                return

        authorization = _header(scope, b"authorization")
        if api and has_body and scope["method"] in _WRITES and authorization:
            # Check the token itself before the body is read: a made-up header is a 401
            # for the price of one indexed lookup by hash, not a parse of up to the limit.
            # The route's dependency reuses the principal (TOKEN_PRINCIPAL_KEY).
            try:
                known = _known_token(scope, authorization)
                if known is None:
                    known = await run_in_threadpool(_resolve_token, scope, authorization)
                scope[TOKEN_PRINCIPAL_KEY] = known
            except SecassistError as exc:
                await _refuse(send, exc.to_problem(), api=True, retry_after=exc.retry_after)
                return
            except SQLAlchemyError as exc:
                mapped = translate_error(exc)
                if mapped is None:
                    raise
                await _refuse(send, mapped.to_problem(), api=True, retry_after=mapped.retry_after)
                return

        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body read: the app's error handler
                    # answers 413 and the rest of the stream is never read.
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, bounded_receive, send)


class SecurityHeaders:
    """Add the security headers to every HTTP response that does not set its own.

    A response may carry its own Content-Security-Policy (the API docs page, whose
    Swagger UI needs inline styles); every other header is the same everywhere. HSTS is
    sent only in production (``SECASSIST_ENV=production``), where TLS is terminated in
    front of the app: on a developer's plain-HTTP loopback it would only be noise.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = _HSTS_HEADERS if _settings(scope).is_production else _HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", []))
                present = {bytes(k).lower() for k, _ in own}
                message["headers"] = own + [(k, v) for k, v in defaults if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", PAGE_CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_HSTS_HEADERS = (*_HEADERS, (b"strict-transport-security", HSTS.encode()))
