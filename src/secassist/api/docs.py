"""The interactive API docs (Swagger UI) served from assets installed with the project, not a CDN.

FastAPI's own docs page loads Swagger UI's script and stylesheet from a CDN, so on a
machine without internet it is blank. The pinned ``swagger-ui-py`` package ships the
``swagger-ui-dist`` files (with their Apache-2.0 licence); this module serves the few the
page needs from an allow-list and builds the page around them. Create the app with
``docs_url=None`` and call :func:`install_api_docs`.

FastAPI's ``get_swagger_ui_html`` starts Swagger UI with an inline ``<script>``, which
the app's Content-Security-Policy forbids (``script-src 'self'``); here the start-up code
is a script of its own (``init.js``) that reads the OpenAPI document's URL from a data
attribute. The page keeps ``script-src 'self'``; only its styles are allowed inline,
because Swagger UI's React components set ``style`` attributes as they render.
"""

from __future__ import annotations

import importlib.util
from html import escape
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

# Only what the page loads (and the licence), so the package's other files stay private.
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "LICENSE": "text/plain; charset=utf-8",
}


# The docs page's own policy: as strict as the app's, except for inline styles.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Swagger UI's start-up, as FastAPI writes it inline, moved to a file of its own.
INIT_JS = """\
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{init}"></script>
</body>
</html>
"""


def assets_dir() -> Path:
    """Where the installed ``swagger-ui-py`` keeps the swagger-ui-dist files."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed; reinstall secassist (scripts/bootstrap)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def install_api_docs(app: FastAPI, *, docs_url: str) -> None:
    """Serve Swagger UI at ``docs_url`` and its assets under ``{docs_url}/assets/``.

    The page references nothing but these assets and the app's own OpenAPI document.
    """
    if app.openapi_url is None:
        raise ValueError("the app has no OpenAPI document to show (openapi_url is None)")
    openapi_url = app.openapi_url
    assets_url = f"{docs_url}/assets"
    directory = assets_dir()
    missing = [name for name in ASSETS if not (directory / name).is_file()]
    if missing:
        raise RuntimeError(f"swagger-ui assets missing from {directory}: {', '.join(missing)}")

    @app.get(docs_url, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        html = PAGE.format(
            title=escape(f"{app.title} — API docs"),
            assets=escape(f"{root}{assets_url}"),
            openapi=escape(f"{root}{openapi_url}"),
            init=escape(f"{root}{docs_url}/init.js"),
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_CSP})

    @app.get(f"{docs_url}/init.js", include_in_schema=False)
    def swagger_ui_init() -> Response:
        return Response(
            INIT_JS,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get(f"{assets_url}/{{name}}", include_in_schema=False)
    def swagger_ui_asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(status_code=404)
        return FileResponse(
            directory / name,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )
