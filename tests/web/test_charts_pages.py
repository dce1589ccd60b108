"""The charts page (web/charts.py over reports/figures.py) on the demo data, on both
databases: which chart groups each role sees, that each chart is valid SVG whose table
matches, and that a partner's charts hold only its own country."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.models import Case
from secassist.equipment import monitoring
from secassist.storage.uow import read_only
from tests.web.test_pages import nav_links
from tests.web.test_shell import login

pytestmark = pytest.mark.usefixtures("demo_db")
SVG = "{http://www.w3.org/2000/svg}"

# The chart groups each demo stakeholder's role may see (reports/figures.NEEDS).
GROUPS = {
    "pm.officer": ["funds", "pipeline", "notifications", "eeum"],
    "dsca.case": ["funds", "pipeline", "notifications", "eeum"],
    # a partner reads its own country's formally notified notifications (owner's decision)
    "pl.mod": ["funds", "pipeline", "notifications", "eeum"],
    "hfac.staff": ["notifications"],
    "ig.auditor": ["funds", "pipeline", "notifications", "eeum"],
}


def charts_page(client: TestClient, factory: sessionmaker[Session], username: str) -> str:
    login(client, factory, username)
    r = client.get("/charts")
    assert r.status_code == 200, r.text[-2000:]
    return r.text


def svgs(page: str) -> dict[str, ET.Element]:
    """Each chart's SVG, parsed as XML (a malformed one fails here), by its figure's test id."""
    found = {}
    for key, svg in re.findall(
        r'<figure class="chart" data-testid="([a-z0-9-]+)".*?(<svg .*?</svg>)', page, re.S
    ):
        found[key] = ET.fromstring(svg)  # noqa: S314 -- our own server's output, in a test
    return found


def groups_of(page: str) -> list[str]:
    return re.findall(r'<section [^>]*data-testid="charts-([a-z]+)"', page)


@pytest.mark.parametrize(("username", "groups"), GROUPS.items())
def test_each_role_sees_the_charts_it_may_read(
    client: TestClient, session_factory: sessionmaker[Session], username: str, groups: list[str]
) -> None:
    page = charts_page(client, session_factory, username)
    assert groups_of(page) == groups
    assert "Charts" in [label for label, _, _ in nav_links(page)]


def test_the_auditor_sees_every_chart_drawn_and_tabled(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    page = charts_page(client, session_factory, "ig.auditor")
    charts = svgs(page)
    assert {"chart-dwell", "chart-offer-share", "chart-notifications", "chart-eeum"} <= set(charts)
    assert any(k.startswith("chart-funds-") for k in charts)
    for key, svg in charts.items():
        assert svg.get("role") == "img"
        assert svg.get("aria-labelledby") == f"{key}-title {key}-desc"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None
        assert title.text
        assert desc is not None
        assert desc.text
        assert f'data-testid="{key}-table"' in page
        assert "style=" not in ET.tostring(svg, encoding="unicode")  # the CSP forbids inline styles


def _table_cells(page: str, key: str) -> list[list[str]]:
    m = re.search(rf'data-testid="{key}-table">(.*?)</table>', page, re.S)
    assert m, key
    body = m.group(1).split("<tbody>")[1]
    return [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_notification_chart_counts_what_its_table_lists(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    page = charts_page(client, session_factory, "ig.auditor")
    svg = svgs(page)["chart-notifications"]
    rows = _table_cells(page, "chart-notifications")
    per_year: dict[str, int] = {}
    for year, _, n in rows:
        per_year[year] = per_year.get(year, 0) + int(n)
    # Each column is labelled with its total; the table's rows sum to the same per year.
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    for year, total in per_year.items():
        assert year in labels
        assert f"{total:,}" in labels


def test_a_partner_charts_only_its_country(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    page = charts_page(client, session_factory, "pl.mod")
    # Notifications: Poland's formally notified ones only, every row charted as Poland's.
    purchasers = {purchaser for _, purchaser, _ in _table_cells(page, "chart-notifications")}
    assert purchasers == {"Poland (PL)"}, purchasers
    today = datetime.now(UTC).date()  # the app's clock is the system clock, in UTC
    with read_only(session_factory) as s:
        poland_cases = len(s.scalars(select(Case.id).where(Case.country_code == "PL")).all())
        held = monitoring.delinquency(s, actor=None, as_of=today, country="PL").eeum_value_usd
        everyone = monitoring.delinquency(s, actor=None, as_of=today).eeum_value_usd
    # Every case in the dwell chart is Poland's: the cases in its first phase are all of them.
    dwell = _table_cells(page, "chart-dwell")
    assert dwell[0][0] == "LOR received"
    assert int(dwell[0][1]) == poland_cases
    # The EEUM value charted today is Poland's holdings, not everyone's.
    assert held < everyone
    assert _table_cells(page, "chart-eeum")[-1][1] == f"${held:,.2f}"


def test_congress_charts_only_formal_notifications(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    page = charts_page(client, session_factory, "hfac.staff")
    assert groups_of(page) == ["notifications"]
    assert client.get("/charts?on=bad").status_code == 422


def test_a_role_with_no_chart_gets_not_found_and_no_nav_link(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    login(client, session_factory, "pm.admin")
    assert "Charts" not in [label for label, _, _ in nav_links(client.get("/").text)]
    assert client.get("/charts").status_code == 404
