"""The vetting API: propose, evaluate, read findings with rationale, sign off, finalize,
the queue, Leahy; scoped (a partner guessing ids gets 404), problem JSON on bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.lifecycle import Status
from secassist.core.clock import FixedClock
from secassist.identity.tokens import issue_token
from secassist.storage.uow import unit_of_work
from tests.api.test_errors import assert_problem
from tests.cases.factories import add_lines, drive, make_world, open_case
from tests.identity.factories import office_reviewer
from tests.vetting.factories import People, people, proposal_data  # noqa: F401  (a fixture)

API = "/api/v1/vetting"


@pytest.fixture
def auth(session_factory: sessionmaker[Session], people: People) -> dict[str, dict[str, str]]:  # noqa: F811
    out = {}
    with unit_of_work(session_factory) as s:
        for who in ("state", "dod", "partner_pl", "auditor", "pm_reviewer", "hr_reviewer", "tech_reviewer"):
            p = getattr(people, who)
            raw, _ = issue_token(s, actor=None, user_id=p.user_id, name="test")
            out[who] = {"Authorization": f"Bearer {raw}"}
    return out


def _stinger() -> dict[str, Any]:
    return proposal_data(
        "PL",
        "2025-06-01",
        items=[
            {
                "description": "Stinger",
                "item_type": "portable SAM",
                "usml_category": "IV",
                "mde": True,
                "value": "5000000.00",
            }
        ],
        financing=["fmf"],
    )


def test_propose_evaluate_sign_off_finalize(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    st = auth["state"]
    r = client.post(f"{API}/proposals", json=_stinger(), headers=st)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["proposal"]["items"][0]["value"] == "5000000.00"
    r = client.post(
        f"{API}/proposals/{pid}/determinations",
        headers=st,
        json={"factor": "human_rights", "assessment": "satisfactory", "basis": "2024 report"},
    )
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/proposals/{pid}/evaluate", headers=st)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["profile_id"] == "eo-14268-2025"
    assert d["recommendation"] == "review"
    tech = next(f for f in d["findings"] if f["factor"] == "technology_security")
    assert tech["outcome"] == "concern"
    assert "Stinger" in tech["rationale"]
    assert "NSPM-10" in tech["authority"]
    queue = client.get(f"{API}/queue", headers=st).json()
    assert [q["decision_id"] for q in queue] == [d["id"]]
    assert (
        client.get(f"{API}/queue?office=technology_security", headers=auth["dod"]).json()[0]["decision_id"]
        == d["id"]
    )
    # The API applies the same duties (issue #16): the decider is no human-rights reviewer …
    assert_problem(
        client.post(
            f"{API}/decisions/{d['id']}/signoffs",
            headers=st,
            json={"office": "human_rights", "concur": True, "comment": "concur"},
        ),
        403,
        "duty.separation",
    )
    reviewers = {
        "political_military": "pm_reviewer",
        "human_rights": "hr_reviewer",
        "technology_security": "tech_reviewer",
    }
    for office in d["missing_signoffs"]:
        r = client.post(
            f"{API}/decisions/{d['id']}/signoffs",
            headers=auth[reviewers[office]],
            json={"office": office, "concur": True, "comment": "concur"},
        )
        assert r.status_code == 201, r.text
    # … and a reviewer who signed off may not approve.
    body = assert_problem(
        client.post(
            f"{API}/decisions/{d['id']}/finalize", headers=auth["hr_reviewer"], json={"decision": "approve"}
        ),
        403,
        "duty.separation",
    )
    assert "signed off for human_rights" in body["detail"]
    r = client.post(
        f"{API}/decisions/{d['id']}/finalize",
        headers=st,
        json={"decision": "approve", "provisos": ["EEUM storage check"]},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["final_decision"], r.json()["provisos"]) == ("approve", ["EEUM storage check"])
    assert client.get(f"{API}/queue", headers=st).json() == []


def test_errors_and_scope(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    st = auth["state"]
    bad = proposal_data(items=[{"description": "x", "item_type": "x", "usml_category": "XXV", "value": "1"}])
    body = assert_problem(client.post(f"{API}/proposals", json=bad, headers=st), 422, "validation.failed")
    assert "items.0.usml_category" in body["detail"]
    floaty = proposal_data(items=[{"description": "x", "item_type": "x", "value": 1.5}])
    assert_problem(client.post(f"{API}/proposals", json=floaty, headers=st), 422, "validation.failed")
    pid = client.post(f"{API}/proposals", json=proposal_data("VE"), headers=st).json()["id"]
    did = client.post(f"{API}/proposals/{pid}/evaluate", headers=st).json()["id"]
    body = assert_problem(
        client.post(f"{API}/decisions/{did}/finalize", headers=st, json={"decision": "approve"}),
        422,
        "validation.failed",
    )
    assert "blocked by itar_126_1" in body["detail"]
    partner = auth["partner_pl"]
    missing = client.get(f"{API}/decisions/999999", headers=partner)
    for path in (f"proposals/{pid}", f"decisions/{did}"):
        r = client.get(f"{API}/{path}", headers=partner)
        assert_problem(r, 404, "not_found")
        assert r.json()["detail"].split()[1:] == missing.json()["detail"].split()[1:]
    assert client.get(f"{API}/proposals", headers=partner).json() == []
    assert_problem(
        client.post(f"{API}/proposals/{pid}/evaluate", headers=auth["auditor"]), 403, "permission.denied"
    )
    assert (
        client.post(f"{API}/proposals/{pid}/notes", headers=st, json={"body": "pre-decisional"}).status_code
        == 201
    )
    assert client.get(f"{API}/proposals/{pid}/notes", headers=auth["dod"]).json() == []
    assert len(client.get(f"{API}/proposals/{pid}/notes", headers=st).json()) == 1
    assert client.get(f"{API}/proposals/{pid}", headers=auth["dod"]).status_code == 200
    assert client.get(f"{API}/proposals").status_code == 401


def test_leahy_endpoints(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    st = auth["state"]
    r = client.post(
        f"{API}/leahy/units",
        headers=st,
        json={"country": "PL", "name": "6th Airborne Brigade", "unit_type": "military"},
    )
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    r = client.post(
        f"{API}/leahy/units/{uid}/vettings",
        headers=st,
        json={"requested_on": "2025-01-02", "purpose": "IMET", "sources_checked": ["INVEST", "NGO reports"]},
    )
    vid = r.json()["id"]
    r = client.post(
        f"{API}/leahy/vettings/{vid}/outcome",
        headers=st,
        json={"outcome": "denied", "decided_on": "2025-01-10", "basis": "credible GVHR information"},
    )
    assert r.json()["status"] == "denied"
    [task] = client.get(f"{API}/leahy/duty-to-inform?status=open", headers=st).json()
    assert task["vetting_id"] == vid
    s = client.get(f"{API}/leahy/units/{uid}/status?on=2025-02-01", headers=st).json()
    assert (s["status"], s["vetting_id"]) == ("denied", vid)
    r = client.post(
        f"{API}/leahy/duty-to-inform/{task['id']}/complete",
        headers=st,
        json={"completed_on": "2025-01-20", "note": "demarche"},
    )
    assert r.json()["status"] == "done"
    remedy = {
        "authority": "FAA §620M(b) effective steps",
        "description": "prosecutions",
        "proposed_on": "2025-03-01",
    }
    r = client.post(f"{API}/leahy/vettings/{vid}/remediations", headers=st, json=remedy)
    assert r.status_code == 201, r.text
    r = client.post(
        f"{API}/leahy/remediations/{r.json()['id']}/decision",
        headers=st,
        json={"accept": True, "decided_on": "2025-04-01"},
    )
    assert r.json()["status"] == "accepted"
    assert_problem(client.get(f"{API}/leahy/units/{uid}", headers=auth["partner_pl"]), 404, "not_found")
    profiles = client.get(f"{API}/profiles", headers=st).json()
    assert [p["id"] for p in profiles] == [
        "nspm-10-2018",
        "nsm-18-2023",
        "eo-14268-2025",
        "america-first-2026",
    ]


def test_vet_a_real_case_and_the_offer_gate_clears(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = make_world(session_factory)
    clock = FixedClock(datetime.now(UTC))
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock)
    drive(session_factory, cid, Status.proposed, clock)
    with unit_of_work(session_factory) as s:
        state = issue_token(s, actor=None, user_id=world.state.user_id, name="t")[0]
        pl = issue_token(s, actor=None, user_id=world.pl.user_id, name="t")[0]
    h, hp = {"Authorization": f"Bearer {state}"}, {"Authorization": f"Bearer {pl}"}
    ident = client.get(f"/api/v1/cases/{cid}", headers=h).json()["identifier"]

    def vetting_gate() -> dict[str, Any]:
        found: dict[str, Any] = next(
            g for g in client.get(f"/api/v1/cases/{ident}/gates", headers=h).json() if g["gate"] == "vetting"
        )
        return found

    gate = vetting_gate()
    assert gate["satisfied"] is False
    clear = {"status": "clear"}  # asserted: cites no screening record
    body = {
        "screenings": {"Government of PL": clear, "Air Force": clear},
        "determinations": [
            {"factor": f, "assessment": "satisfactory", "basis": "desk review"}
            for f in ("human_rights", "nonproliferation", "partner_capacity")
        ],
    }
    assert_problem(
        client.post(f"{API}/cases/{ident}", headers=hp, json=body), 404, "not_found"
    )  # no vetting:read
    r = client.post(f"{API}/cases/{ident}", headers=h, json=body)
    assert r.status_code == 201, r.text
    d = r.json()
    assert [f["factor"] for f in d["findings"] if f["outcome"] != "clear"] == [
        "regional_stability"
    ]  # no register
    with unit_of_work(session_factory) as s:
        pm = issue_token(s, actor=None, user_id=office_reviewer(s, "political_military").user_id, name="t")[0]
    r = client.post(
        f"{API}/decisions/{d['id']}/signoffs",
        headers={"Authorization": f"Bearer {pm}"},
        json={"office": "political_military", "concur": True, "comment": "ok"},
    )
    assert r.status_code == 201, r.text
    client.post(f"{API}/decisions/{d['id']}/finalize", headers=h, json={"decision": "approve"})
    gate = vetting_gate()
    assert gate["satisfied"], gate
    assert gate["reason"].startswith(f"Vetting cleared: decision {d['id']}")
