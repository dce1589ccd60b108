"""Template environment and the shared page context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from secassist import __version__

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")

NAV = [
    ("home", "/", "Overview"),
    ("reference", "/reference", "Reference data"),
    ("countries", "/reference/countries", "Countries"),
    ("cases", "/cases", "Cases"),
    ("vetting", "/vetting", "Vetting"),
    ("screening", "/screening", "Screening"),
    ("programs", "/programs", "Programs"),
    ("api", "/api/v1/docs", "API"),
]


def page(request: Request, template: str, *, active: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {"nav": NAV, "active": active, "version": __version__, **context},
        status_code=status,
    )


def render_error(request: Request, *, status: int, title: str, detail: str) -> HTMLResponse:
    return page(request, "error.html", active="", status=status, title=title, detail=detail)
