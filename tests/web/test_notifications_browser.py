"""Notifications in Debian's Chromium: congress sees nothing before the formal
notification; State PM records it through the form; then congress sees the notice."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from secassist.notification import service
from secassist.storage.uow import unit_of_work
from tests.web.test_login_browser import fill_login

pytestmark = pytest.mark.browser


@pytest.fixture
def draft_id(demo_db: None, session_factory: sessionmaker[Session]) -> int:
    """The demo (its cases' notifications formally notified) and one draft beside it."""
    with unit_of_work(session_factory) as s:
        n = service.create_notification(
            s,
            actor=None,
            purchaser="Kingdom of Saudi Arabia",
            purchaser_country="SA",
            mde_value="20000000",
            other_value="40000000",
            implementing_agency="Department of the Army",
            description="MDE: Eight (8) AN/TPQ-53 radars",
        )
        return n.id


def _login(page: Page, username: str) -> None:
    page.goto("/login")
    fill_login(page, username, f"demo-{username}!")
    expect(page.get_by_test_id("current-user")).to_be_visible()


def _logout(page: Page) -> None:
    page.get_by_role("navigation", name="Account").get_by_role("button", name="Log out").click()


def test_formal_notification_opens_the_notice_to_congress(page: Page, draft_id: int) -> None:
    draft_link = f'a[href="/notifications/{draft_id}"]'
    _login(page, "hfac.staff")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_test_id("notifications")).to_be_visible()  # the demo's notified cases
    expect(page.locator(draft_link)).to_have_count(0)  # but not the draft
    _logout(page)

    _login(page, "pm.officer")
    page.goto("/notifications")
    page.get_by_test_id("notifications").locator(draft_link).click()
    expect(page.get_by_test_id("status")).to_have_text("draft")
    page.get_by_label("Delivered to Congress on").fill("2025-03-10")
    page.get_by_label("Transmittal No.").fill("25-07")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_test_id("status")).to_have_text("formally notified")
    expect(page.get_by_test_id("review-ends")).to_have_text("30 days, ends 2025-04-09")
    expect(page.get_by_test_id("notice-text")).to_contain_text(
        "(i) Prospective Purchaser: Kingdom of Saudi Arabia"
    )
    with page.expect_download() as download:
        page.get_by_test_id("pdf-link").click()
    path = download.value.path()
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-"
    _logout(page)

    _login(page, "hfac.staff")
    page.goto("/notifications")
    table = page.get_by_test_id("notifications")
    expect(table.get_by_role("link", name="25-07")).to_be_visible()
    table.get_by_role("link", name="25-07").click()
    expect(page.get_by_test_id("formal-date")).to_have_text("2025-03-10")
    expect(page.get_by_role("button", name="Record")).to_have_count(0)
