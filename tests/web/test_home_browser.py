"""Each demo stakeholder logs in in Debian's Chromium and lands on its own home."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from secassist.demo.dataset import DEMO_USERS
from tests.web.test_home_pages import PANELS
from tests.web.test_login_browser import fill_login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_db")]


def test_every_stakeholder_lands_on_its_home(page: Page, live_server: str) -> None:
    for user in DEMO_USERS:
        page.goto("/login?next=/")
        fill_login(page, user.username, user.password)
        expect(page).to_have_url(f"{live_server}/")
        expect(page.get_by_test_id("home-title")).to_have_text(f"Your work, {user.display_name}")
        for panel in PANELS[user.username]:
            expect(page.get_by_test_id(f"panel-{panel}")).to_be_visible()
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
        if user.username in ("pl.mod", "odc.poland"):
            nav.get_by_role("link", name="Poland").click()
            expect(page.get_by_test_id("country-title")).to_contain_text("Poland")
        account = page.get_by_role("navigation", name="Account")
        account.get_by_role("button", name="Log out").click()
        expect(account.get_by_role("link", name="Log in")).to_be_visible()
