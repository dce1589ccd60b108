"""Equipment forms through the app, on the demo dataset plus the Polish case of
``test_equipment_pages`` (``fleet``): each form succeeds with a confirmation on the page it
leads to, a refused form comes back 422 with what was typed and the error beside its field
(a custody event the chronology forbids names its rule) writing nothing, a form is offered
only to roles that may use it, and a post from any other role is refused (403)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.equipment import queries
from secassist.equipment.models import Incident, Item, RecipientUnit, RoutineCheck, Site
from secassist.storage.uow import read_only
from tests.web.test_equipment_pages import OTHER_SITE, SITE, Fleet, _login, fleet
from tests.web.test_login_browser import fill_login

pytestmark = pytest.mark.usefixtures("demo_db")
__all__ = ["fleet"]  # the fixture, imported for the tests below


def _audit(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _error(text: str, field: str) -> str:
    m = re.search(rf'data-testid="error-{field}">([^<]*)<', text)
    assert m, f"no error beside {field}"
    return html.unescape(m.group(1))


def _flash(client: TestClient, response: object) -> str:
    """Follow a 303 and return the flash the page shows."""
    location = response.headers["location"]  # type: ignore[attr-defined]
    text = client.get(location).text
    m = re.search(r'<p class="flash success">([^<]*)</p>', text)
    assert m, "no confirmation on the page the form led to"
    return html.unescape(m.group(1))


def test_delivery_form(client: TestClient, fleet: Fleet, session_factory: sessionmaker[Session]) -> None:
    csrf = _login(client, session_factory, "dsca.case")
    assert 'data-testid="new-delivery"' in client.get("/equipment").text
    assert client.get("/equipment/deliveries/new").status_code == 200
    good = {
        "csrf": csrf,
        "case": fleet.case_ref,
        "line": "1",
        "on": fleet.today.isoformat(),
        "site": SITE,
        "serials": "WN-5\nWN-6",
        "quantity": "",
    }
    before = _audit(session_factory)
    # Serials and a bulk quantity at once: refused beside the serials, input kept.
    both = client.post("/equipment/deliveries", data={**good, "quantity": "3"})
    assert both.status_code == 422
    assert "not both" in _error(both.text, "serials")
    assert "WN-5\nWN-6</textarea>" in both.text
    assert f'value="{fleet.case_ref}"' in both.text
    # More than the line's quantity (10; 4 delivered): refused, nothing written.
    many = client.post(
        "/equipment/deliveries", data={**good, "serials": " ".join(f"WX-{n}" for n in range(7))}
    )
    assert many.status_code == 422
    assert 'data-testid="error-' in many.text
    assert _audit(session_factory) == before
    done = client.post("/equipment/deliveries", data=good, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/equipment/sites/{fleet.site_id}"
    assert _flash(client, done) == f"Delivered 2 item(s) against {fleet.case_ref} line 001 to {SITE}."
    with read_only(session_factory) as s:
        assert {i.serial for i in queries.items_at_site(s, actor=None, site_id=fleet.site_id)} >= {
            "WN-5",
            "WN-6",
        }
    # The SCO records what follows a delivery, not the delivery: no link, no form, 403 on post.
    csrf = _login(client, session_factory, "odc.poland")
    assert 'data-testid="new-delivery"' not in client.get("/equipment").text
    assert client.get("/equipment/deliveries/new").status_code == 404
    refused = client.post("/equipment/deliveries", data={**good, "csrf": csrf, "serials": "WN-7"})
    assert refused.status_code == 403
    with read_only(session_factory) as s:
        assert s.scalar(select(Item.id).where(Item.serial == "WN-7")) is None


def test_custody_event_form(client: TestClient, fleet: Fleet, session_factory: sessionmaker[Session]) -> None:
    csrf = _login(client, session_factory, "odc.poland")
    item = client.get("/equipment/items/WN-2").text
    assert 'data-testid="new-event"' in item
    form = client.get("/equipment/events/new?serial=WN-2").text
    assert 'name="serial" value="WN-2"' in form
    before = _audit(session_factory)
    early = {
        "csrf": csrf,
        "serial": "WN-2",
        "item_type": "",
        "kind": "stored",
        "on": "2024-12-01",
        "site": SITE,
        "note": "shelf 4",
    }
    r = client.post("/equipment/events", data=early)
    assert r.status_code == 422
    beside = _error(r.text, "on")  # the chronology's refusal, beside the date, with its rule
    assert re.search(r"stored on 2024-12-01 is before the delivery on 2025-\d\d-\d\d", beside)
    assert "rule before_delivery" in beside
    assert 'value="2024-12-01"' in r.text
    assert "shelf 4</textarea>" in r.text
    assert _audit(session_factory) == before
    ok = {**early, "on": (fleet.today - timedelta(days=1)).isoformat()}
    done = client.post("/equipment/events", data=ok, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/equipment/items/WN-2"
    assert _flash(client, done).startswith("WN-2: stored on ")
    assert _audit(session_factory) == before + 1
    # Roles that may not record custody: the auditor reads the item but gets no form.
    csrf = _login(client, session_factory, "ig.auditor")
    assert 'data-testid="new-event"' not in client.get("/equipment/items/WN-2").text
    assert client.get("/equipment/events/new?serial=WN-2").status_code == 404
    assert client.post("/equipment/events", data={**ok, "csrf": csrf}).status_code == 403
    # Another country's partner cannot even see the item.
    _login(client, session_factory, "jp.mod")
    assert client.get("/equipment/events/new?serial=WN-2").status_code == 404
    assert _audit(session_factory) == before + 1


def test_site_inspection_unit_and_check_forms(
    client: TestClient, fleet: Fleet, session_factory: sessionmaker[Session]
) -> None:
    csrf = _login(client, session_factory, "odc.poland")
    country = client.get("/equipment/countries/PL").text
    for link in ("new-site", "new-unit", "new-check", "new-incident"):
        assert f'data-testid="{link}"' in country
    # A site: a name already taken is refused beside the name, the organization kept.
    dup = client.post(
        "/equipment/countries/PL/sites", data={"csrf": csrf, "name": SITE, "organization": "X Corps"}
    )
    assert dup.status_code == 422
    assert "exists" in _error(dup.text, "name")
    assert 'value="X Corps"' in dup.text
    done = client.post(
        "/equipment/countries/PL/sites",
        follow_redirects=False,
        data={"csrf": csrf, "name": "Web form depot Lask", "organization": "Polish Air Force"},
    )
    assert done.status_code == 303
    assert _flash(client, done) == "Site Web form depot Lask registered."
    with read_only(session_factory) as s:
        new_site = s.scalars(select(Site).where(Site.name == "Web form depot Lask")).one()
        assert new_site.country_code == "PL"
    # Its inspection: a date in the future is refused beside the date.
    site_page = client.get(f"/equipment/sites/{new_site.id}").text
    assert 'data-testid="new-inspection"' in site_page
    url = f"/equipment/sites/{new_site.id}/inspections"
    future = (fleet.today + timedelta(days=3)).isoformat()
    body = {"csrf": csrf, "on": future, "result": "deficient", "office": "ODC Poland", "note": "fence"}
    bad = client.post(url, data=body)
    assert bad.status_code == 422
    assert "after today" in _error(bad.text, "on")
    assert "fence</textarea>" in bad.text
    ok = client.post(url, data={**body, "on": fleet.today.isoformat()}, follow_redirects=False)
    assert ok.status_code == 303
    assert "deficient" in _flash(client, ok)
    assert "fence" in client.get(f"/equipment/sites/{new_site.id}").text
    # A recipient unit, then a routine check with two findings.
    unit = client.post(
        "/equipment/countries/PL/units",
        follow_redirects=False,
        data={"csrf": csrf, "name": "12th Mechanized Division (web)"},
    )
    assert unit.status_code == 303
    again = client.post(
        "/equipment/countries/PL/units", data={"csrf": csrf, "name": "12th Mechanized Division (web)"}
    )
    assert again.status_code == 422
    assert "already has a unit" in _error(again.text, "name")
    check = {
        "csrf": csrf,
        "on": fleet.today.isoformat(),
        "office": "ODC Poland (web)",
        "findings": "Logbook incomplete\n\nTwo NVDs stored outside the vault",
    }
    done = client.post("/equipment/countries/PL/checks", data=check, follow_redirects=False)
    assert done.status_code == 303
    assert "(2 finding(s))" in _flash(client, done)
    twice = client.post("/equipment/countries/PL/checks", data=check)
    assert twice.status_code == 422
    assert "already recorded" in _error(twice.text, "on")
    page = client.get("/equipment/countries/PL").text
    assert "12th Mechanized Division (web)" in page
    assert "Logbook incomplete; Two NVDs stored outside the vault" in page
    with read_only(session_factory) as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(RoutineCheck)
                .where(RoutineCheck.office == "ODC Poland (web)")
            )
            == 1
        )
        assert s.scalar(select(RecipientUnit.country_code).where(RecipientUnit.name.like("12th%"))) == "PL"
    # Another country is outside the SCO's scope; the auditor may not write at all.
    assert client.get("/equipment/countries/JP/sites/new").status_code == 404
    assert (
        client.post(
            "/equipment/countries/JP/sites", data={"csrf": csrf, "name": "N", "organization": "O"}
        ).status_code
        == 404
    )
    csrf = _login(client, session_factory, "ig.auditor")
    assert 'data-testid="new-site"' not in client.get("/equipment/countries/PL").text
    assert client.get("/equipment/countries/PL/checks/new").status_code == 404
    assert (
        client.post(
            "/equipment/countries/PL/checks", data={**check, "csrf": csrf, "office": "IG"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/equipment/sites/{fleet.site_id}/inspections", data={**body, "csrf": csrf}).status_code
        == 403
    )
    with read_only(session_factory) as s:
        assert s.scalar(select(Site.id).where(Site.name == "N")) is None


def test_incident_forms_and_closing_asks_once(
    client: TestClient, fleet: Fleet, session_factory: sessionmaker[Session]
) -> None:
    csrf = _login(client, session_factory, "odc.poland")
    assert 'data-testid="new-incident"' in client.get("/equipment/incidents").text
    body = {
        "csrf": csrf,
        "country": "PL",
        "kind": "loss",
        "discovered_on": fleet.today.isoformat(),
        "occurred_on": "",
        "serial": "WC-2",
        "site": OTHER_SITE,
        "description": "",
    }
    before = _audit(session_factory)
    empty = client.post("/equipment/incidents", data=body)
    assert empty.status_code == 422
    assert _error(empty.text, "description")
    assert 'value="WC-2"' in empty.text
    assert _audit(session_factory) == before
    done = client.post(
        "/equipment/incidents",
        data={**body, "description": "Carbine missing at muster"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "report it to the offices by" in _flash(client, done)
    with read_only(session_factory) as s:
        row = s.scalars(select(Incident).where(Incident.description == "Carbine missing at muster")).one()
    listing = client.get("/equipment/incidents?country=PL").text
    assert f'data-testid="close-{row.id}"' in listing
    assert f'data-testid="report-{row.id}"' in listing
    reported = client.post(
        f"/equipment/incidents/{row.id}/report",
        data={"csrf": csrf, "on": fleet.today.isoformat()},
        follow_redirects=False,
    )
    assert reported.status_code == 303
    assert _flash(client, reported) == f"Incident {row.id} reported on {fleet.today}."
    # Closing asks once: the first post shows what will be closed and writes nothing.
    url = f"/equipment/incidents/{row.id}/close"
    early = client.post(url, data={"csrf": csrf, "on": "2020-01-01"})
    assert early.status_code == 422
    assert "before the incident was discovered" in _error(early.text, "on")
    ask = client.post(url, data={"csrf": csrf, "on": fleet.today.isoformat()})
    assert ask.status_code == 200
    assert f"Close incident {row.id} on {fleet.today}" in ask.text
    assert "Carbine missing at muster" in ask.text
    token = re.search(r'name="confirmed" value="([0-9a-f]+)"', ask.text)
    assert token is not None
    with read_only(session_factory) as s:
        assert s.get_one(Incident, row.id).status == "open"
    # The token binds the date shown: another date is asked again, not done.
    later = (fleet.today + timedelta(days=1)).isoformat()
    other = client.post(url, data={"csrf": csrf, "on": later, "confirmed": token.group(1)})
    assert other.status_code == 200
    assert 'data-testid="confirm-form"' in other.text
    closed = client.post(
        url,
        data={"csrf": csrf, "on": fleet.today.isoformat(), "confirmed": token.group(1)},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    assert _flash(client, closed) == f"Incident {row.id} closed on {fleet.today}."
    with read_only(session_factory) as s:
        assert s.get_one(Incident, row.id).status == "closed"
    assert _audit(session_factory) == before + 3
    # Congress staff have no equipment role; the auditor reads but may not write.
    csrf = _login(client, session_factory, "ig.auditor")
    assert 'data-testid="new-incident"' not in client.get("/equipment/incidents").text
    assert client.get("/equipment/incidents/new").status_code == 404
    assert (
        client.post("/equipment/incidents", data={**body, "csrf": csrf, "description": "x"}).status_code
        == 403
    )
    assert _audit(session_factory) == before + 3


@pytest.mark.browser
def test_upload_an_inventory_file_in_a_browser(
    page: Page, live_server: str, fleet: Fleet, tmp_path: Path
) -> None:
    """The SCO uploads a scan: the dry run's result is shown first, nothing recorded; applying
    it lands on the site page with the confirmation and the inventory listed."""
    scan = tmp_path / "scan.csv"
    scan.write_bytes(b"serial\nWN-1\nWN-2\nX-404\n")
    page.goto(f"/equipment/sites/{fleet.site_id}")
    fill_login(page, "odc.poland", "demo-odc.poland!")
    expect(page).to_have_url(f"{live_server}/equipment/sites/{fleet.site_id}")
    page.get_by_label("Scanned serial list (CSV or XLSX)").set_input_files(str(scan))
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_test_id("count-found")).to_have_text("2")
    expect(page.get_by_test_id("count-unexpected")).to_have_text("1")
    expect(page.get_by_test_id("site-inventories")).to_contain_text("No inventory recorded yet")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{live_server}/equipment/sites/{fleet.site_id}")
    expect(page.get_by_test_id("flash")).to_have_text("Applied scan.csv: 2 inventory events recorded.")
    expect(page.get_by_test_id("site-inventories")).to_contain_text("odc.poland")
