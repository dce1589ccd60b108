"""The Programs page in Chromium: totals over the demo funds, the as-of date picker, and a
partner seeing only its own country."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.test_login_browser import fill_login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_db")]


def test_programs_overview_as_of_a_date(page: Page, live_server: str) -> None:
    page.goto("/programs")
    expect(page).to_have_url(f"{live_server}/login?next=/programs")
    fill_login(page, "pm.officer", "demo-pm.officer!")
    expect(page).to_have_url(f"{live_server}/programs")
    page.get_by_label("As of").fill("2024-12-31")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{live_server}/programs?on=2024-12-31")
    fmf = page.get_by_test_id("row-FMF-2024-all")
    # $6.1B base + $7.1B supplemental; $8.2B allocated (EG, IL, PL, PH).
    expect(fmf).to_contain_text("13,200,000,000.00")
    expect(fmf).to_contain_text("8,200,000,000.00")
    expect(page.get_by_test_id("row-IMET-2024-PH").get_by_test_id("available")).to_have_text("1,200,000.00")
    # Before the IMET obligation of 2024-07-01 the whole allocation was available.
    page.get_by_label("As of").fill("2024-06-30")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("row-IMET-2024-PH").get_by_test_id("available")).to_have_text("2,200,000.00")
    page.get_by_role("navigation", name="Account").get_by_role("button", name="Log out").click()

    page.goto("/login?next=/programs%3Fon%3D2024-12-31")
    fill_login(page, "pl.mod", "demo-pl.mod!")
    rows = page.get_by_test_id("program-totals").locator("tbody tr")
    expect(rows).to_have_count(2)  # FMF and IMET allocations to Poland; no program-level rows
    expect(page.get_by_test_id("row-FMF-2024-PL")).to_contain_text("60,000,000.00")
    expect(page.get_by_test_id("row-FMF-2024-all")).to_have_count(0)
