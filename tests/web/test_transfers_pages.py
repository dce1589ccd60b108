"""Transfer pages through the app, on the demo dataset (a Polish retransfer to Lithuania
awaiting State's decision, an executed repair transfer to Germany): the list with the
office's inbox on top, a request with its findings, requirement, decision and items; the
holder's request form keeping its input and naming the refused field; State's decision
form; a refused execution writing nothing; a third country's 404; the nav link."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.demo.people import OFFICE_SIGNERS
from secassist.demo.transfers import PENDING_SERIALS
from secassist.http.deps import SESSION_COOKIE
from secassist.identity import service as identity
from secassist.identity.logins import start_web_session
from secassist.storage.uow import read_only, unit_of_work
from secassist.transfers import queries
from secassist.transfers.models import TransferRequest
from tests.web.test_login_browser import fill_login

pytestmark = pytest.mark.usefixtures("demo_db")


def _login(client: TestClient, factory: sessionmaker[Session], username: str) -> str:
    with unit_of_work(factory) as s:
        raw, ws = start_web_session(s, user_id=identity.user_by_name(s, username).id)
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    return csrf


def _ids(factory: sessionmaker[Session]) -> tuple[int, int]:
    """The demo's pending request and its executed repair transfer."""
    with read_only(factory) as s:
        pending = queries.list_requests(s, actor=None, status="requested")[0].id
        executed = queries.list_requests(s, actor=None, status="executed")[0].id
        return pending, executed


