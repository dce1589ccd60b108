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


def _as(page: Page, username: str, path: str) -> None:
    page.context.clear_cookies()
    page.goto(path)
    fill_login(page, username, f"demo-{username}!")
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_an_amendment_adds_a_line_a_modification_and_a_line_completed(page: Page) -> None:
    """On Poland's implemented case the case manager proposes an amendment that adds a line
    (kept with its error first), issues a delivery-schedule modification, Poland accepts the
    amendment, and the case manager marks a line supply/services complete from its page."""
    _as(page, "dsca.case", "/cases?status=implemented")
    page.get_by_test_id("case-list").get_by_role("link", name=re.compile(r"^PL-P-")).first.click()
    case_url = page.url.removeprefix(page.url.split("/cases/")[0])
    page.get_by_text("Propose an amendment (scope)").click()
    form = page.get_by_test_id("amendment-form")
    form.get_by_label("Description", exact=True).fill("Add a spare mount")
    form.get_by_label("Item type").select_option("spare_parts")
    form.get_by_label("Line description").fill("Spare CIWS mount")
    form.get_by_label("Line quantity").fill("1")
    form.get_by_label("Line unit cost (USD)").fill("four million")
    form.get_by_role("button", name="Propose the amendment").click()
    expect(page.get_by_test_id("error-new_unit_cost")).to_be_visible()  # beside the field, input kept
    form = page.get_by_test_id("amendment-form")
    expect(form.get_by_label("Line description")).to_have_value("Spare CIWS mount")
    form.get_by_label("Line unit cost (USD)").fill("4000000")
    form.get_by_role("button", name="Propose the amendment").click()
    expect(page.get_by_test_id("flash")).to_contain_text("1 new line")
    proposed = page.get_by_test_id("amendments").locator("tbody tr").filter(has_text="Add a spare mount")
    expect(proposed).to_contain_text("proposed")

    page.get_by_text("Issue a modification").click()
    mod = page.get_by_test_id("modification-form")
    mod.get_by_label("Reason").select_option("delivery_schedule")
    mod.get_by_label("Description").fill("Delivery of line 001 slips one quarter")
    mod.get_by_role("button", name="Issue the modification").click()
    expect(page.get_by_test_id("flash")).to_contain_text("delivery delay or schedule change")

    _as(page, "pl.mod", case_url)
    page.locator("[data-testid^=accept-amendment-]").last.get_by_role(
        "button", name="Record acceptance"
    ).click()
    expect(page.get_by_test_id("flash")).to_contain_text("accepted and applied")
    expect(page.get_by_test_id("lines")).to_contain_text("Spare CIWS mount")

    _as(page, "dsca.case", case_url)
    page.get_by_test_id("lines").get_by_role("link", name="001").click()
    expect(page.get_by_test_id("line-status")).to_have_text("open")
    page.get_by_test_id("line-complete-form").get_by_role("button", name="Mark the line complete").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Line 001 is supply/services complete")
    page.get_by_test_id("lines").get_by_role("link", name="001").click()
    expect(page.get_by_test_id("line-status")).to_contain_text("SSC")
    expect(page.get_by_test_id("line-complete-form")).to_have_count(0)
