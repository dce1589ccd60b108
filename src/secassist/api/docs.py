"""The interactive API docs (Swagger UI) served from assets installed with the project, not a CDN.

FastAPI's own docs page loads Swagger UI's script and stylesheet from a CDN, so on a
machine without internet it is blank. The pinned ``swagger-ui-py`` package ships the
``swagger-ui-dist`` files (with their Apache-2.0 licence); this module serves the few the
page needs from an allow-list and builds the page with FastAPI's
``get_swagger_ui_html`` pointed at them. Create the app with ``docs_url=None`` and call
:func:`install_api_docs`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

# Only what the page loads (and the licence), so the package's other files stay private.
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "LICENSE": "text/plain; charset=utf-8",
}


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
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} — API docs",
            swagger_js_url=f"{root}{assets_url}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets_url}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets_url}/favicon-32x32.png",
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
