"""Program funds on the web, through the app on the demo dataset: the appropriations and an
appropriation's ledger with its balances; every money-moving form asks once (a confirmation
naming the amount and the account, bound to exactly the values shown) and writes only on
the confirmed post; refused input comes back (422) with the error beside its field and
nothing written; roles that may not move money see no form and their posts are refused."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.cases.models import Case
from secassist.http.deps import SESSION_COOKIE
from secassist.identity import service as identity
from secassist.identity.logins import start_web_session
from secassist.programs import queries
from secassist.programs.models import LedgerEntry
from secassist.storage.uow import read_only, unit_of_work
from tests.web.test_login_browser import fill_login

pytestmark = pytest.mark.usefixtures("demo_db")

FY2026 = "FMF FY2026 (demo)"


def login(client: TestClient, factory: sessionmaker[Session], username: str) -> str:
    """A web session for ``username`` on ``client``; returns its CSRF token."""
    with unit_of_work(factory) as s:
        raw, ws = start_web_session(s, user_id=identity.user_by_name(s, username).id)
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    return csrf


def audit_count(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def error(text: str, field: str) -> str:
    m = re.search(rf'data-testid="error-{field}">([^<]*)<', text)
    assert m, f"no error beside {field}"
    return html.unescape(m.group(1))


def confirm_values(text: str) -> dict[str, str]:
    """The hidden fields of a confirmation page's form (what the second post sends)."""
    form = text[text.index('data-testid="confirm-form"') :]
    form = form[: form.index("</form>")]
    return {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }


def _fy2026(factory: sessionmaker[Session]) -> tuple[int, str]:
    """The FY2026 FMF appropriation and the demo's FMF-financed Polish case."""
    with read_only(factory) as s:
        appr = next(a for a in queries.list_appropriations(s, actor=None, program="FMF") if a.title == FY2026)
        case = s.scalar(
            select(Case).where(Case.country_code == "PL", Case.financing == "fmf").order_by(Case.id.desc())
        )
        assert case is not None
        return appr.id, case.identifier


def _entries(factory: sessionmaker[Session], **where: object) -> list[LedgerEntry]:
    with read_only(factory) as s:
        stmt = select(LedgerEntry).order_by(LedgerEntry.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(LedgerEntry, k) == v)
        return list(s.scalars(stmt))


