"""The API docs page renders in Chromium with every request to anything but loopback blocked:
Swagger UI comes from the project's installed assets, not from a CDN."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route, expect

pytestmark = pytest.mark.browser

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def test_swagger_ui_renders_the_operations_offline(browser: Browser, live_server: str) -> None:
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(15_000)
    blocked: list[str] = []
    loaded: list[str] = []

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOOPBACK:
            loaded.append(url)
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/api/v1/docs")
        # Operations are rendered from the OpenAPI document: one block per path and method.
        # The first request builds the whole document (~320 KB, 1-3 s on a busy 2-core CI
        # machine) and the page then renders it: give it the context's 15 s, not expect's 5 s.
        expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
        assert page.locator(".opblock").count() > 20
        expect(page.locator(".opblock-summary-path", has_text="/api/v1/health")).to_be_visible()
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("secassist")
        # Expanding an operation works (the script is really running, not a static shell).
        page.locator(".opblock-summary-path", has_text="/api/v1/health").first.click()
        expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    finally:
        context.close()
    assert not blocked, f"the docs page tried to load from outside: {blocked}"
    assert not errors, errors
    assert any(u.endswith("/api/v1/docs/assets/swagger-ui-bundle.js") for u in loaded), loaded
