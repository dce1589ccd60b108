"""Screening pages: search kept as a screening, explanations shown, disposition form with
CSRF, the queue, list versions; and once in Chromium."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from tests.web.test_login import csrf_field, login


@pytest.fixture
def web(client: TestClient, demo_db: None) -> TestClient:
    client.follow_redirects = False
    return client


def test_search_explain_dispose(web: TestClient) -> None:
    assert web.get("/screening").status_code == 303  # log in first
    login(web, "pm.officer", "demo-pm.officer!")
    page = web.get("/screening")
    assert page.status_code == 200
    assert 'data-testid="queue"' in page.text  # the demo's unresolved screening
    token = csrf_field(page.text)
    bad = web.post("/screening", data={"names": "Rosoboronexport", "csrf": "forged"})
    assert bad.status_code == 403
    r = web.post("/screening", data={"names": "Rosoboron Export\nROSOBORONEXPORT JSC", "csrf": token})
    assert r.status_code == 303
    run_url = r.headers["location"]
    shown = web.get(run_url).text
    assert "ROSOBORONEKSPORT OAO" in shown
    assert "us_ofac_sdn 18782" in shown
    for feature in ("token alignment", "query coverage", "name coverage", "joined similarity"):
        assert feature in shown
    assert 'data-testid="disposition">none yet' in shown
    data = {
        "list_name": "us_ofac_sdn",
        "entity_id": "18782",
        "disposition": "true_match",
        "note": "the exporter",
    }
    assert web.post(f"{run_url}/dispositions", data=data).status_code == 403  # no csrf
    done = web.post(f"{run_url}/dispositions", data={**data, "csrf": csrf_field(shown)})
    assert done.status_code == 303
    after = web.get(run_url).text
    assert 'data-testid="run-status">match' in after
    assert "the exporter" in after


def test_read_only_roles_and_partners(web: TestClient) -> None:
    login(web, "ig.auditor", "demo-ig.auditor!")
    page = web.get("/screening").text
    assert 'data-testid="screen-form"' not in page  # auditors read, never screen
    run = re.search(r'href="(/screening/runs/\d+)"', page)
    assert run
    assert 'class="dispose"' not in web.get(run.group(1)).text
    lists = web.get("/screening/lists").text
    assert "us_ofac_sdn" in lists
    assert "demo_yaml" in lists
    web.cookies.clear()
    login(web, "pl.mod", "demo-pl.mod!")
    assert web.get("/screening").status_code == 403
    assert web.get(run.group(1)).status_code == 404


@pytest.mark.browser
def test_screen_and_dispose_in_chromium(page: Page, demo_db: None) -> None:
    page.goto("/login?next=/screening")
    page.get_by_label("Username").fill("pm.officer")
    page.get_by_label("Password").fill("demo-pm.officer!")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Names of one party").fill("Kalashnikov Koncern")
    page.get_by_role("button", name="Screen").click()
    expect(page.get_by_test_id("run-status")).to_have_text("potential match")
    expect(page.get_by_test_id("result").first).to_contain_text("KALASHNIKOV CONCERN")
    page.get_by_label("Disposition").first.select_option("false_positive")
    page.get_by_label("Note").first.fill("different company, checked registry")
    page.get_by_role("button", name="Record").first.click()
    expect(page.get_by_test_id("disposition").first).to_have_text("false positive")
