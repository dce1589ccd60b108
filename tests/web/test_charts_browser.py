"""The charts page in Debian's Chromium: each chart is an image named by its title, drawn
with no script, its table view one click away, and the page fits 1280 and 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from secassist.demo.dataset import DEMO_USERS
from tests.web.test_login_browser import fill_login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_db")]
AUDITOR = next(u for u in DEMO_USERS if u.username == "ig.auditor")


@pytest.mark.parametrize("width", [1280, 390])
def test_charts_draw_without_script_and_fit_the_screen(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/login?next=/charts")
    fill_login(page, AUDITOR.username, AUDITOR.password)
    # No script runs here: the page loads none (the SVG is drawn on the server).
    assert page.evaluate("document.scripts.length") == 0
    dwell = page.get_by_test_id("chart-dwell")
    expect(dwell.get_by_role("img", name="Case pipeline: days in each phase")).to_be_visible()
    table = page.get_by_test_id("chart-dwell-table")
    expect(table).to_be_hidden()
    dwell.get_by_text("Table view").click()
    expect(table).to_be_visible()
    expect(table.get_by_role("row")).not_to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
