"""End to end in Debian's Chromium (Playwright's sync API) against a live uvicorn server.

Playwright's own browser downloads are not used: the browser is /usr/bin/chromium. Deselect
these tests with ``-m "not browser"`` on a machine without it.
"""

from __future__ import annotations

import re
import struct
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

from secassist.reference.service import ReferenceData

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _show_reference_on(page: Page, on: str) -> None:
    """Type a date into the as-of form and submit it, as a user would."""
    page.get_by_label("As of").fill(on)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(rf"/reference\?on={on}$"))


def test_home_then_reference_data_by_date(
    page: Page, live_server: str, reference: ReferenceData, tmp_path: Path
) -> None:
    bad_responses: list[str] = []

    def record(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            bad_responses.append(f"{response.status} {response.url}")

    page.on("response", record)

    page.goto("/")
    expect(page).to_have_title("Overview · secassist")
    on = min(date.today(), reference.coverage()["nato"].end)
    expect(page.get_by_test_id("nato-count")).to_have_text(str(len(reference.nato_members(on))))
    expect(page.get_by_role("link", name=re.compile(r"NATO members on"))).to_contain_text(on.isoformat())

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    nav.get_by_role("link", name="Reference data").click()
    expect(page).to_have_url(f"{live_server}/reference")
    expect(page).to_have_title("Reference data · secassist")
    expect(nav.get_by_role("link", name="Reference data")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Overview")).not_to_have_attribute("aria-current", "page")

    nato = page.locator("section#nato")
    heading = nato.get_by_role("heading", level=2)

    _show_reference_on(page, "2024-03-06")
    expect(page.get_by_label("As of")).to_have_value("2024-03-06")
    expect(heading).to_have_text("NATO member countries (31 on 2024-03-06)")
    expect(nato.get_by_role("listitem")).to_have_count(31)
    expect(nato.get_by_text("Sweden", exact=True)).to_have_count(0)
    expect(nato.get_by_text("Finland", exact=True)).to_be_visible()

    _show_reference_on(page, "2024-03-07")
    expect(heading).to_have_text("NATO member countries (32 on 2024-03-07)")
    expect(nato.get_by_role("listitem")).to_have_count(32)
    expect(nato.get_by_text("Sweden", exact=True)).to_be_visible()

    shot = tmp_path / "reference-2024-03-07.png"
    page.screenshot(path=shot, full_page=True)
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width == 1280
    assert height > 900  # full page, longer than the viewport
    assert len(data) > 10_000

    assert bad_responses == []


def test_reference_data_before_finnish_accession(page: Page) -> None:
    page.goto("/reference")
    nato = page.locator("section#nato")
    heading = nato.get_by_role("heading", level=2)

    _show_reference_on(page, "2023-04-03")
    assert page.get_by_role("alert").count() == 0, page.get_by_role("alert").inner_text()
    expect(heading).to_have_text("NATO member countries (30 on 2023-04-03)")
    expect(nato.get_by_text("Finland", exact=True)).to_have_count(0)

    _show_reference_on(page, "2024-03-07")
    expect(heading).to_have_text("NATO member countries (32 on 2024-03-07)")
    expect(nato.get_by_text("Sweden", exact=True)).to_be_visible()
    expect(nato.get_by_text("Finland", exact=True)).to_be_visible()


def test_countries_region_filter(page: Page, live_server: str, reference: ReferenceData) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Countries").click()
    expect(page).to_have_url(f"{live_server}/reference/countries")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(len(reference.countries()))

    region = page.get_by_label("Region")
    expect(region).to_have_value("")
    region.select_option("EUR")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/reference/countries\?region=EUR$"))

    expected = reference.countries("EUR")
    expect(rows).to_have_count(len(expected))
    expect(page.get_by_label("Region")).to_have_value("EUR")
    assert set(page.locator("table tbody tr td:nth-child(3)").all_inner_texts()) == {"EUR"}
    expect(page.get_by_role("cell", name="Sweden", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Japan", exact=True)).to_have_count(0)

    page.get_by_label("Region").select_option(label="EAP — Bureau of East Asian and Pacific Affairs")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/reference/countries\?region=EAP$"))
    expect(rows).to_have_count(len(reference.countries("EAP")))
    expect(page.get_by_role("cell", name="Japan", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Sweden", exact=True)).to_have_count(0)

    page.get_by_label("Region").select_option("")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/reference/countries\?region=$"))
    expect(rows).to_have_count(len(reference.countries()))


def test_bad_date_shows_an_error_page(page: Page) -> None:
    response = page.goto("/reference?on=1900-01-01")
    assert response is not None
    assert response.status == 422
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("date 1900-01-01 is outside the range of nato.yaml")
    page.get_by_role("link", name="Back to the overview").click()
    expect(page).to_have_title("Overview · secassist")
