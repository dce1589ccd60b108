"""Case pages in Chromium: Poland's MoD finds its offered case through the filters, reads
its lines and gates, and accepts it from the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.test_login_browser import fill_login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_db")]


def test_partner_filters_reads_and_accepts_its_offer(page: Page) -> None:
    page.goto("/cases")
    expect(page).to_have_url(re.compile(r"/login\?next=/cases$"))
    fill_login(page, "pl.mod", "demo-pl.mod!")
    expect(page).to_have_url(re.compile(r"/cases$"))
    rows = page.get_by_test_id("case-list").locator("tbody tr")
    expect(rows).to_have_count(3)  # Poland's three demo cases only (one is the equipment demo's)
    page.get_by_label("Status").select_option("offered")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="PL-B-AAA").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Offered")
    expect(page.get_by_test_id("lines")).to_contain_text("Javelin missiles")
    expect(page.get_by_test_id("case-total")).to_have_text("$34,600,000.00")
    expect(page.get_by_test_id("gates")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("Proposed (P)")
    form = page.get_by_test_id("advance-form")
    expect(form.get_by_label("To").locator("option")).to_have_text(["Accepted"])
    form.get_by_label("Initial deposit").fill("3460000.00")
    form.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Accepted")
    expect(page.get_by_test_id("timeline")).to_contain_text("Accepted")
