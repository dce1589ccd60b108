"""Security headers on every response (issue 16, defect 2): pages, API answers, errors
and early refusals all carry a Content-Security-Policy without inline script, no framing,
no MIME sniffing and a Referrer-Policy; HSTS only in production. The templates hold no
inline script, style or event handler the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from secassist.core.config import Settings
from secassist.web.render import HERE

API = "/api/v1"
PATHS = [
    "/",
    "/login",
    "/reference",
    "/cases",  # a page that needs a login: its redirect or error page
    "/no-such-page",
    "/static/style.css",
    f"{API}/health",
    f"{API}/openapi.json",
    f"{API}/cases",  # 401 problem JSON
    f"{API}/no-such-thing",
    f"{API}/docs",
]


def _csp(value: str) -> dict[str, str]:
    return {d.split()[0]: d.partition(" ")[2] for d in (p.strip() for p in value.split(";")) if d}


def _assert_hardened(headers: object, path: str) -> dict[str, str]:
    h = headers  # a case-insensitive mapping
    csp = _csp(h["content-security-policy"])  # type: ignore[index]
    assert csp["frame-ancestors"] == "'none'", path
    assert csp["script-src"] == "'self'", path  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["object-src"] == "'none'", path
    assert h["x-frame-options"] == "DENY", path  # type: ignore[index]
    assert h["x-content-type-options"] == "nosniff", path  # type: ignore[index]
    assert h["referrer-policy"] == "strict-origin-when-cross-origin", path  # type: ignore[index]
    return csp


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code < 500, r.text
    csp = _assert_hardened(r.headers, path)
    if path != f"{API}/docs":
        assert csp["style-src"] == "'self'", path
    assert "strict-transport-security" not in r.headers  # development: plain HTTP on loopback


def test_early_refusals_carry_them_too(client: TestClient) -> None:
    anonymous = client.post(f"{API}/lors", content=b"{}", headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401
    _assert_hardened(anonymous.headers, "anonymous write")
    too_large = client.post("/login", content=b"x" * (2 * 1024 * 1024))
    assert too_large.status_code == 413
    _assert_hardened(too_large.headers, "too large")


def test_hsts_only_in_production(settings: Settings, engine: Engine) -> None:
    from secassist.http.app import create_app

    production = settings.model_copy(update={"env": "production"})
    with TestClient(create_app(settings=production, engine=engine)) as c:
        for path in ("/", f"{API}/health"):
            r = c.get(path)
            assert r.headers["strict-transport-security"].startswith("max-age=31536000"), path
            _assert_hardened(r.headers, path)


def test_the_api_docs_page_starts_swagger_from_a_script_file(client: TestClient) -> None:
    page = client.get(f"{API}/docs")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts, page.text
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts), scripts
    init = client.get(f"{API}/docs/init.js")
    assert init.status_code == 200
    assert "SwaggerUIBundle(" in init.text
    assert init.headers["content-type"].startswith("text/javascript")


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on*= event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_inline_script_or_style() -> None:
    found = []
    for template in sorted(Path(HERE / "templates").rglob("*.html")):
        text = template.read_text()
        for pattern, what in INLINE:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{template.relative_to(HERE)}:{line}: {what}")
    assert not found, "the CSP would block these:\n" + "\n".join(found)


@pytest.mark.parametrize("production", [False, True])
def test_an_unhandled_exception_500_carries_them(
    settings: Settings, engine: Engine, production: bool
) -> None:
    # Starlette's ServerErrorMiddleware answers an unhandled exception outside every
    # add_middleware layer; the headers must reach that 500 as well.
    from secassist.http.app import create_app

    s = settings.model_copy(update={"env": "production"}) if production else settings
    app = create_app(settings=s, engine=engine)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route(f"{API}/test-boom", boom)
    app.add_api_route("/test-boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        for path in (f"{API}/test-boom", "/test-boom"):
            r = c.get(path)
            assert r.status_code == 500, path
            _assert_hardened(r.headers, path)
            assert ("strict-transport-security" in r.headers) == production, path
