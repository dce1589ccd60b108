"""Template environment and the shared page context.

* **Navigation** follows the policy: each entry names the permission its page requires
  (the same one the page's handler and queries check), and a signed-in user sees only the
  entries whose permission the role grants (:func:`nav_for`). Anonymous visitors see the
  public pages.
* **Names beside codes**: templates call ``country_name``, ``party_name``,
  ``program_name``, ``agency_name``, ``state_label`` and ``code_label`` (globals, and
  filters of the same name), fed by the reference data and the domain catalogs, so no page
  shows a bare ``PL``, ``B``, ``fmf`` or ``defined_order``.
* **Flash**: :func:`page` takes the one-shot confirmation a redirect carried
  (:mod:`secassist.web.forms`) and deletes its cookie; ``base.html`` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from secassist import __version__
from secassist.cases.lifecycle import LABELS, Status
from secassist.core.errors import SecassistError, UnknownCodeError
from secassist.identity.policy import Principal
from secassist.programs.catalog import catalog
from secassist.reference.service import get_reference
from secassist.web.forms import FLASH_COOKIE, clear_flash, read_flash

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


@dataclass(frozen=True)
class NavEntry:
    """One navigation link; ``permission`` None means a public page, a tuple any one of
    several (a page of several parts, each shown to the roles that may read it)."""

    key: str
    href: str
    label: str
    permission: str | tuple[str, ...] | None = None

    def open_to(self, p: Principal) -> bool:
        if self.permission is None:
            return True
        needs = (self.permission,) if isinstance(self.permission, str) else self.permission
        return any(n in p.permissions for n in needs)


# In page order. The permission is the one the page itself requires (see each web module).
NAV: tuple[NavEntry, ...] = (
    NavEntry("home", "/", "Home"),
    NavEntry("cases", "/cases", "Cases", "case:read"),
    NavEntry("vetting", "/vetting", "Vetting", "vetting:read"),
    NavEntry("screening", "/screening", "Screening", "vetting:read"),
    NavEntry("programs", "/programs", "Programs", "program:read"),
    NavEntry("notifications", "/notifications", "Notifications", "notification:read"),
    NavEntry("equipment", "/equipment", "Equipment", "equipment:read"),
    NavEntry("transfers", "/transfers", "Transfers", "transfer:read"),
    NavEntry("admin", "/admin/users", "Administration", "user:admin"),
    # The chart groups of reports/figures.NEEDS: the page shows those the role may read.
    NavEntry(
        "charts", "/charts", "Charts", ("program:read", "case:read", "notification:read", "equipment:read")
    ),
    NavEntry("reference", "/reference", "Reference data"),
    NavEntry("countries", "/reference/countries", "Countries"),
    NavEntry("api", "/api/v1/docs", "API"),
)


def nav_for(p: Principal | None) -> list[tuple[str, str, str]]:
    """The (key, href, label) links this user may open: public pages, plus those whose
    permission the user's role grants, and a country-bound user's country page."""
    if p is None:
        # The public overview, then the public reference pages.
        public = [e for e in NAV if e.permission is None]
        return [(e.key, e.href, "Overview" if e.key == "home" else e.label) for e in public]
    links = [(e.key, e.href, e.label) for e in NAV if e.open_to(p)]
    if p.country and "case:read" in p.permissions:  # a partner's or SCO's own country page
        links.insert(1, ("country", f"/countries/{p.country}", country_name(p.country)))
    if "case_line:read" in p.permissions and "case:read" not in p.permissions:
        # A contractor reads lines but not cases: its lines have their own list (web.supplier).
        links.insert(1, ("lines", "/supplier/lines", "Lines supplied"))
    return links


# --- names beside codes ---------------------------------------------------------------------


def country_name(code: str | None) -> str:
    """The country's (or NATO body's) name; an unknown code is shown as given."""
    if not code:
        return ""
    ref = get_reference()
    try:
        return ref.country(code).name
    except UnknownCodeError:
        try:
            return ref.body(code).name
        except UnknownCodeError:
            return code


party_name = country_name


@lru_cache(maxsize=1)
def _programs() -> dict[str, str]:
    return {p.code: p.name for p in catalog().programs}


# Financing and assistance codes used by cases and vetting (lower case) → program codes.
_FINANCING = {
    "national": "National funds (purchaser's own)",
    "mixed": "Mixed (national and FMF)",
    "imet": "IMET",
    "pko": "PKO",
    "section_333": "S333",
}


def program_name(code: str | None) -> str:
    """A program's name from the program catalog (``FMF``, ``fmf``, ``section_333``…)."""
    if not code:
        return ""
    mapped = _FINANCING.get(code, code)
    return _programs().get(mapped.upper(), mapped if mapped != code else code)


def agency_name(code: str | None) -> str:
    """The implementing agency's name for its case letter (``B`` → Department of the Army)."""
    if not code:
        return ""
    try:
        return get_reference().implementing_agency(code).name
    except SecassistError:
        return code


def state_label(status: str | None) -> str:
    """A case status's label (``lor_received`` → LOR received)."""
    if not status:
        return ""
    try:
        return LABELS[Status(status)]
    except ValueError:
        return status.replace("_", " ")


# Small enumerations with no catalog of their own.
_CODE_LABELS: dict[str, dict[str, str]] = {
    "loa_type": {
        "defined_order": "Defined order",
        "blanket_order": "Blanket order",
        "clssa": "Cooperative logistics (CLSSA)",
    },
    "financing": {"national": "National funds", "fmf": "FMF (Foreign Military Financing)", "mixed": "Mixed"},
    "org_kind": {
        "state": "Department of State",
        "dod": "Department of Defense",
        "sco": "Security cooperation office",
        "congress": "Congress",
        "industry": "Contractor",
        "partner": "Partner government",
        "auditor": "Auditor",
    },
}


def code_label(code: str | None, kind: str) -> str:
    """The label of a code in a small enumeration (``loa_type``, ``financing``, ``org_kind``)."""
    if not code:
        return ""
    return _CODE_LABELS.get(kind, {}).get(code, code.replace("_", " "))


def named(code: str | None, name: str) -> str:
    """``Poland (PL)``: the name with its code, or the code alone when no name is known."""
    if not code:
        return ""
    return code if not name or name == code else f"{name} ({code})"


_NAMERS = {
    "country_name": country_name,
    "party_name": party_name,
    "program_name": program_name,
    "agency_name": agency_name,
    "state_label": state_label,
    "code_label": code_label,
}
for _name, _fn in _NAMERS.items():
    templates.env.globals[_name] = _fn
    templates.env.filters[_name] = _fn
templates.env.filters["with_country"] = lambda code: named(code, country_name(code))
templates.env.filters["with_agency"] = lambda code: named(code, agency_name(code))
templates.env.globals["quote"] = quote


# --- pages ----------------------------------------------------------------------------------


def page(request: Request, template: str, *, active: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in the site's frame; shows (and consumes) a pending flash message."""
    web_user = getattr(request.state, "web_user", None)
    principal = web_user.principal if web_user is not None else None
    flash = read_flash(request) if FLASH_COOKIE in request.cookies else None
    response = templates.TemplateResponse(
        request,
        template,
        {"nav": nav_for(principal), "active": active, "version": __version__, "flash": flash, **context},
        status_code=status,
    )
    if FLASH_COOKIE in request.cookies:
        clear_flash(request, response)
    return response


def render_error(request: Request, *, status: int, title: str, detail: str) -> HTMLResponse:
    return page(request, "error.html", active="", status=status, title=title, detail=detail)
