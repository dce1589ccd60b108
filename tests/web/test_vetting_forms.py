"""Vetting and Leahy forms over the demo dataset: a case's proposal filed and evaluated from
its page, a reviewer's determination, re-evaluation, notes, sign-off and the final
decision; Leahy units, vettings, outcomes and the duty to inform. Each form: success (a
redirect and the confirmation), refused input (422, the input kept and the error beside
its field, nothing written), and a role that may not (no form; the post refused)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.models import Case
from secassist.demo.people import DECIDER, OFFICE_SIGNERS
from secassist.http.deps import SESSION_COOKIE
from secassist.identity import service as identity
from secassist.identity.logins import start_web_session
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting.decisions_models import VettingDecision, VettingNote, VettingProposal, VettingSignoff
from secassist.vetting.leahy_models import LeahyDutyToInform, LeahyUnit, LeahyVetting
from tests.web.test_case_forms import error, flash

pytestmark = pytest.mark.usefixtures("demo_db")
TODAY = datetime.now(UTC).date().isoformat()


def login(client: TestClient, factory: sessionmaker[Session], username: str) -> str:
    """Log the demo user in (a session cookie) and return the session's CSRF token."""
    client.cookies.clear()
    with unit_of_work(factory) as s:
        raw, ws = start_web_session(s, user_id=identity.user_by_name(s, username).id)
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    return csrf


def post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data=data, follow_redirects=False)


