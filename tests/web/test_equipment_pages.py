"""Equipment pages through the app, on the demo dataset plus a Polish case delivered here
through the equipment services: an item's trace with its proofs, a site's inventory, the
country dashboard's delinquency figure, incidents; a partner of another country gets the
same 404 as for a missing record; a scan's dry run writes nothing and applying it records
the inventory; a malformed scan names its line and column beside the field."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.service import inclusion_proof
from secassist.cases import service as cases
from secassist.cases.lifecycle import Status
from secassist.core.clock import FixedClock
from secassist.equipment import monitoring, service, sites
from secassist.equipment.models import INSPECTION_RESULTS, CustodyEvent, Inventory
from secassist.http.deps import SESSION_COOKIE
from secassist.identity import service as identity
from secassist.identity.logins import start_web_session
from secassist.storage.uow import read_only, unit_of_work
from secassist.web.equipment import inspectors_usd, percent
from secassist.workflows.deliver import deliver
from tests.cases.factories import drive, open_case
from tests.web.test_login_browser import fill_login

pytestmark = pytest.mark.usefixtures("demo_db")

SITE = "Web test depot Rzeszow"
OTHER_SITE = "Web test depot Powidz"


@dataclass(frozen=True)
class Fleet:
    case_ref: str
    site_id: int
    today: date


@pytest.fixture
def fleet(session_factory: sessionmaker[Session]) -> Fleet:
    """A Polish case implemented in 2025: NVDs WN-1..WN-3 and carbines WC-1, WC-2 at one
    site, WN-4 at another; WN-1 found this week, the rest overdue; a theft reported."""
    today = datetime.now(UTC).date()
    clock = FixedClock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    with unit_of_work(session_factory) as s:
        case_id = open_case(s, None, clock, reference_number="PL-LOR-WEB")
        cases.add_line(
            s, actor=None, case_id=case_id, item_type="electronics",
            description="AN/PVS-14 monocular night vision devices", quantity=10, unit_cost="4500.00",
            usml_category="XII", clock=clock,
        )  # fmt: skip
        cases.add_line(
            s, actor=None, case_id=case_id, item_type="weapon", description="M4 carbines",
            quantity=5, unit_cost="1200.00", usml_category="I", eeum=True, clock=clock,
        )  # fmt: skip
    drive(session_factory, case_id, Status.implemented, clock)
    with unit_of_work(session_factory) as s:
        site = sites.create_site(s, actor=None, country="PL", name=SITE, organization="Polish Land Forces",
                                 clock=clock)  # fmt: skip
        sites.create_site(s, actor=None, country="PL", name=OTHER_SITE, organization="Polish Air Force",
                          clock=clock)  # fmt: skip
        sites.inspect_site(s, actor=None, site=SITE, on=clock.today(), result=INSPECTION_RESULTS[0],
                           office="ODC Poland", note="vault alarm tested", clock=clock)  # fmt: skip
        ref = cases.get_case(s, actor=None, case_id=case_id).identifier
        site_id = site.id
    with unit_of_work(session_factory) as s:
        deliver(s, actor=None, case_ref=ref, line_no="001", on=clock.today(), site=SITE,
                serials=["WN-1", "WN-2", "WN-3"], clock=clock)  # fmt: skip
        deliver(s, actor=None, case_ref=ref, line_no="001", on=clock.today(), site=OTHER_SITE,
                serials=["WN-4"], clock=clock)  # fmt: skip
        deliver(s, actor=None, case_ref=ref, line_no="002", on=clock.today(), site=SITE,
                serials=["WC-1", "WC-2"], clock=clock)  # fmt: skip
    clock = FixedClock(datetime.combine(today, datetime.min.time(), tzinfo=UTC))
    with unit_of_work(session_factory) as s:
        service.record_event(s, actor=None, serial="WN-1", kind="inventoried", on=today - timedelta(days=2),
                             site=SITE, found=True, clock=clock)  # fmt: skip
        monitoring.record_incident(s, actor=None, country="PL", kind="theft", serial="WN-4",
                                   discovered_on=today - timedelta(days=1), description="Web test theft",
                                   clock=clock)  # fmt: skip
    return Fleet(ref, site_id, today)


def _login(client: TestClient, factory: sessionmaker[Session], username: str) -> str:
    with unit_of_work(factory) as s:
        raw, ws = start_web_session(s, user_id=identity.user_by_name(s, username).id)
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    return csrf


def _counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with read_only(factory) as s:
        return (
            s.scalar(select(func.count()).select_from(Inventory)) or 0,
            s.scalar(select(func.count()).select_from(CustodyEvent)) or 0,
        )


def test_pages_for_state_and_another_country(
    client: TestClient, fleet: Fleet, session_factory: sessionmaker[Session]
) -> None:
    assert client.get("/equipment/items/WN-1", follow_redirects=False).status_code == 303
    _login(client, session_factory, "pm.officer")
    home = client.get("/").text
    assert '<a href="/equipment"' in home

    item = client.get("/equipment/items/WN-1")
    assert item.status_code == 200
    text = item.text
    for want in ("nvd_monocular", fleet.case_ref, "AN/PVS-14 monocular night vision devices", SITE,
                 "delivered", "inventoried (found)", "Polish Land Forces"):  # fmt: skip
        assert want in text, want
    # Every custody step names its entry and carries its proof, whose link the API serves.
    seqs = sorted({int(x) for x in re.findall(r'data-testid="proof-(\d+)"', text)})
    assert len(seqs) >= 4  # case, line, delivery, inventory at least
    with read_only(session_factory) as s:
        proof = inclusion_proof(s, seqs[-1])
    assert proof["leaf_hash"] in text
    assert proof["root_hash"] in text
    assert f'href="/api/v1/audit/proofs/inclusion/{seqs[-1]}?tree_size={proof["tree_size"]}"' in text
    assert re.search(r"<dt>Leaf hash</dt><dd><code>[0-9a-f]{64}</code>", text)
    assert re.search(r"<dt>Tree size</dt><dd>\d+</dd>", text)

    site = client.get(f"/equipment/sites/{fleet.site_id}").text
    for want in ("WN-1", "WN-2", "WC-2", "vault alarm tested", "overdue",
                 "may read this site but not record inventories"):  # fmt: skip
        assert want in site, want
    assert "WN-4" not in site  # registered at the other site

    dash = client.get("/equipment/countries/pl")
    assert dash.status_code == 200
    with read_only(session_factory) as s:
        pl = monitoring.delinquency(s, actor=None, as_of=fleet.today, country="PL").by_country[0]
    figure = f"{inspectors_usd(pl.delinquent_value_usd)} of {inspectors_usd(pl.eeum_value_usd)}, "
    assert html.unescape(dash.text).count(figure + percent(pl.delinquent_share)) == 1
    delinquent = dash.text.split('data-testid="delinquent-items"')[1].split("</table>")[0]
    assert all(s in delinquent for s in ("WN-2", "WN-3", "WN-4", "WC-1", "WC-2"))
    assert ">WN-1<" not in delinquent  # found two days ago
    assert "Web test theft" in dash.text
    past = client.get("/equipment/countries/PL?as_of=2025-03-20").text
    assert "No open incident on 2025-03-20" in past
    assert "Web test theft" in client.get("/equipment/incidents?country=PL&status=open").text
    assert "Web test theft" not in client.get("/equipment/incidents?status=closed").text
    assert 'data-testid="country-PL"' in client.get("/equipment").text

    # A partner of another country: each page is the 404 a missing record gets.
    _login(client, session_factory, "jp.mod")
    for path in ("/equipment/items/WN-1", f"/equipment/sites/{fleet.site_id}", "/equipment/countries/PL"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert SITE not in r.text
        assert fleet.case_ref not in r.text
    missing = client.get("/equipment/items/NO-SUCH")
    assert missing.status_code == 404
    assert missing.text.replace("NO-SUCH", "WN-1") == client.get("/equipment/items/WN-1").text
    assert client.get("/equipment/countries/ZZ").text.count("country not found") == 1
    assert client.get("/equipment/countries/PL").text.count("country not found") == 1
    assert "Web test theft" not in client.get("/equipment/incidents").text
    assert 'data-testid="country-PL"' not in client.get("/equipment").text
    # The SCO of Poland sees its country.
    _login(client, session_factory, "odc.poland")
    assert client.get("/equipment/items/WN-1").status_code == 200
    # A role that may not read equipment has no link, and the pages are 404s.
    _login(client, session_factory, "hfac.staff")
    assert '<a href="/equipment"' not in client.get("/").text
    assert client.get("/equipment").status_code == 404


CSV = b"serial,item_type,condition\nWN-1,,serviceable\nWN-2,,\nWN-4,,\nWC-1,carbine,\nX-404,,\n"


def _hidden(page_html: str, form_testid: str) -> dict[str, str]:
    form = page_html.split(f'data-testid="{form_testid}"')[1].split("</form>")[0]
    return {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }


def test_upload_dry_run_then_apply(
    client: TestClient, fleet: Fleet, session_factory: sessionmaker[Session]
) -> None:
    csrf = _login(client, session_factory, "odc.poland")
    on = fleet.today.isoformat()
    before = _counts(session_factory)
    dry = client.post(
        f"/equipment/sites/{fleet.site_id}/reconcile",
        data={"csrf": csrf, "on": on},
        files={"file": ("scan.csv", CSV, "text/csv")},
    )
    assert dry.status_code == 200
    assert _counts(session_factory) == before  # a dry run writes nothing
    counts = dict(re.findall(r'data-testid="count-(\w+)">(\d+)<', dry.text))
    assert counts == {"found": "3", "missing": "2", "unexpected": "1", "wrong_site": "1", "gone": "0"}
    assert "WN-4 (registered at " + OTHER_SITE in dry.text
    fields = _hidden(dry.text, "apply-form")
    assert set(fields) == {"csrf", "sha256", "name", "on", "content", "confirmed"}
    # Applying asks once: without the dry run's confirmation it is refused, writing nothing.
    unasked = {k: v for k, v in fields.items() if k != "confirmed"}
    assert client.post(f"/equipment/sites/{fleet.site_id}/reconcile/apply", data=unasked).status_code == 422
    other_day = {**fields, "on": "2025-01-02"}  # the token binds the date the dry run showed
    assert client.post(f"/equipment/sites/{fleet.site_id}/reconcile/apply", data=other_day).status_code == 422
    # A forged form without the CSRF token changes nothing.
    assert client.post(f"/equipment/sites/{fleet.site_id}/reconcile/apply",
                       data={**fields, "csrf": "x"}).status_code == 403  # fmt: skip
    # Tampered content is refused: it is not what the dry run showed.
    tampered = {**fields, "content": fields["content"][:-4] + "AAAA"}
    assert client.post(f"/equipment/sites/{fleet.site_id}/reconcile/apply", data=tampered).status_code == 422
    assert _counts(session_factory) == before

    done = client.post(
        f"/equipment/sites/{fleet.site_id}/reconcile/apply", data=fields, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/equipment/sites/{fleet.site_id}"
    assert _counts(session_factory) == (before[0] + 1, before[1] + 3)
    site = client.get(done.headers["location"]).text
    assert "Applied scan.csv: 3 inventory events recorded." in site
    assert "Applied scan.csv" not in client.get(done.headers["location"]).text  # shown once
    # The same file again records nothing more (the service is idempotent).
    again = client.post(
        f"/equipment/sites/{fleet.site_id}/reconcile/apply", data=fields, follow_redirects=False
    )
    assert "0 inventory events recorded" in client.get(again.headers["location"]).text
    assert _counts(session_factory) == (before[0] + 1, before[1] + 3)


def test_malformed_upload_shows_the_error_with_the_form(
    client: TestClient, fleet: Fleet, session_factory: sessionmaker[Session]
) -> None:
    csrf = _login(client, session_factory, "odc.poland")
    before = _counts(session_factory)
    bad = b"serial,item_type\nWN-1,\n,carbine\n"
    r = client.post(
        f"/equipment/sites/{fleet.site_id}/reconcile",
        data={"csrf": csrf, "on": "2025-06-01"},
        files={"file": ("scan.csv", bad, "text/csv")},
    )
    assert r.status_code == 422
    error = re.search(r'<p class="field-error" id="file-error" role="alert"[^>]*>([^<]+)</p>', r.text)
    assert error is not None
    assert "line 3, column serial: empty serial" in error.group(1)
    assert 'aria-describedby="file-error"' in r.text  # beside the file field, tied to it
    assert 'data-testid="upload-form"' in r.text
    assert 'value="2025-06-01"' in r.text
    assert 'data-testid="apply-form"' not in r.text
    assert _counts(session_factory) == before


@pytest.mark.browser
def test_item_page_and_dashboard_in_a_browser(page: Page, live_server: str, fleet: Fleet) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/equipment/items/WC-1")
    fill_login(page, "pm.officer", "demo-pm.officer!")
    expect(page).to_have_url(f"{live_server}/equipment/items/WC-1")
    expect(page.get_by_test_id("item-serial")).to_have_text("WC-1")
    expect(page.get_by_test_id("step-line")).to_contain_text("M4 carbines")
    proof = page.get_by_test_id("trace-events").locator("details").first
    proof.locator("summary").click()
    expect(proof).to_contain_text("Leaf hash")
    # Readable on a phone: the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Equipment").click()
    page.get_by_role("link", name=re.compile(r"Poland \(PL\)")).click()
    expect(page.get_by_test_id("delinquency-figure")).to_contain_text("%")
    expect(page.get_by_test_id("delinquent-items")).to_contain_text("WC-1")
    page.get_by_label("As of", exact=True).fill("2025-03-20")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{live_server}/equipment/countries/PL?as_of=2025-03-20")
    expect(page.get_by_test_id("open-incidents")).to_contain_text("No open incident")
