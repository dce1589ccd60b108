"""A case from Letter of Request to offer, through the pages, in Chromium, each step by the
user whose office does it: Poland's MoD files its request (the completeness checklist);
the Army's case manager (DSCA demo user) opens the case, adds a line and moves it along,
and the offer is refused with the vetting gate's reason beside the status; the State PM
officer vets the case from its page, each concern's office signs off by its own reviewer
and the officer records the final decision; the case manager then
offers it; Poland sees its offer, without the U.S.-internal reasons behind the gates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from secassist.demo.people import DECIDER, OFFICE_SIGNERS
from secassist.workflows.offer import WITHHELD
from tests.web.test_login_browser import fill_login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_db")]


def as_user(page: Page, username: str, path: str) -> None:
    page.context.clear_cookies()
    page.goto(path)
    fill_login(page, username, f"demo-{username}!")
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def move(page: Page, to: str, **fields: str) -> None:
    form = page.get_by_test_id("advance-form")
    form.get_by_label("To").select_option(to)
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name="Apply").click()


def test_letter_of_request_to_offer(page: Page) -> None:
    # Poland's MoD files its Letter of Request (its own country: no purchaser to choose).
    as_user(page, "pl.mod", "/lors/new")
    form = page.get_by_test_id("lor-form")
    form.get_by_label("Purchaser's reference number").fill("PL-MON-2026-031")
    form.get_by_label("End users").fill("Polish Land Forces")
    form.get_by_role("button", name="Record the request").click()
    expect(page.get_by_test_id("flash")).to_contain_text("still missing: articles_services")
    expect(page.get_by_test_id("check-articles_services")).to_have_attribute("data-state", "missing")
    expect(page.get_by_test_id("check-end_users")).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("open-case-form")).to_have_count(0)  # the purchaser does not open cases
    page.get_by_text("Fill in or correct the request").click()
    edit = page.get_by_test_id("lor-edit-form")
    edit.get_by_label("Articles and services requested").fill("Javelin operator and maintainer training")
    edit.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("flash")).to_contain_text("nothing is missing")
    expect(page.get_by_test_id("lor-complete")).to_be_visible()
    lor_url = page.url.removeprefix(page.url.split("/lors/")[0])

    # The case manager opens the case and develops it.
    as_user(page, "dsca.case", lor_url)
    opening = page.get_by_test_id("open-case-form")
    opening.get_by_label("Implementing agency").select_option("B")
    opening.get_by_label("Title").fill("Javelin training")
    opening.get_by_role("button", name="Open the case").click()
    expect(page.get_by_test_id("flash")).to_contain_text(re.compile(r"Case PL-B-\w{3} opened"))
    expect(page.get_by_test_id("case-status")).to_have_text("LOR received")
    case_url = page.url
    move(page, "lor_complete")
    expect(page.get_by_test_id("case-status")).to_have_text("LOR complete")
    move(page, "in_development")
    page.get_by_text("Add a line").click()
    line = page.get_by_test_id("line-form")
    line.get_by_label("Item type").select_option("training")
    line.get_by_label("Description").fill("Javelin gunner course")
    line.get_by_label("Quantity").fill("12")
    line.get_by_label("Unit cost (USD)").fill("abc")
    line.get_by_role("button", name="Add the line").click()
    expect(page.get_by_test_id("error-unit_cost")).to_be_visible()  # refused: beside the field, input kept
    line = page.get_by_test_id("line-form")
    expect(line.get_by_label("Description")).to_have_value("Javelin gunner course")
    line.get_by_label("Unit cost (USD)").fill("125000")
    line.get_by_role("button", name="Add the line").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Line 001 added: $1,500,000.00.")
    for to, label in (("written", "Written (W)"), ("reviewed", "Reviewed (R)"), ("proposed", "Proposed (P)")):
        move(page, to)
        expect(page.get_by_test_id("case-status")).to_have_text(label)
    oed = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    move(page, "offered", **{"Offer expires": oed})
    # The offer is blocked: the vetting gate's reason beside the status; nothing changed.
    expect(page.get_by_test_id("error-to")).to_contain_text(
        "No vetting proposal has been filed for this case."
    )
    expect(page.get_by_test_id("case-status")).to_have_text("Proposed (P)")
    expect(page.get_by_test_id("gate-vetting")).to_contain_text("not satisfied")

    # State's policy officer vets the case from its page and decides.
    as_user(page, "pm.officer", case_url.removeprefix(case_url.split("/cases/")[0]))
    page.get_by_test_id("vet-link").click()
    page.get_by_test_id("vet-form").get_by_role("button", name="File and evaluate").click()
    expect(page.get_by_test_id("flash")).to_contain_text("filed and evaluated: the rules recommend review")
    expect(page.get_by_test_id("findings")).to_be_visible()
    proposal_url = page.url.removeprefix(page.url.split("/vetting/")[0]).split("#")[0]
    # A concern awaits the sign-off of the office the finding names; approving before it is refused.
    final = page.get_by_test_id("finalize-form")
    final.get_by_label("Final decision").select_option("approve")
    final.get_by_role("button", name="Record final decision").click()
    expect(page.get_by_test_id("error-decision")).to_contain_text("sign-off still needed from")
    # Each office signs off by a user of that office; then the decider, who signed nothing.
    signoff = page.get_by_test_id("signoff-form")
    while signoff.count():
        office = signoff.get_by_label("Office").locator("option").first.get_attribute("value")
        assert office is not None
        as_user(page, OFFICE_SIGNERS[office], proposal_url)
        signoff = page.get_by_test_id("signoff-form")
        signoff.get_by_label("Office").select_option(office)
        signoff.get_by_label("Comment").fill(f"{office}: no objection for a training case")
        signoff.get_by_role("button", name="Sign off").click()
        expect(page.get_by_test_id("flash")).to_contain_text("Sign-off recorded")
        signoff = page.get_by_test_id("signoff-form")
    as_user(page, DECIDER, proposal_url)
    final = page.get_by_test_id("finalize-form")
    final.get_by_label("Final decision").select_option("approve")
    final.get_by_label("Provisos (one a line)").fill("No retransfer without prior U.S. consent")
    final.get_by_role("button", name="Record final decision").click()
    expect(page.get_by_test_id("final-decision")).to_have_text("approve")

    # The case manager offers it: every gate is satisfied now.
    as_user(page, "dsca.case", case_url.removeprefix(case_url.split("/cases/")[0]))
    expect(page.get_by_test_id("gate-vetting")).to_contain_text("satisfied")
    move(page, "offered", **{"Offer expires": oed})
    expect(page.get_by_test_id("flash")).to_contain_text("is now Offered")
    expect(page.get_by_test_id("case-status")).to_have_text("Offered")

    # Poland sees its offer and may accept it, not the reasons behind the U.S. gates.
    as_user(page, "pl.mod", case_url.removeprefix(case_url.split("/cases/")[0]))
    expect(page.get_by_test_id("case-status")).to_have_text("Offered")
    expect(page.get_by_test_id("gate-vetting")).to_contain_text(WITHHELD)
    expect(page.get_by_test_id("advance-form").get_by_label("To").locator("option")).to_have_text(
        ["Accepted"]
    )
