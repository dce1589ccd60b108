"""The transfers API (``/api/v1/transfers``): request → decide → execute in the CLI's JSON
shape, the registry then showing the new holder; a refused execution as problem JSON
naming its rule with nothing written; scoping (a third country sees nothing, congress
only certified requests, 404 like a missing request); CSRF for a browser session."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.http.deps import SESSION_COOKIE
from secassist.identity.logins import start_web_session
from secassist.identity.permissions import REVIEW_OFFICES
from secassist.identity.tokens import issue_token
from secassist.storage.uow import read_only, unit_of_work
from secassist.transfers.models import InboxEntry
from tests.api.test_errors import assert_problem
from tests.cases.factories import World
from tests.equipment.factories import Poland, snapshot
from tests.identity.factories import office_reviewer
from tests.transfers.conftest import clock, nvds, poland, world
from tests.transfers.test_certification import TLAM, tomahawks

__all__ = ["clock", "nvds", "poland", "tomahawks", "world"]

API = "/api/v1/transfers"
H = dict[str, str]
CLEAR = {"status": "clear"}  # asserted: cites no screening record
JUDGED = [
    {"factor": f, "assessment": "satisfactory", "basis": "desk review"}
    for f in ("human_rights", "nonproliferation", "partner_capacity")
]


@pytest.fixture
def tokens(session_factory: sessionmaker[Session], world: World) -> dict[str, H]:
    out: dict[str, H] = {}
    with unit_of_work(session_factory) as s:
        for key in ("state", "dod", "pl", "pl_sco", "jp", "congress", "auditor"):
            raw, _ = issue_token(s, actor=None, user_id=getattr(world, key).user_id, name="t", scopes=None)
            out[key] = {"Authorization": f"Bearer {raw}"}
        for office in REVIEW_OFFICES:  # a reviewer of each office signs off for it
            raw, _ = issue_token(
                s, actor=None, user_id=office_reviewer(s, office).user_id, name="t", scopes=None
            )
            out[office] = {"Authorization": f"Bearer {raw}"}
    return out


def _request(to: str = "DE", serials: tuple[str, ...] = ("N-1", "N-2"), **extra: Any) -> dict[str, Any]:
    return {
        "from_country": "PL",
        "to": to,
        "kind": "retransfer",
        "on": "2026-02-01",
        "end_use": "Training of NATO forces",
        "end_user": "Bundeswehr",
        "serials": list(serials),
        "screenings": {f"Government of {to}": CLEAR, "Bundeswehr": CLEAR},
        "determinations": JUDGED,
        **extra,
    }


def _file(client: TestClient, h: H, **kw: Any) -> dict[str, Any]:
    r = client.post(API, json=_request(**kw), headers=h)
    assert r.status_code == 201, r.text
    doc: dict[str, Any] = r.json()
    return doc


def _sign_off(client: TestClient, doc: dict[str, Any], tokens: dict[str, H]) -> None:
    """Every office the vetting decision's concerns name concurs, each by a reviewer of that
    office (through the vetting API)."""
    did = doc["vetting_decision_id"]
    d = client.get(f"/api/v1/vetting/decisions/{did}", headers=tokens["state"]).json()
    for office in d["missing_signoffs"]:
        r = client.post(
            f"/api/v1/vetting/decisions/{did}/signoffs",
            json={"office": office, "concur": True, "comment": "test"},
            headers=tokens[office],
        )
        assert r.status_code == 201, r.text


def _audit_count(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_request_decide_execute_and_the_registry_shows_the_new_holder(
    client: TestClient, nvds: list[str], poland: Poland, tokens: dict[str, H]
) -> None:
    doc = _file(client, tokens["pl"])
    assert doc["status"] == "requested"
    assert (doc["from"], doc["to"], doc["serials"]) == ("PL", "DE", ["N-1", "N-2"])
    factors = {f["factor"]: f for f in doc["findings"]}
    assert {"direct_eligibility", "congressional_certification", "open_incidents"} <= set(factors)
    assert all(f["rationale"] for f in doc["findings"])
    assert factors["congressional_certification"]["outcome"] == "clear"
    assert doc["notification"] == {"required": False, "section": None, "review_days": None, "exclusion": None}
    assert doc["value_usd"] == "9000.00"
    rid = doc["id"]
    # The holder files but may not decide: State does.
    r = client.post(
        f"{API}/{rid}/decision", json={"decision": "approve", "on": "2026-02-02"}, headers=tokens["pl"]
    )
    assert_problem(r, 403, "permission.denied")
    _sign_off(client, doc, tokens)
    r = client.post(
        f"{API}/{rid}/decision",
        json={"decision": "approve", "on": "2026-02-02", "provisos": ["No further retransfer"]},
        headers=tokens["state"],
    )
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["status"] == "approved"
    assert decided["decision"]["provisos"] == ["No further retransfer"]
    assert decided["decision"]["approval_expires_on"] == "2027-02-02"
    r = client.post(f"{API}/{rid}/execution", json={"on": "2026-02-03"}, headers=tokens["pl"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "executed"
    assert r.json()["execution"]["executed_on"] == "2026-02-03"
    items = client.get(
        "/api/v1/equipment/items", params={"case": poland.case_ref}, headers=tokens["dod"]
    ).json()["items"]
    holders = {i["serial"]: i["holder_country"] for i in items}
    assert holders == {"N-1": "DE", "N-2": "DE", "N-3": "PL", "N-4": "PL"}
    # Both offices were told; Poland's office reads its own inbox.
    inbox = client.get(f"{API}/inbox", headers=tokens["pl_sco"]).json()
    assert [(e["country"], e["request"]) for e in inbox] == [("PL", rid)]
    assert "left PL" in inbox[0]["subject"]
    state_inbox = client.get(f"{API}/inbox", params={"country": "DE"}, headers=tokens["state"]).json()
    assert "arrived from PL" in state_inbox[0]["subject"]
    assert_problem(client.get(f"{API}/inbox", headers=tokens["state"]), 422, "validation.failed")
    page = client.get(API, params={"status": "executed", "country": "de"}, headers=tokens["state"]).json()
    assert page["total"] == 1
    assert page["items"][0]["serials"] == "N-1 N-2"
    assert page["items"][0]["from"] == "PL"


def test_execution_without_approval_is_refused_and_writes_nothing(
    client: TestClient, nvds: list[str], tokens: dict[str, H], session_factory: sessionmaker[Session]
) -> None:
    rid = _file(client, tokens["pl"])["id"]
    before, audit = snapshot(session_factory), _audit_count(session_factory)
    r = client.post(f"{API}/{rid}/execution", json={"on": "2026-02-03"}, headers=tokens["pl"])
    body = assert_problem(r, 422, "transfer.refused")
    assert body["errors"][0]["rule"] == "not_approved"
    assert snapshot(session_factory) == before
    assert _audit_count(session_factory) == audit
    with read_only(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(InboxEntry)) == 0
    assert client.get(f"{API}/{rid}", headers=tokens["pl"]).json()["status"] == "requested"
    # A malformed body names its field; an unknown kind is refused by the service.
    r = client.post(API, json=_request(kind="gift"), headers=tokens["pl"])
    assert_problem(r, 422, "validation.failed")
    assert _audit_count(session_factory) == audit


def test_scoping_holder_recipient_third_country_and_congress(
    client: TestClient, nvds: list[str], tokens: dict[str, H], session_factory: sessionmaker[Session]
) -> None:
    to_de = _file(client, tokens["pl"])["id"]
    to_jp = _file(client, tokens["pl"], to="JP", serials=("N-3",))["id"]

    def ids(who: str) -> set[int]:
        r = client.get(API, headers=tokens[who])
        assert r.status_code == 200, r.text
        return {row["id"] for row in r.json()["items"]}

    assert ids("pl") == {to_de, to_jp}  # the holder
    assert ids("jp") == {to_jp}  # the recipient
    assert ids("state") == ids("auditor") == {to_de, to_jp}
    assert ids("congress") == set()  # nothing certified
    # Japan is a third country to the German request: 404 like a missing one.
    missing = assert_problem(client.get(f"{API}/999999", headers=tokens["jp"]), 404, "not_found")
    hidden = assert_problem(client.get(f"{API}/{to_de}", headers=tokens["jp"]), 404, "not_found")
    assert hidden["title"] == missing["title"]
    assert client.get(f"{API}/{to_jp}", headers=tokens["jp"]).status_code == 200
    assert_problem(client.get(f"{API}/{to_de}", headers=tokens["congress"]), 404, "not_found")
    # Japan may not file for Poland's items, nor read Poland's inbox.
    assert_problem(client.post(API, json=_request(), headers=tokens["jp"]), 404, "not_found")
    assert client.get(f"{API}/inbox", params={"country": "PL"}, headers=tokens["jp"]).json() == []
    # A third country's filter shows nothing; the auditor reads but writes nothing.
    assert client.get(API, params={"country": "DE"}, headers=tokens["jp"]).json()["total"] == 0
    r = client.post(f"{API}/{to_de}/decision", json={"decision": "deny"}, headers=tokens["auditor"])
    assert_problem(r, 403, "permission.denied")


def test_a_browser_session_must_send_the_csrf_header_to_file_a_request(
    client: TestClient, nvds: list[str], world: World, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as s:
        raw, ws = start_web_session(s, user_id=world.pl.user_id)
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    before = _audit_count(session_factory)
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        assert_problem(client.post(API, json=_request(), headers=headers), 403, "permission.denied")
    assert _audit_count(session_factory) == before
    assert client.get(API).json()["total"] == 0  # reads need no header
    r = client.post(API, json=_request(), headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text


def test_congress_sees_a_request_once_its_certification_is_submitted(
    client: TestClient, tomahawks: None, tokens: dict[str, H]
) -> None:
    doc = _file(client, tokens["pl"], serials=tuple(TLAM))  # $30M of MDE to Germany
    assert doc["notification"]["required"] is True
    assert (doc["notification"]["section"], doc["notification"]["review_days"]) == ("3(d)", 15)
    rid = doc["id"]
    assert_problem(client.get(f"{API}/{rid}", headers=tokens["congress"]), 404, "not_found")
    _sign_off(client, doc, tokens)
    r = client.post(
        f"{API}/{rid}/decision", json={"decision": "approve", "on": "2026-02-02"}, headers=tokens["state"]
    )
    assert r.status_code == 200, r.text
    refused = client.post(f"{API}/{rid}/execution", json={"on": "2026-02-03"}, headers=tokens["pl"])
    assert assert_problem(refused, 422, "transfer.refused")["errors"][0]["rule"] == "not_certified"
    # The holder may not certify to Congress; State does.
    denied = client.post(f"{API}/{rid}/certification", json={"on": "2026-02-03"}, headers=tokens["pl"])
    assert_problem(denied, 403, "permission.denied")
    r = client.post(f"{API}/{rid}/certification", json={"on": "2026-02-03"}, headers=tokens["state"])
    assert r.status_code == 200, r.text
    seen = client.get(f"{API}/{rid}", headers=tokens["congress"])
    assert seen.status_code == 200, seen.text
    assert seen.json()["certification"] == {
        "certified": True,
        "certified_on": "2026-02-03",
        "review_ends_on": "2026-02-18",
    }
    assert [row["id"] for row in client.get(API, headers=tokens["congress"]).json()["items"]] == [rid]
    early = client.post(f"{API}/{rid}/execution", json={"on": "2026-02-10"}, headers=tokens["pl"])
    assert assert_problem(early, 422, "transfer.refused")["errors"][0]["rule"] == "review_period"


def test_a_temporary_transfer_is_overdue_until_returned(
    client: TestClient, nvds: list[str], tokens: dict[str, H], poland: Poland
) -> None:
    doc = _file(client, tokens["pl"], serials=("N-3",), kind="temporary_repair", return_by="2026-03-01")
    assert doc["notification"]["exclusion"].startswith("temporary transfer for repair")
    rid = doc["id"]
    _sign_off(client, doc, tokens)
    r = client.post(
        f"{API}/{rid}/decision", json={"decision": "approve", "on": "2026-02-02"}, headers=tokens["state"]
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"{API}/{rid}/execution", json={"on": "2026-02-03", "serials": ["N-3"]}, headers=tokens["pl"]
    )
    assert r.status_code == 200, r.text

    def overdue(on: str, who: str = "pl") -> list[int]:
        r = client.get(f"{API}/overdue", params={"on": on}, headers=tokens[who])
        assert r.status_code == 200, r.text
        return [row["id"] for row in r.json()]

    assert overdue("2026-03-01") == []
    assert overdue("2026-03-02") == [rid]
    assert overdue("2026-03-02", "jp") == []  # a third country's overdue list is its own
    r = client.post(f"{API}/{rid}/return", json={"on": "2026-03-05"}, headers=tokens["pl"])
    assert r.status_code == 200, r.text
    assert r.json()["execution"]["returned_on"] == "2026-03-05"
    assert overdue("2026-03-06") == []
    items = client.get("/api/v1/equipment/items", params={"case": poland.case_ref}, headers=tokens["dod"])
    assert {i["serial"]: i["holder_country"] for i in items.json()["items"]}["N-3"] == "PL"
