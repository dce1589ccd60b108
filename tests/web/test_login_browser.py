"""Logging in and out in Debian's Chromium (Playwright's sync API) against a live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from secassist.http.deps import SESSION_COOKIE
from secassist.web.auth import LOGIN_FAILED

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_db")]


def fill_login(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_log_in_see_the_account_and_log_out(page: Page, live_server: str) -> None:
    page.goto("/")
    account_nav = page.get_by_role("navigation", name="Account")
    account_nav.get_by_role("link", name="Log in").click()
    expect(page).to_have_title("Log in · secassist")

    # A wrong password first: the vague message, and the form again.
    fill_login(page, "pl.mod", "not the password")
    expect(page.get_by_test_id("login-error")).to_have_text(LOGIN_FAILED)
    expect(page.get_by_test_id("current-user")).to_have_count(0)

    fill_login(page, "pl.mod", "demo-pl.mod!")
    expect(page).to_have_url(f"{live_server}/account")
    expect(page).to_have_title("Account · secassist")
    expect(page.get_by_test_id("current-user")).to_have_text("Anna Nowak (Poland MoD)")
    expect(page.get_by_test_id("current-org")).to_have_text("Ministry of National Defence of Poland")
    expect(page.get_by_test_id("account-roles")).to_have_text("partner_staff")
    expect(page.get_by_test_id("account-country")).to_have_text("PL")
    expect(page.get_by_test_id("account-kind")).to_have_text("partner")
    expect(page.locator("#permissions").get_by_role("cell", name="case", exact=True)).to_be_visible()

    (cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert page.evaluate("document.cookie").find(SESSION_COOKIE) == -1  # invisible to scripts

    # The top bar follows the user to the public pages.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reference data").click()
    expect(page.get_by_test_id("current-user")).to_have_text("Anna Nowak (Poland MoD)")

    account_nav.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server}/")
    expect(account_nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]

    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next=/account$"))


def test_login_returns_to_the_page_asked_for(page: Page, live_server: str) -> None:
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next=/account$"))
    fill_login(page, "hfac.staff", "demo-hfac.staff!")
    expect(page).to_have_url(f"{live_server}/account")
    expect(page.get_by_test_id("account-kind")).to_have_text("congress")
    expect(page.get_by_test_id("account-country")).to_have_text("—")
