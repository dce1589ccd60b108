"""Lists, exports and reports through the web app on the demo data: sort links and pages,
CSV · JSON · XLSX of exactly the filtered set (scoped as the page is), the case summary
PDF, the transparency registers, and the SIPRI TIV check on the real SIPRI files."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.models import Case
from secassist.storage.uow import read_only
from tests.conftest import SHARED_DATA
from tests.web.test_shell import login

pytestmark = pytest.mark.usefixtures("demo_db")


def test_exports_need_a_login(client: TestClient) -> None:
    r = client.get("/exports/cases.csv?status=implemented", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/exports/cases.csv")


def test_the_case_list_sorts_pages_and_links_its_exports(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    login(client, session_factory, "pm.officer")
    page = client.get("/cases?sort=-total_value&per_page=3&page=2").text
    assert 'aria-sort="descending"' in page
    assert "page 2 of" in page
    assert 'href="/exports/cases.csv?sort=-total_value"' in page
    assert 'href="/exports/cases.xlsx?sort=-total_value"' in page
    shown = re.findall(r'<td><a href="/cases/([A-Z0-9-]+)">', page)
    assert len(shown) == 3
    export = list(csv.DictReader(io.StringIO(client.get("/exports/cases.csv?sort=-total_value").text)))
    assert [r["identifier"] for r in export[3:6]] == shown  # page 2 is rows 4-6 of the export


def test_an_export_holds_every_page_of_the_filter(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    login(client, session_factory, "pm.officer")
    page = client.get("/cases?status=implemented&per_page=1").text
    total = int(re.search(r"(\d+) rows?", page).group(1))  # type: ignore[union-attr]
    assert total > 1
    r = client.get("/exports/cases.json?status=implemented")
    assert r.headers["content-disposition"] == 'attachment; filename="cases.json"'
    doc = json.loads(r.text)
    assert doc["count"] == total
    assert {row["status"] for row in doc["rows"]} == {"implemented"}
    x = client.get("/exports/cases.xlsx?status=implemented")
    assert x.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet is not None
    assert sheet.max_row == total + 1


def test_a_partners_export_is_scoped_like_its_page(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    login(client, session_factory, "pl.mod")
    for name, key in (("cases", "purchaser"), ("items", "holder_country"), ("ledger", "country")):
        rows = json.loads(client.get(f"/exports/{name}.json").text)["rows"]
        assert rows, name
        assert {r[key] for r in rows} == {"PL"}, name
    # A filter naming another country finds nothing rather than that country's rows.
    assert json.loads(client.get("/exports/cases.json?country=JP").text)["count"] == 0
    assert client.get("/exports/screenings.csv").status_code == 403  # not a partner's page


def test_bad_list_parameters_are_a_clear_error(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    login(client, session_factory, "pm.officer")
    r = client.get("/exports/cases.csv?sort=secret")
    assert r.status_code == 422
    assert "sort" in r.text
    assert client.get("/exports/nothing.csv").status_code == 404
    assert client.get("/exports/cases.exe").status_code == 404


def test_the_other_lists_page_and_export(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    login(client, session_factory, "pm.officer")
    for path, name in (("/notifications", "notifications"), ("/transfers", "transfers"),
                       ("/equipment/incidents", "incidents"), ("/vetting", "vetting-queue")):  # fmt: skip
        page = client.get(path + "?per_page=1")
        assert page.status_code == 200, path
        assert f'href="/exports/{name}.csv?' in page.text, path
        for fmt in ("csv", "json", "xlsx"):
            assert client.get(f"/exports/{name}.{fmt}").status_code == 200, (name, fmt)


def test_the_case_summary_pdf(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    login(client, session_factory, "pl.mod")
    ident = re.findall(r'<td><a href="/cases/([A-Z0-9-]+)">', client.get("/cases").text)[0]
    assert f'href="/cases/{ident}/summary.pdf"' in client.get(f"/cases/{ident}").text
    r = client.get(f"/cases/{ident}/summary.pdf")
    assert r.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert f"FMS case {ident}" in text
    assert "Poland (PL)" in text
    with read_only(session_factory) as s:
        other = s.scalars(select(Case.identifier).where(Case.country_code == "JP")).first()
    assert other is not None
    assert client.get(f"/cases/{other}/summary.pdf").status_code == 404  # another country's case


def test_the_transparency_registers(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    login(client, session_factory, "hfac.staff")
    page = client.get("/reports/transparency").text
    assert 'data-testid="un-totals"' in page
    assert 'data-testid="trade-register"' in page
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/un-register.csv").text)))
    for cat in ("I", "II", "III", "IV", "V", "VI", "VII"):
        m = re.search(
            rf'data-testid="un-total-{cat}"><td>{cat}</td><td>[^<]*</td><td class="num">(\d+)</td>', page
        )
        assert m is not None
        assert int(m.group(1)) == sum(r["category"] == cat for r in rows)
    register = json.loads(client.get("/reports/trade-register.json").text)
    assert register["count"] > 0
    assert all(r["notified_on"] for r in register["rows"])


def test_the_sipri_check_on_the_real_files(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "ig.auditor")
    d = SHARED_DATA / "sipri"
    files = {
        "register": ("register.csv", (d / "sipri_trade_register_1950-2023.csv").read_bytes(), "text/csv"),
        "table": ("table.csv", (d / "sipri_us_export_tiv_by_recipient.csv").read_bytes(), "text/csv"),
    }
    r = client.post("/reports/sipri", data={"csrf": csrf}, files=files)
    assert r.status_code == 200, r.text[-1000:]
    assert "181 recipients; 181 agree." in r.text
    bad = client.post(
        "/reports/sipri", data={"csrf": csrf}, files={**files, "register": ("x.csv", b"nope\n", "text/csv")}
    )
    assert bad.status_code == 422
    assert "no SIPRI trade-register header" in bad.text
