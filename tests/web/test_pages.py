"""The server-rendered pages, through the TestClient: content, as-of dates, filters, error pages."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest

from secassist.reference.service import ReferenceData

# Anonymous visitors see the public pages only (the others are in tests/web/test_home_pages.py).
NAV_LABELS = ["Overview", "Reference data", "Countries", "API"]

# src bug: /reference computes every section with the one as-of date, and the ITAR §126.1 file
# only covers 2024-01-01 onwards, so any date before 2024 (e.g. the Finnish accession) is an
# error page instead of the NATO list. See the report; remove the mark once it is fixed.
# --- helpers ---------------------------------------------------------------------------------


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment, unescaped, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def nav_links(page: str) -> list[tuple[str, str, bool]]:
    """(label, href, is aria-current) for each link of the main navigation."""
    m = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S)
    assert m, "main navigation missing"
    return [
        (html.unescape(label), href, bool(current))
        for href, current, label in re.findall(
            r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', m.group(1)
        )
    ]


def section(page: str, section_id: str) -> str:
    m = re.search(rf'<section id="{section_id}">(.*?)</section>', page, re.S)
    assert m, f"section #{section_id} missing"
    return m.group(1)


def listed_codes(fragment: str) -> list[str]:
    return re.findall(r'<abbr title="[^"]*">([A-Z]+)</abbr>', fragment)


def nato_heading(page: str) -> str:
    m = re.search(r"<h2>(.*?)</h2>", section(page, "nato"), re.S)
    assert m
    return text_of(m.group(1))


def table_rows(page: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert body
    return [
        [text_of(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def get_html(client: Any, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, r.text[-2000:]
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    return str(r.text)


def error_box(page: str) -> str:
    m = re.search(r'<div class="error" role="alert">(.*?)</div>', page, re.S)
    assert m, "no error box on the page"
    return text_of(m.group(1))


# --- navigation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "active"),
    [
        ("/", "Overview"),
        ("/reference?on=2024-03-07", "Reference data"),
        ("/reference/countries", "Countries"),
    ],
)
def test_nav_marks_the_active_page(client: Any, url: str, active: str) -> None:
    links = nav_links(get_html(client, url))
    assert [label for label, _, _ in links] == NAV_LABELS
    assert dict((label, href) for label, href, _ in links) == {
        "Overview": "/",
        "Reference data": "/reference",
        "Countries": "/reference/countries",
        "API": "/api/v1/docs",
    }
    assert [label for label, _, current in links if current] == [active]


def test_error_pages_keep_the_nav_without_an_active_item(client: Any) -> None:
    links = nav_links(get_html(client, "/nope", status=404))
    assert [label for label, _, _ in links] == NAV_LABELS
    assert not [label for label, _, current in links if current]


# --- overview ----------------------------------------------------------------------------------


def test_home_page(client: Any, reference: ReferenceData) -> None:
    page = get_html(client, "/")
    assert "<title>Overview · secassist</title>" in page
    assert '<html lang="en">' in page
    cov = reference.coverage()
    on = min(date.today(), cov["nato"].end)
    m = re.search(r'data-testid="nato-count">(\d+)<', page)
    assert m
    assert int(m.group(1)) == len(reference.nato_members(on))
    assert f"NATO members on {on.isoformat()}" in page
    assert f'href="/reference?on={on.isoformat()}#nato"' in page
    assert f"{len(reference.countries())} countries and territories" in text_of(page)


def test_static_stylesheet_is_served(client: Any) -> None:
    r = client.get("/static/style.css")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/css")


# --- reference data -------------------------------------------------------------------------------


def test_reference_page_defaults_to_today_within_coverage(client: Any, reference: ReferenceData) -> None:
    page = get_html(client, "/reference")
    on = min(date.today(), reference.coverage()["itar_126_1"].end)
    assert f'<input type="date" id="on" name="on" value="{on.isoformat()}">' in page
    assert (
        nato_heading(page) == f"NATO member countries ({len(reference.nato_members(on))} on {on.isoformat()})"
    )
    for sid in ("nato", "groups", "mnna", "itar", "usml", "agencies", "coverage"):
        section(page, sid)


def test_reference_page_before_and_on_swedish_accession(client: Any) -> None:
    before = get_html(client, "/reference?on=2024-03-06")
    after = get_html(client, "/reference?on=2024-03-07")
    assert nato_heading(before) == "NATO member countries (31 on 2024-03-06)"
    assert nato_heading(after) == "NATO member countries (32 on 2024-03-07)"
    nato_before = listed_codes(section(before, "nato"))
    nato_after = listed_codes(section(after, "nato"))
    assert len(nato_before) == 31
    assert "SE" not in nato_before
    assert set(nato_after) - set(nato_before) == {"SE"}
    assert "Sweden" in text_of(section(after, "nato"))
    assert "Sweden" not in text_of(section(before, "nato"))


def test_reference_page_before_and_on_finnish_accession(client: Any) -> None:
    before = get_html(client, "/reference?on=2023-04-03")
    after = get_html(client, "/reference?on=2023-04-04")
    assert nato_heading(before) == "NATO member countries (30 on 2023-04-03)"
    assert "FI" not in listed_codes(section(before, "nato"))
    assert "Finland" not in text_of(section(before, "nato"))
    assert nato_heading(after) == "NATO member countries (31 on 2023-04-04)"
    assert "FI" in listed_codes(section(after, "nato"))


def test_reference_page_groups_and_lists(client: Any) -> None:
    page = get_html(client, "/reference?on=2024-03-07")
    groups = section(page, "groups")
    higher, short = re.split(r"<h3>15-day review", groups)
    assert "NATO" not in listed_codes(higher)
    assert "NATO" in listed_codes(short)
    assert set(listed_codes(short)) == set(listed_codes(higher)) | {"NATO"}
    assert len(listed_codes(higher)) == 37
    mnna = section(page, "mnna")
    assert "KE" in listed_codes(mnna)
    assert "SA" not in listed_codes(mnna)
    assert "Treated as an MNNA without designation: TW" in text_of(mnna)
    itar = text_of(section(page, "itar"))
    assert "CN China" in itar
    assert "RU Russian Federation" in itar
    usml = table_rows(section(page, "usml"))
    assert [row[0] for row in usml][:3] == ["I", "II", "III"]
    assert len(usml) == 21
    bodies = text_of(section(page, "nato"))
    assert "North Atlantic Treaty Organization (NATO, customer code N4)" in bodies


def test_reference_page_itar_follows_the_date(client: Any) -> None:
    def itar_codes(on: str) -> list[str]:
        rows = table_rows(section(get_html(client, f"/reference?on={on}"), "itar"))
        return [row[0].split()[0] for row in rows]

    assert "KH" in itar_codes("2025-11-06")
    assert "KH" not in itar_codes("2025-11-07")


# --- countries ---------------------------------------------------------------------------------


def test_countries_page_lists_every_country(client: Any, reference: ReferenceData) -> None:
    page = get_html(client, "/reference/countries")
    rows = table_rows(page)
    assert [row[0] for row in rows] == [c.code for c in reference.countries()]
    assert '<option value="" selected' not in page  # "All regions" is the unselected default
    assert not re.search(r'<option value="[A-Z]+" selected>', page)


@pytest.mark.parametrize("region", ["EUR", "eur"])
def test_countries_page_filters_by_region(client: Any, region: str) -> None:
    page = get_html(client, f"/reference/countries?region={region}")
    rows = table_rows(page)
    assert {row[2] for row in rows} == {"EUR"}
    codes = {row[0] for row in rows}
    assert {"SE", "FI", "DE"} <= codes
    assert not codes & {"JP", "US", "EG"}
    assert re.search(r'<option value="EUR" selected>', page)
    assert len(re.findall(r" selected>", page)) == 1


def test_countries_page_empty_region_means_all(client: Any, reference: ReferenceData) -> None:
    rows = table_rows(get_html(client, "/reference/countries?region="))
    assert len(rows) == len(reference.countries())


def test_countries_page_marks_unconfirmed_fms_codes(client: Any) -> None:
    rows = {row[0]: row for row in table_rows(get_html(client, "/reference/countries?region=EAP"))}
    assert rows["AU"][3] == "AT UNCONFIRMED"
    assert rows["AS"][1] == "American Samoa territory"


# --- error pages ----------------------------------------------------------------------------------


def test_malformed_date_is_an_html_error_page(client: Any) -> None:
    r = client.get("/reference?on=not-a-date")
    assert r.status_code == 422
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "problem+json" not in r.headers["content-type"]
    assert r.text.lstrip().startswith("<!doctype html>")
    assert "<title>Invalid input · secassist</title>" in r.text
    assert error_box(r.text) == (
        "Invalid input on: 'not-a-date' is not a date (YYYY-MM-DD) Back to the overview"
    )


def test_out_of_range_date_is_an_html_error_page_naming_the_date(client: Any) -> None:
    page = get_html(client, "/reference?on=1900-01-01", status=422)
    box = error_box(page)
    assert box.startswith("Date outside the data's range")
    assert "date 1900-01-01 is outside the range of nato.yaml (1949-08-24 to 2027-12-31)" in box


def test_unknown_region_is_an_html_error_page(client: Any) -> None:
    page = get_html(client, "/reference/countries?region=XYZ", status=404)
    assert "unknown region 'XYZ'" in error_box(page)


def test_unknown_page_is_a_404_html_page(client: Any) -> None:
    page = get_html(client, "/no/such/page", status=404)
    assert "<title>Not found · secassist</title>" in page
    assert error_box(page).startswith("Not found")
    assert '<a href="/">Back to the overview</a>' in page


def test_error_page_escapes_what_the_user_typed(client: Any) -> None:
    r = client.get("/reference", params={"on": "<script>alert(1)</script>"})
    assert r.status_code == 422
    assert "<script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
