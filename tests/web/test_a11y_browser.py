"""Every page a stakeholder can open passes axe-core with no serious or critical violation,
fits a 1280 px desktop and a 390 px phone without horizontal scrolling, and leaves a
screenshot behind as a test artifact (issue 15, "Browser tests").

axe-core comes from the pinned ``axe-playwright-python`` wheel (MPL-2.0), never from the
network. It is injected with ``page.evaluate``, which the page's Content-Security-Policy does
not govern, so the app's CSP stays as strict as it is in production.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from secassist.demo.dataset import DEMO_USERS
from tests.web.test_login_browser import fill_login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_db")]

AXE_SOURCE = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
# WCAG 2.x A and AA plus axe's best practices; "serious" and "critical" fail the test.
AXE_RUN = """() => axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
  resultTypes: ['violations'],
})"""
FAILING_IMPACTS = {"serious", "critical"}

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}

# One stakeholder of each kind; each visits every page its navigation shows.
USERS = ("pm.officer", "dsca.case", "pl.mod", "odc.poland", "hfac.staff", "ig.auditor")

# Detail pages: the first link matching the pattern on the list page, for the first user who
# sees one. The audit entry is visited directly.
DETAILS: tuple[tuple[str, str], ...] = (
    ("/cases", r"^/cases/[^/?]+$"),
    ("/vetting", r"^/vetting/proposals/\d+$"),
    ("/notifications", r"^/notifications/\d+$"),
    ("/transfers", r"^/transfers/\d+$"),
    ("/equipment", r"^/equipment/(countries/[A-Z]{2}|items/.+)$"),
)
DIRECT = ("/charts", "/audit/entries/1")
PUBLIC = {"/reference", "/reference/countries", "/login"}


def screens_dir() -> Path:
    """Where screenshots go: ``SECASSIST_SCREENS_DIR``, else ``test-artifacts/screens``."""
    return Path(os.environ.get("SECASSIST_SCREENS_DIR", "test-artifacts/screens"))


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    visited: set[tuple[str, str]] = field(default_factory=set)


def run_axe(page: Page) -> list[dict[str, Any]]:
    """The violations axe-core finds in the current page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result: dict[str, Any] = page.evaluate(AXE_RUN)
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def overflow(page: Page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits)."""
    width: int = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    return width


def check_page(page: Page, user: str, path: str, found: Findings) -> None:
    """At each width (1280 px, then 390 px): axe, the no-horizontal-scroll check and a screenshot.
    Axe runs at both widths because the phone layout is a different page to a screen reader
    (stacked tables, wrapped navigation) and may hide or clip what the desktop shows."""
    # Public pages read the same for everyone: checked once.
    key = ("", path) if path in PUBLIC else (user, path)
    if key in found.visited:
        return
    found.visited.add(key)
    page.set_viewport_size({"width": 1280, "height": 900})
    response = page.goto(path)
    assert response is not None, f"{user} {path}: no response"
    assert response.ok, f"{user} {path}: HTTP {response.status}"
    out = screens_dir()
    out.mkdir(parents=True, exist_ok=True)
    for name, (w, h) in VIEWPORTS.items():
        page.set_viewport_size({"width": w, "height": h})
        for v in run_axe(page):
            if v["impact"] in FAILING_IMPACTS:
                targets = "; ".join(str(n["target"]) for n in v["nodes"][:3])
                found.problems.append(
                    f"{user} {path} at {w}px: axe {v['impact']} {v['id']} ({v['help']}) at {targets}"
                )
        extra = overflow(page)
        if extra > 0:
            culprits = page.evaluate(
                """(w) => [...document.querySelectorAll('main *')]
                  .filter(e => e.getBoundingClientRect().right > w + 1
                    || (e.scrollWidth > w && getComputedStyle(e).overflowX === 'visible'))
                  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
                w,
            )
            found.problems.append(f"{user} {path}: {extra}px horizontal scroll at {w}px ({culprits})")
        page.screenshot(path=str(out / f"{user}--{slug(path)}--{name}.png"))


def nav_paths(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "nav[aria-label=Main] a", "els => els.map(e => e.getAttribute('href'))"
    )
    # The API docs are Swagger UI's own page, not ours to restyle.
    return [h for h in hrefs if h.startswith("/") and not h.startswith("/api/")]


def first_link(page: Page, pattern: str) -> str | None:
    hrefs: list[str] = page.eval_on_selector_all(
        "main a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    return next((h for h in hrefs if re.match(pattern, h)), None)


def test_every_page_is_accessible_and_fits(page: Page) -> None:
    passwords = {u.username: u.password for u in DEMO_USERS}
    found = Findings()
    details_seen: set[str] = set()
    check_page(page, "anonymous", "/login", found)
    for user in USERS:
        page.context.clear_cookies()
        page.goto("/login?next=/")
        fill_login(page, user, passwords[user])
        page.wait_for_url("**/")
        for path in nav_paths(page):
            check_page(page, user, path, found)
        for list_path, pattern in DETAILS:
            if list_path in details_seen:
                continue
            response = page.goto(list_path)
            if response is None or not response.ok:  # not this user's page
                continue
            link = first_link(page, pattern)
            if link:
                details_seen.add(list_path)
                check_page(page, user, link, found)
        for path in DIRECT:
            if path not in details_seen and page.goto(path).ok:  # type: ignore[union-attr]
                details_seen.add(path)
                check_page(page, user, path, found)
    wanted = {d for d, _ in DETAILS} | set(DIRECT)
    assert details_seen >= wanted, f"detail pages never reached: {wanted - details_seen}"
    assert not found.problems, "\n".join(found.problems)


def test_axe_runs_in_the_page_and_would_catch_a_violation(page: Page) -> None:
    """The check above can fail: an unlabeled input added to the login page is reported, so
    an empty violation list means axe ran and found nothing, not that it never ran."""
    page.goto("/login")
    assert not [v for v in run_axe(page) if v["impact"] in FAILING_IMPACTS]
    page.evaluate("() => document.querySelector('main').append(document.createElement('input'))")
    assert "label" in {v["id"] for v in run_axe(page) if v["impact"] in FAILING_IMPACTS}
