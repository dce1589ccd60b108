"""The interactive API docs page loads only assets served by the app itself (no CDN)."""

from __future__ import annotations

import re
from typing import Any

from secassist.api.docs import ASSETS, assets_dir

DOCS = "/api/v1/docs"


def _referenced_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)


def test_docs_page_references_only_local_assets(client: Any) -> None:
    page = client.get(DOCS)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    urls = _referenced_urls(page.text)
    assert f"{DOCS}/assets/swagger-ui-bundle.js" in urls
    assert f"{DOCS}/assets/swagger-ui.css" in urls
    assert "/api/v1/openapi.json" in urls
    foreign = [u for u in urls if not u.startswith("/")]
    assert not foreign, f"the docs page loads from elsewhere: {foreign}"
    for absolute in ("cdn.", "http://", "https://"):
        assert absolute not in page.text, absolute


def test_docs_assets_are_served_from_the_installed_package(client: Any) -> None:
    for name, media_type in ASSETS.items():
        response = client.get(f"{DOCS}/assets/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == media_type
        assert response.content == (assets_dir() / name).read_bytes()
    assert b"SwaggerUIBundle" in client.get(f"{DOCS}/assets/swagger-ui-bundle.js").content
    assert b"Apache License" in client.get(f"{DOCS}/assets/LICENSE").content


def test_only_the_listed_assets_are_served(client: Any) -> None:
    for name in ("swagger-editor-bundle.js", "index.css", "..%2F__init__.py", "nope.js"):
        assert client.get(f"{DOCS}/assets/{name}").status_code == 404, name


def test_openapi_document_lists_the_operations(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/health" in spec["paths"]
    assert not any(path.startswith(DOCS) for path in spec["paths"])