def _audit(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _error(text: str, field: str) -> str:
    m = re.search(rf'data-testid="error-{field}">([^<]*)<', text)
    assert m, f"no error beside {field}"
    return html.unescape(m.group(1))


def test_list_with_inbox_and_a_request_page(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pending, executed = _ids(session_factory)
    _login(client, session_factory, "pl.mod")
    r = client.get("/transfers")
    assert r.status_code == 200
    text = r.text
    assert '<a href="/transfers" aria-current="page">Transfers</a>' in text
    # The inbox comes first and tells Poland its NVDs left for repair.
    assert text.index('data-testid="inbox"') < text.index('data-testid="requests"')
    assert f"Transfer {executed}: 2 item(s)" in text
    assert "left PL" in text
    assert f'data-testid="request-{pending}"' in text
    assert f'data-testid="request-{executed}"' in text
    page = client.get(f"/transfers/{pending}").text
    assert "Awaiting State&#39;s decision." in page or "Awaiting State's decision." in page
    # The holder sees the request's own findings; the vetting engine's, the reasons of the
    # finding resting on it and the offices' sign-offs are U.S. Government internal.
    for factor in ("direct_eligibility", "congressional_certification", "open_incidents"):
        assert f'data-testid="finding-{factor}"' in page
    assert 'data-testid="finding-screening"' not in page
    eligibility = page.split('data-testid="finding-direct_eligibility"')[1].split("</tr>")[0]
    assert "internal" in eligibility
    assert "recommendation" not in eligibility
    assert 'data-testid="findings-internal"' in page
    assert 'data-testid="signoffs"' not in page
    assert "/vetting/proposals/" not in page
    assert "No certification required" in page or "Below the §3(d) thresholds" in page
    for serial in PENDING_SERIALS:
        assert f'data-testid="item-{serial}"' in page
    assert 'data-testid="decide-form"' not in page  # the holder does not decide
    done = client.get(f"/transfers/{executed}").text
    assert "Executed on" in done
    assert 'data-testid="return-form"' in done  # a temporary transfer can be returned
    assert "temporary transfer for repair" in done  # why no §3(d) certification


def test_a_third_country_gets_404_and_a_contractor_no_link(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pending, _ = _ids(session_factory)
    _login(client, session_factory, "jp.mod")
    assert 'data-testid="request-' not in client.get("/transfers").text
    hidden = client.get(f"/transfers/{pending}")
    missing = client.get("/transfers/999999")
    assert hidden.status_code == missing.status_code == 404
    _login(client, session_factory, "nds.contracts")
    assert 'href="/transfers"' not in client.get("/").text
    assert client.get("/transfers").status_code == 404
    _login(client, session_factory, "hfac.staff")
    assert client.get(f"/transfers/{pending}").status_code == 404  # not certified to Congress


def test_the_request_form_keeps_its_input_and_names_the_field(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    csrf = _login(client, session_factory, "pl.mod")
    form = client.get("/transfers/new").text
    assert 'name="from" value="PL"' in form
    body = {
        "csrf": csrf,
        "from": "PL",
        "to": "DE",
        "kind": "temporary_exercise",
        "on": "2026-01-10",
        "return_by": "",
        "end_use": "Exercise Saber Strike (test)",
        "end_user": "Bundeswehr",
        "serials": "DEMO-PVS14-A00050, DEMO-PVS14-A00051",
    }
    before = _audit(session_factory)
    r = client.post("/transfers/new", data=body, follow_redirects=False)
    assert r.status_code == 422
    assert "return date" in _error(r.text, "return_by")
    assert 'value="Exercise Saber Strike (test)"' not in r.text  # a textarea keeps it as text
    assert "Exercise Saber Strike (test)</textarea>" in r.text
    assert "DEMO-PVS14-A00050, DEMO-PVS14-A00051</textarea>" in r.text
    assert '<option value="temporary_exercise" selected>' in r.text
    r = client.post("/transfers/new", data={**body, "return_by": "2026-01-20", "serials": "NOPE-1"})
    assert r.status_code == 422
    assert "NOPE-1" in _error(r.text, "serials")
    assert _audit(session_factory) == before
    r = client.post("/transfers/new", data={**body, "return_by": "2026-02-20"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    assert 'data-testid="status">requested<' in page
    assert 'data-testid="item-DEMO-PVS14-A00050"' in page


def test_state_decides_and_a_refused_execution_writes_nothing(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pending, _ = _ids(session_factory)
    csrf = _login(client, session_factory, "pl.mod")
    before = _audit(session_factory)
    r = client.post(f"/transfers/{pending}/execution", data={"csrf": csrf, "on": "2030-01-01"})
    assert r.status_code == 422
    assert "not approved" in _error(r.text, "execution")
    assert 'value="2030-01-01"' in r.text
    assert _audit(session_factory) == before
    # Without the CSRF field nothing happens either.
    assert client.post(f"/transfers/{pending}/execution", data={"on": "2030-01-01"}).status_code == 403
    csrf = _login(client, session_factory, "pm.officer")
    page = client.get(f"/transfers/{pending}").text
    assert 'data-testid="decide-form"' in page
    r = client.post(
        f"/transfers/{pending}/decision",
        data={"csrf": csrf, "decision": "deny", "on": "not a date", "provisos": "Keep\nthem"},
    )
    assert r.status_code == 422
    assert "not a date" in _error(r.text, "on")
    assert "Keep\nthem</textarea>" in r.text
    assert _audit(session_factory) == before
    today = client.get(f"/transfers/{pending}").text
    day = re.search(r'id="decide-on" name="on" value="([0-9-]+)"', today)
    assert day
    r = client.post(
        f"/transfers/{pending}/decision",
        data={
            "csrf": csrf,
            "decision": "deny",
            "on": day.group(1),
            "provisos": "Resubmit with end-user certificate",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(f"/transfers/{pending}").text
    assert 'data-testid="status">denied<' in page
    assert "Resubmit with end-user certificate" in page
    with read_only(session_factory) as s:
        assert s.get_one(TransferRequest, pending).decided_by.startswith("pm.officer")


@pytest.mark.browser
def test_holder_reads_its_inbox_and_state_denies_in_the_browser(page: Page, live_server: str) -> None:
    page.goto("/login?next=/transfers")
    fill_login(page, "pl.mod", "demo-pl.mod!")
    expect(page).to_have_url(f"{live_server}/transfers")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Transfers")).to_be_visible()
    expect(page.get_by_test_id("inbox")).to_contain_text("left PL")
    page.get_by_test_id("requests").get_by_role("row").filter(has_text="retransfer").get_by_role(
        "link"
    ).click()
    expect(page.get_by_test_id("status")).to_have_text("requested")
    expect(page.get_by_test_id("finding-open_incidents")).to_be_visible()
    expect(page.get_by_test_id("finding-direct_eligibility")).to_contain_text("internal")  # withheld
    expect(page.get_by_test_id("finding-screening")).to_have_count(0)  # the vetting engine's
    expect(page.get_by_test_id("findings-internal")).to_be_visible()
    expect(page.get_by_test_id("decide-link")).to_have_count(0)
    page.get_by_role("navigation", name="Account").get_by_role("button", name="Log out").click()
    page.goto("/login?next=/transfers?status=requested")
    fill_login(page, "pm.officer", "demo-pm.officer!")
    page.get_by_test_id("requests").locator("tbody").get_by_role("link").first.click()
    expect(page.get_by_test_id("finding-screening")).to_be_visible()
    expect(page.get_by_test_id("signoffs")).to_be_visible()
    page.get_by_test_id("decide-link").click()  # straight to the decision form
    expect(page).to_have_url(re.compile(r"/transfers/\d+#decide-form$"))
    form = page.get_by_test_id("decide-form")
    form.get_by_label("Decision").select_option("deny")
    form.get_by_label("Provisos (one a line)").fill("Resubmit with the end-user certificate")
    form.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_test_id("status")).to_have_text("denied")
    expect(page.get_by_test_id("decision")).to_contain_text("Resubmit with the end-user certificate")


def test_state_sees_the_vetting_and_goes_straight_to_its_part(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    """The policy officer sees every finding, each office's sign-off and a link straight to
    the decision form; a reviewer of an office whose sign-off is awaited gets a link to sign
    off; the holder's SCO sees neither."""
    pending, _ = _ids(session_factory)
    _login(client, session_factory, "pm.officer")
    text = client.get(f"/transfers/{pending}").text
    assert 'data-testid="finding-screening"' in text
    assert 'data-testid="signoffs"' in text
    assert 'data-testid="vetting-link"' in text
    assert 'href="#decide-form"' in text
    assert 'id="decide-form"' in text
    assert 'data-testid="findings-internal"' not in text
    awaited = re.findall(r'data-testid="signoff-(\w+)">[^<]*: <em>awaited</em>', text)
    assert awaited, "the demo's pending request waits for at least one office"
    signer = OFFICE_SIGNERS[awaited[0]]
    _login(client, session_factory, signer)
    mine = client.get(f"/transfers/{pending}").text
    assert 'data-testid="signoff-link"' in mine
    _login(client, session_factory, "odc.poland")
    sco = client.get(f"/transfers/{pending}").text
    assert 'data-testid="signoffs"' not in sco
    assert 'data-testid="decide-link"' not in sco
    assert 'data-testid="findings-internal"' in sco