def test_an_obligation_asks_once_names_amount_and_account_then_records(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    aid, case = _fy2026(session_factory)
    csrf = login(client, session_factory, "pm.officer")
    page = client.get(f"/programs/appropriations/{aid}")
    assert page.status_code == 200
    assert 'data-testid="obligate-form"' in page.text
    assert 'data-testid="balance-PL"' in page.text
    body = {"csrf": csrf, "country": "PL", "amount": "1,250,000.00", "on": "2026-06-01", "target": "case",
            "case": case, "line": "1", "reference": "DOC-2026-17", "memo": "web test"}  # fmt: skip
    before = audit_count(session_factory)
    n_before = len(_entries(session_factory, kind="obligation"))
    asked = client.post(f"/programs/appropriations/{aid}/obligation", data=body)
    assert asked.status_code == 200
    summary = html.unescape(re.search(r'data-testid="confirm-summary">([^<]*)<', asked.text).group(1))  # type: ignore[union-attr]
    assert "$1,250,000.00" in summary
    assert FY2026 in summary
    assert "Poland (PL)" in summary
    assert f"case {case} line 001" in summary
    assert audit_count(session_factory) == before  # the rehearsal wrote nothing
    values = confirm_values(asked.text)
    assert values["amount"] == "1,250,000.00"
    assert values["confirmed"]
    # A changed amount does not ride on the token of the one shown: it is asked again.
    again = client.post(f"/programs/appropriations/{aid}/obligation", data={**values, "amount": "9000000"})
    assert again.status_code == 200
    assert 'data-testid="confirm-form"' in again.text
    assert audit_count(session_factory) == before
    done = client.post(f"/programs/appropriations/{aid}/obligation", data=values, follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = client.get(done.headers["location"])
    assert 'class="flash' in shown.text
    assert "Obligated $1,250,000.00" in shown.text
    assert audit_count(session_factory) == before + 1
    made = _entries(session_factory, kind="obligation")
    assert len(made) == n_before + 1
    assert made[-1].amount == Decimal("1250000.00")
    assert made[-1].reference == "DOC-2026-17"
    # The flash is shown once.
    assert "Obligated $1,250,000.00" not in client.get(done.headers["location"]).text


def test_refused_obligations_keep_the_input_and_write_nothing(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    aid, case = _fy2026(session_factory)
    csrf = login(client, session_factory, "pm.officer")
    body = {"csrf": csrf, "country": "PL", "amount": "999000000", "on": "2026-06-01", "target": "case",
            "case": case, "line": "001", "reference": "", "memo": "too much"}  # fmt: skip
    before = audit_count(session_factory)
    r = client.post(f"/programs/appropriations/{aid}/obligation", data=body)
    assert r.status_code == 422
    assert "allocation to PL" in error(r.text, "amount")
    assert 'value="999000000"' in r.text
    assert 'value="too much"' in r.text
    url = f"/programs/appropriations/{aid}/obligation"
    r = client.post(url, data={**body, "amount": "10", "line": "099"})
    assert r.status_code == 422
    assert "no line" in error(r.text, "line")
    r = client.post(url, data={**body, "amount": "10", "case": "PL-Q-ZZZ"})
    assert r.status_code == 422
    assert "PL-Q-ZZZ" in error(r.text, "case")
    r = client.post(url, data={**body, "amount": "10", "on": "June 1"})
    assert r.status_code == 422
    assert "not a date" in error(r.text, "on")
    r = client.post(f"/programs/appropriations/{aid}/obligation", data={**body, "amount": "-5"})
    assert r.status_code == 422
    assert "negative" in error(r.text, "amount")
    # Outside the period of availability (FY2026 funds are available from 2026-01-01).
    r = client.post(url, data={**body, "amount": "10", "on": "2025-12-01"})
    assert r.status_code == 422
    assert "period of availability" in r.text or "available" in error(r.text, "on")
    assert audit_count(session_factory) == before


def test_allocation_expenditure_and_reversal_each_ask_once(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    aid, _ = _fy2026(session_factory)
    csrf = login(client, session_factory, "pm.officer")
    body = {"csrf": csrf, "country": "JP", "amount": "2000000", "on": "2026-02-01", "memo": "demo"}
    asked = client.post(f"/programs/appropriations/{aid}/allocation", data=body)
    assert "Allocate $2,000,000.00" in html.unescape(asked.text)
    assert "Japan (JP)" in asked.text
    done = client.post(f"/programs/appropriations/{aid}/allocation", data=confirm_values(asked.text))
    assert done.status_code == 200
    assert "Allocated $2,000,000.00" in done.text
    assert 'data-testid="balance-JP"' in done.text

    # The demo's IMET training obligation ($1M, $400k expended).
    obligation = _entries(session_factory, kind="obligation", program="IMET")[0]
    page = client.get(f"/programs/entries/{obligation.id}")
    assert "unexpended $600,000.00" in page.text
    spend = {"csrf": csrf, "amount": "700000", "on": "2026-03-01", "reference": "tuition", "memo": ""}
    r = client.post(f"/programs/entries/{obligation.id}/expenditure", data=spend)
    assert r.status_code == 422
    assert "unexpended obligation" in error(r.text, "amount")
    asked = client.post(f"/programs/entries/{obligation.id}/expenditure", data={**spend, "amount": "100000"})
    assert "Expend $100,000.00 against obligation" in html.unescape(asked.text)
    done = client.post(f"/programs/entries/{obligation.id}/expenditure", data=confirm_values(asked.text))
    assert "unexpended $500,000.00" in done.text

    spent = _entries(session_factory, kind="expenditure", obligation_id=obligation.id)[-1]
    # The obligation cannot be reversed while expenditures draw on it: the reason is shown.
    r = client.post(f"/programs/entries/{obligation.id}/reversal", data={"csrf": csrf, "on": "2026-03-02",
                                                                        "reason": "cancelled"})  # fmt: skip
    assert r.status_code == 422
    assert "reverse the later entries first" in html.unescape(r.text)
    rev = {"csrf": csrf, "on": "2026-03-02", "reason": "entered twice"}
    asked = client.post(f"/programs/entries/{spent.id}/reversal", data=rev)
    assert f"Reverse expenditure {spent.id} of $100,000.00" in html.unescape(asked.text)
    done = client.post(f"/programs/entries/{spent.id}/reversal", data=confirm_values(asked.text))
    assert 'data-testid="reversed-by"' in done.text
    assert 'data-testid="reverse-form"' not in done.text


def test_a_new_appropriation_asks_once(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    csrf = login(client, session_factory, "pm.officer")
    body = {"csrf": csrf, "program": "PKO", "fiscal_year": "2026", "amount": "400000000",
            "available_from": "2026-03-01", "available_until": "2026-02-01", "title": "PKO FY2026 (test)",
            "citation": "", "source": "test", "unconfirmed": "yes"}  # fmt: skip
    r = client.post("/programs/appropriations", data=body)
    assert r.status_code == 422
    assert "before available_from" in error(r.text, "available_until")
    assert 'value="PKO FY2026 (test)"' in r.text
    asked = client.post("/programs/appropriations", data={**body, "available_until": "2027-09-30"})
    assert "Appropriate $400,000,000.00 to PKO FY2026" in asked.text
    done = client.post("/programs/appropriations", data=confirm_values(asked.text))
    assert done.status_code == 200
    assert "Recorded the appropriation of $400,000,000.00" in done.text
    assert 'data-testid="appropriated">$400,000,000.00' in done.text


def test_roles_that_may_not_move_money_see_no_form_and_are_refused(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    aid, case = _fy2026(session_factory)
    before = audit_count(session_factory)
    body = {"country": "PL", "amount": "10", "on": "2026-06-01", "target": "case", "case": case}
    body["line"] = "001"
    obligate = f"/programs/appropriations/{aid}/obligation"
    allocate = f"/programs/appropriations/{aid}/allocation"
    csrf = login(client, session_factory, "dsca.case")  # reads funds, moves none
    page = client.get(f"/programs/appropriations/{aid}")
    assert page.status_code == 200
    assert 'data-testid="obligate-form"' not in page.text
    assert client.post(obligate, data={**body, "csrf": csrf}).status_code == 403
    csrf = login(client, session_factory, "ig.auditor")
    assert 'data-testid="allocate-form"' not in client.get(f"/programs/appropriations/{aid}").text
    assert client.post(allocate, data={**body, "csrf": csrf}).status_code == 403
    csrf = login(client, session_factory, "pl.mod")  # its own country's entries, no appropriation
    assert client.get("/programs/appropriations").status_code == 404
    assert client.get(f"/programs/appropriations/{aid}").status_code == 404
    ledger = client.get("/programs/ledger?program=FMF")
    assert ledger.status_code == 200
    assert "Egypt" not in ledger.text
    assert "Poland (PL)" in ledger.text
    assert client.post(obligate, data={**body, "csrf": csrf}).status_code == 403
    # A form without the session's CSRF token is refused too.
    login(client, session_factory, "pm.officer")
    assert client.post(obligate, data=body).status_code == 403
    assert audit_count(session_factory) == before


@pytest.mark.browser
def test_an_obligation_in_the_browser_with_its_confirmation(
    page: Page, live_server: str, session_factory: sessionmaker[Session]
) -> None:
    aid, case = _fy2026(session_factory)
    page.goto(f"/programs/appropriations/{aid}")
    fill_login(page, "pm.officer", "demo-pm.officer!")
    expect(page).to_have_url(f"{live_server}/programs/appropriations/{aid}")
    form = page.get_by_test_id("obligate-form")
    form.get_by_label("Country (ISO code)").fill("PL")
    form.get_by_label("Amount (US dollars)").fill("750000")
    form.get_by_label("Dated").fill("2026-06-15")
    form.get_by_label("Pays for").select_option("case")
    form.get_by_label("Case (e.g. PL-B-AAB)").fill(case)
    form.get_by_label("Line (e.g. 001)").fill("2")
    form.get_by_role("button", name="Obligate…").click()
    summary = page.get_by_test_id("confirm-summary")
    expect(summary).to_contain_text("Obligate $750,000.00")
    expect(summary).to_contain_text(FY2026)
    expect(summary).to_contain_text(f"case {case} line 002")
    page.get_by_test_id("confirm-button").click()
    expect(page.get_by_role("status")).to_contain_text("Obligated $750,000.00")
    expect(page.get_by_test_id("amount")).to_have_text("$750,000.00")
    expect(page.get_by_test_id("target")).to_contain_text("line")
    page.reload()
    expect(page.get_by_test_id("flash")).to_have_text("")  # the confirmation was shown once