def count(factory: sessionmaker[Session], model: type[Any]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def poland_case(factory: sessionmaker[Session]) -> str:
    with read_only(factory) as s:
        ident = s.scalar(select(Case.identifier).where(Case.country_code == "PL").order_by(Case.id))
    assert ident is not None
    return ident


def proposal_id(factory: sessionmaker[Session], title: str) -> int:
    with read_only(factory) as s:
        pid = s.scalar(select(VettingProposal.id).where(VettingProposal.title.startswith(title)))
    assert pid is not None
    return pid


def open_decision(factory: sessionmaker[Session], pid: int) -> int:
    with read_only(factory) as s:
        did = s.scalar(
            select(VettingDecision.id).where(
                VettingDecision.proposal_id == pid, VettingDecision.status == "open"
            )
        )
    assert did is not None
    return did


def test_a_case_vetted_from_its_page(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    ident = poland_case(session_factory)
    csrf = login(client, session_factory, "pm.officer")
    assert 'data-testid="vet-link"' in client.get(f"/cases/{ident}").text
    page = client.get(f"/vetting/cases/{ident}").text
    assert 'data-testid="vet-form"' in page
    before = count(session_factory, VettingProposal)
    data = {"csrf": csrf, "on": "31/12/2025", "purchaser_name": "Ministry of National Defence of Poland"}
    bad = post(client, f"/vetting/cases/{ident}", data)
    assert bad.status_code == 422
    assert "is not a date" in error(bad.text, "on")
    assert 'value="Ministry of National Defence of Poland"' in bad.text
    assert count(session_factory, VettingProposal) == before
    r = post(client, f"/vetting/cases/{ident}", {**data, "on": TODAY})
    assert r.status_code == 303
    url = r.headers["location"]
    assert re.fullmatch(r"/vetting/proposals/\d+", url)
    assert re.search(r"Proposal \d+ filed and evaluated: the rules recommend \w+\.", flash(client, url))
    proposal = client.get(url).text
    assert 'data-testid="findings"' in proposal
    assert 'data-testid="proposal-case"' in proposal
    assert "decision" in client.get(f"/vetting/cases/{ident}").text

    csrf = login(client, session_factory, "dsca.case")  # DoD reads vetting, does not file it
    assert 'data-testid="vet-form"' not in client.get(f"/vetting/cases/{ident}").text
    assert post(client, f"/vetting/cases/{ident}", {**data, "on": TODAY, "csrf": csrf}).status_code == 403
    csrf = login(client, session_factory, "pl.mod")
    assert client.get(f"/vetting/cases/{ident}").status_code == 404
    assert count(session_factory, VettingProposal) == before + 1


def test_determination_evaluation_and_notes(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pid = proposal_id(session_factory, "Philippines")
    csrf = login(client, session_factory, "pm.officer")
    page = client.get(f"/vetting/proposals/{pid}").text
    for form in ("determination-form", "evaluate-form", "note-form"):
        assert f'data-testid="{form}"' in page
    det = {
        "csrf": csrf,
        "factor": "no_such_factor",
        "assessment": "doubts",
        "basis": "Embassy cable 2025-114",
    }
    bad = post(client, f"/vetting/proposals/{pid}/determinations", det)
    assert bad.status_code == 422
    assert "is not weighed" in error(bad.text, "factor")
    assert "Embassy cable 2025-114" in bad.text
    factor = re.search(r'<select id="det-factor" name="factor"[^>]*>\s*<option value="([^"]+)"', page)
    assert factor is not None
    r = post(client, f"/vetting/proposals/{pid}/determinations", {**det, "factor": factor.group(1)})
    assert r.status_code == 303
    assert f"Determination on {factor.group(1)} recorded" in flash(client, r.headers["location"])
    decisions = count(session_factory, VettingDecision)
    r = post(client, f"/vetting/proposals/{pid}/evaluate", {"csrf": csrf})
    assert r.status_code == 303
    assert "Evaluated: decision" in flash(client, r.headers["location"])
    assert count(session_factory, VettingDecision) == decisions + 1

    notes = count(session_factory, VettingNote)
    bad = post(client, f"/vetting/proposals/{pid}/notes", {"csrf": csrf, "body": "   "})
    assert bad.status_code == 422
    assert "1 to" in error(bad.text, "body")
    r = post(
        client, f"/vetting/proposals/{pid}/notes", {"csrf": csrf, "body": "Ask DRL about the 2024 report"}
    )
    assert r.status_code == 303
    assert "Ask DRL about the 2024 report" in client.get(f"/vetting/proposals/{pid}").text

    csrf = login(client, session_factory, "dsca.case")  # DoD: no notes, no determinations
    page = client.get(f"/vetting/proposals/{pid}").text
    assert "Ask DRL" not in page
    assert 'data-testid="note-form"' not in page
    assert 'data-testid="determination-form"' not in page
    assert post(client, f"/vetting/proposals/{pid}/notes", {"csrf": csrf, "body": "x"}).status_code == 403
    det["factor"] = factor.group(1)
    assert post(client, f"/vetting/proposals/{pid}/determinations", {**det, "csrf": csrf}).status_code == 403
    assert count(session_factory, VettingNote) == notes + 1


def test_signoff_and_final_decision(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    pid = proposal_id(session_factory, "Philippines")
    did = open_decision(session_factory, pid)
    # The policy officer is not of the technology-security office: its sign-off is another's
    # duty, refused beside the office with what was typed kept.
    csrf = login(client, session_factory, DECIDER)
    signoffs = count(session_factory, VettingSignoff)
    so = {"csrf": csrf, "office": "technology_security", "concur": "yes", "comment": "EEUM storage certified"}
    refused = post(client, f"/vetting/decisions/{did}/signoff", so)
    assert refused.status_code == 422
    assert "is not of the technology_security office" in error(refused.text, "office")
    assert "EEUM storage certified" in refused.text
    fin = {"csrf": csrf, "decision": "approve", "provisos": "No retransfer without consent", "comment": ""}
    bad = post(client, f"/vetting/decisions/{did}/finalize", fin)
    assert bad.status_code == 422
    assert "sign-off still needed" in error(bad.text, "decision")
    assert "No retransfer without consent" in bad.text
    csrf = login(client, session_factory, OFFICE_SIGNERS["technology_security"])
    bad = post(client, f"/vetting/decisions/{did}/signoff", {**so, "csrf": csrf, "comment": ""})
    assert bad.status_code == 422
    assert "comment: 1 to" in error(bad.text, "comment")
    assert '<option value="technology_security" selected>' in bad.text
    assert count(session_factory, VettingSignoff) == signoffs

    csrf = login(client, session_factory, "dsca.case")  # DoD may not sign off or decide
    assert 'data-testid="signoff-form"' not in client.get(f"/vetting/proposals/{pid}").text
    comment = {**so, "csrf": csrf, "comment": "fine"}
    assert post(client, f"/vetting/decisions/{did}/signoff", comment).status_code == 403
    assert post(client, f"/vetting/decisions/{did}/finalize", {**fin, "csrf": csrf}).status_code == 403

    csrf = login(client, session_factory, OFFICE_SIGNERS["technology_security"])
    r = post(client, f"/vetting/decisions/{did}/signoff", {**so, "csrf": csrf})
    assert r.status_code == 303
    assert "Sign-off recorded: Technology security concurs." in flash(client, r.headers["location"])
    assert count(session_factory, VettingSignoff) == signoffs + 1
    csrf = login(client, session_factory, DECIDER)
    r = post(client, f"/vetting/decisions/{did}/finalize", {**fin, "csrf": csrf, "decision": "deny"})
    assert r.status_code == 303
    assert "Final decision recorded: deny." in flash(client, r.headers["location"])
    assert 'data-testid="final-decision">deny<' in client.get(f"/vetting/proposals/{pid}").text


def test_leahy_units_vettings_and_duty_to_inform(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "pm.officer")
    page = client.get("/leahy").text
    assert 'data-testid="unit-form"' in page
    units = count(session_factory, LeahyUnit)
    unit = {"csrf": csrf, "country": "PH", "name": "", "unit_type": "police"}
    bad = post(client, "/leahy/units", unit)
    assert bad.status_code == 422
    assert "name: 1 to 300" in error(bad.text, "name")
    assert '<option value="PH" selected>' in bad.text
    r = post(client, "/leahy/units", {**unit, "name": "Mindanao Police Regional Office"})
    assert r.status_code == 303
    url = r.headers["location"]
    assert "Unit Mindanao Police Regional Office registered." in flash(client, url)
    unit_id = int(url.rsplit("/", 1)[1])

    req = {"csrf": csrf, "requested_on": TODAY, "purpose": "Maritime law-enforcement training", "sources": ""}
    bad = post(client, f"/leahy/units/{unit_id}/vettings", req)
    assert bad.status_code == 422
    assert "at least one source" in error(bad.text, "sources")
    assert 'value="Maritime law-enforcement training"' in bad.text
    sources = "State Country Report on Human Rights Practices 2024\nINVEST"
    r = post(client, f"/leahy/units/{unit_id}/vettings", {**req, "sources": sources})
    assert r.status_code == 303
    vurl = r.headers["location"]
    assert re.search(r"Vetting \d+ requested\.", flash(client, vurl))
    vid = int(vurl.rsplit("/", 1)[1])

    out = {"csrf": csrf, "outcome": "denied", "decided_on": TODAY, "basis": "", "valid_until": ""}
    bad = post(client, f"/leahy/vettings/{vid}/outcome", out)
    assert bad.status_code == 422
    assert "basis" in error(bad.text, "basis")
    assert '<option value="denied" selected>' in bad.text
    r = post(client, f"/leahy/vettings/{vid}/outcome", {**out, "basis": "Credible GVHR information (demo)"})
    assert r.status_code == 303
    assert f"Vetting {vid}: denied; a duty-to-inform task is open." in flash(client, vurl)
    with read_only(session_factory) as s:
        task = s.scalar(select(LeahyDutyToInform.id).where(LeahyDutyToInform.vetting_id == vid))
    assert task is not None
    assert 'data-testid="inform-form"' in client.get(vurl).text
    bad = post(
        client, f"/leahy/duty-to-inform/{task}/complete", {"csrf": csrf, "completed_on": TODAY, "note": ""}
    )
    assert bad.status_code == 422
    assert "say how and whom" in error(bad.text, "note")
    done = {"csrf": csrf, "completed_on": TODAY, "note": "Note verbale to the Philippine DFA"}
    r = post(client, f"/leahy/duty-to-inform/{task}/complete", done)
    assert r.status_code == 303
    assert "Duty to inform recorded as done." in flash(client, vurl)
    assert "Note verbale to the Philippine DFA" in client.get(vurl).text

    csrf = login(client, session_factory, "dsca.case")  # DoD reads the registry, writes none
    page = client.get("/leahy").text
    assert "Mindanao Police Regional Office" in page
    assert 'data-testid="unit-form"' not in page
    assert post(client, "/leahy/units", {**unit, "csrf": csrf, "name": "Other unit"}).status_code == 403
    assert 'data-testid="outcome-form"' not in client.get(vurl).text
    csrf = login(client, session_factory, "pl.mod")  # a partner does not see Leahy records
    assert client.get("/leahy").status_code == 404
    assert client.get(vurl).status_code == 404
    assert count(session_factory, LeahyUnit) == units + 1
    assert count(session_factory, LeahyVetting) >= 1
