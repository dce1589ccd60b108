"""Vetting pages over the demo dataset: the queue, a proposal's findings with rationale,
sign-off through a CSRF-protected form, the generated explanation page, scoping."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.storage.uow import read_only
from secassist.vetting.decisions_models import VettingProposal
from secassist.vetting.ruleset import get_ruleset
from tests.web.test_login import csrf_field, login


@pytest.fixture
def web(client: TestClient, demo_db: None) -> TestClient:
    client.follow_redirects = False
    return client


def proposal_ids(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with read_only(session_factory) as s:
        return {t.split(":")[0]: i for i, t in s.execute(select(VettingProposal.id, VettingProposal.title))}


def test_explanation_page_is_generated_from_the_rule_set(client: TestClient) -> None:
    r = client.get("/vetting/rules")  # public: no login
    assert r.status_code == 200
    for p in get_ruleset().profiles:
        assert f'id="{p.id}"' in r.text
        for c in p.factors:
            assert c.authority.replace("'", "&#39;") in r.text
    assert "in force today" in r.text
    assert r.text.count('data-testid="profile"') == len(get_ruleset().profiles)


def test_queue_and_findings_and_scope(web: TestClient, session_factory: sessionmaker[Session]) -> None:
    assert web.get("/vetting").headers["location"] == "/login?next=/vetting"
    ids = proposal_ids(session_factory)
    login(web, "pm.officer", "demo-pm.officer!")
    r = web.get("/vetting")
    queue = re.search(r'<table data-testid="queue">(.*?)</table>', r.text, re.S)
    assert queue is not None
    assert "Philippines" in queue.group(1)
    assert "Cambodia" not in queue.group(1)
    assert '<a href="/vetting">Vetting</a>' in r.text or 'href="/vetting" aria-current="page"' in r.text
    denied = web.get(f"/vetting/proposals/{ids['Cambodia']}").text
    assert 'data-testid="final-decision">deny<' in denied
    assert "unresolved potential match" in denied
    assert "§126.1 Table 2" in denied
    page = web.get(f"/vetting/proposals/{ids['Philippines']}").text
    assert "Pre-decisional (demo)" in page
    action = re.search(r'action="(/vetting/decisions/\d+/signoff)"', page)
    assert action is not None
    form = {"office": "human_rights", "concur": "yes", "comment": "no GVHR concerns", "csrf": "wrong"}
    assert web.post(action.group(1), data=form).status_code == 403
    form["csrf"] = csrf_field(page)
    # The policy officer is of the political-military office: the form applies the same
    # duties as the services (issue #16), so the human-rights sign-off is refused …
    refused = web.post(action.group(1), data=form)
    assert refused.status_code == 422  # shown again, the duty's reason beside the office
    assert re.search(r'data-testid="error-office">[^<]*not of the human_rights office', refused.text)
    assert "no GVHR concerns" in refused.text
    # … and recorded by the human-rights office's reviewer.
    web.cookies.clear()
    login(web, "drl.officer", "demo-drl.officer!")
    page = web.get(f"/vetting/proposals/{ids['Philippines']}").text
    form["csrf"] = csrf_field(page)
    r = web.post(action.group(1), data=form)
    assert r.status_code == 303
    after = web.get(r.headers["location"]).text
    assert "no GVHR concerns" in after


def test_dod_sees_findings_but_not_notes_partner_gets_404(
    web: TestClient, session_factory: sessionmaker[Session]
) -> None:
    ids = proposal_ids(session_factory)
    login(web, "dsca.case", "demo-dsca.case!")
    page = web.get(f"/vetting/proposals/{ids['Philippines']}").text
    assert 'data-testid="findings"' in page
    assert "Pre-decisional" not in page
    assert 'data-testid="signoff-form"' not in page
    web.cookies.clear()
    login(web, "pl.mod", "demo-pl.mod!")
    assert web.get(f"/vetting/proposals/{ids['Poland']}").status_code == 404


@pytest.mark.browser
def test_reviewer_signs_off_in_the_browser(page: Page, demo_db: None) -> None:
    page.goto("/login?next=/vetting")
    page.get_by_label("Username").fill("isn.officer")  # the technology-security reviewer
    page.get_by_label("Password").fill("demo-isn.officer!")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_title("Vetting · secassist")
    page.get_by_test_id("queue").get_by_role("link", name=re.compile("Philippines")).click()
    expect(page.get_by_test_id("recommendation")).to_have_text("review")
    expect(page.get_by_test_id("findings")).to_contain_text("FIM-92 Stinger")
    form = page.get_by_test_id("signoff-form")
    form.get_by_label("Office").select_option("technology_security")
    form.get_by_label("Comment").fill("EEUM storage certified")
    form.get_by_role("button", name="Sign off").click()
    expect(page.get_by_test_id("signoffs")).to_contain_text(
        "Technology security: concurs — EEUM storage certified"
    )
