"""The notifications API: scoped list and detail (404 for what congress may not see yet),
the review steps, the rendered notice as text and PDF, the threshold calculator."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.identity.policy import Principal
from secassist.identity.tokens import issue_token
from secassist.notification.parse import parse_notice
from secassist.storage.uow import unit_of_work
from tests.api.test_errors import assert_problem
from tests.cases.factories import add_lines, open_case
from tests.notification.factories import make_people

API = "/api/v1/notifications"


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> dict[str, Principal]:
    return make_people(session_factory)


def _bearer(sf: sessionmaker[Session], p: Principal) -> dict[str, str]:
    with unit_of_work(sf) as s:
        raw, _ = issue_token(s, actor=None, user_id=p.user_id, name="test")
    return {"Authorization": f"Bearer {raw}"}


def test_review_steps_and_visibility(
    client: TestClient, session_factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    state, congress = _bearer(session_factory, people["state"]), _bearer(session_factory, people["congress"])
    body = {
        "purchaser": "Kingdom of Saudi Arabia",
        "purchaser_country": "SA",
        "mde_value": "20000000",
        "other_value": "40000000",
        "implementing_agency": "Department of the Army",
        "description": "MDE: Eight (8) AN/TPQ-53 radars\nSpare and repair parts",
    }
    r = client.post(API, json=body, headers=state)
    assert r.status_code == 201, r.text
    nid = r.json()["id"]
    assert r.json()["total_value"] == "60000000.00"
    # Before formal notification congress gets 404, the same as for a missing id.
    assert_problem(client.get(f"{API}/{nid}", headers=congress), 404, "not_found")
    assert client.get(API, headers=congress).json() == []
    r = client.post(
        f"{API}/{nid}/formal-notification", json={"on": "2025-03-10", "transmittal": "25-07"}, headers=state
    )
    assert r.status_code == 200, r.text
    assert (r.json()["review_days"], r.json()["review_ends_on"]) == (30, "2025-04-09")
    seen = client.get(f"{API}/{nid}", headers=congress).json()
    assert (seen["status"], seen["formal_notification_on"]) == ("formally_notified", "2025-03-10")
    assert [
        n["id"] for n in client.get(API, params={"status": "formally_notified"}, headers=congress).json()
    ] == [nid]
    assert_problem(
        client.post(
            f"{API}/{nid}/disapproval",
            json={"resolution": "S.J.Res. 1", "on": "2025-03-20"},
            headers=congress,
        ),
        403,
        "permission.denied",
    )
    text = client.get(f"{API}/{nid}/notice.txt", headers=congress)
    assert text.status_code == 200
    parsed = parse_notice(text.text)
    assert (parsed.transmittal, parsed.purchaser_country, parsed.total_usd) == ("25-07", "SA", 60_000_000)
    assert parsed.date == date(2025, 3, 10).isoformat()
    assert "Eight (8) AN/TPQ-53 radars" in text.text
    pdf = client.get(f"{API}/{nid}/notice.pdf", headers=state)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    r = client.post(
        f"{API}/{nid}/emergency-waiver", json={"justification": "An emergency exists."}, headers=state
    )
    assert r.json()["emergency_waiver"] is True


def test_bad_input_names_the_field(
    client: TestClient, session_factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    state = _bearer(session_factory, people["state"])
    body = {"purchaser": "x", "purchaser_country": "ZZ", "mde_value": "1", "other_value": "1"}
    r = client.post(API, json=body, headers=state)
    assert_problem(r, 422, "validation.failed")
    assert r.json()["errors"][0]["field"] == "purchaser_country"


def test_requirement_calculator(client: TestClient) -> None:
    r = client.get(
        f"{API}/requirement", params={"country": "FI", "date": "2023-04-03", "mde": "14000000", "total": "0"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["required"], r.json()["review_days"], r.json()["tripped"]) == (True, 30, ["mde"])
    r = client.get(
        f"{API}/requirement", params={"country": "FI", "date": "2023-04-04", "mde": "14000000", "total": "0"}
    )
    assert r.json()["required"] is False


def test_open_a_case_notification_from_the_case(
    client: TestClient, session_factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    clock = FixedClock(datetime(2026, 3, 2, tzinfo=UTC))
    with unit_of_work(session_factory) as s:
        case_id = open_case(s, None, clock, purchaser="PL", agency="D")
        add_lines(s, None, case_id, clock)
    congress = _bearer(session_factory, people["congress"])
    assert_problem(client.post(f"{API}/for-case/{case_id}", headers=congress), 404, "not_found")
    r = client.post(f"{API}/for-case/{case_id}", headers=_bearer(session_factory, people["state"]))
    assert r.status_code == 201, r.text
    assert (r.json()["case_id"], r.json()["total_value"], r.json()["purchaser"]) == (
        case_id,
        "101500000.00",
        "Government of Poland",
    )


@pytest.mark.parametrize("who", ["partner_sa", "sco_sa"])
def test_partner_and_sco_read_their_countrys_published_notifications(
    client: TestClient, session_factory: sessionmaker[Session], people: dict[str, Principal], who: str
) -> None:
    """Published notifications are public record, of the reader's own country only (the
    owner's decision, DESIGN.md "Who uses it"); before formal notification: 404."""
    state, reader = _bearer(session_factory, people["state"]), _bearer(session_factory, people[who])

    def notification(country: str, transmittal: str | None) -> int:
        body = {
            "purchaser": country,
            "purchaser_country": country,
            "mde_value": "20000000",
            "other_value": "0",
        }
        r = client.post(API, json=body, headers=state)
        assert r.status_code == 201, r.text
        if transmittal is not None:
            r = client.post(
                f"{API}/{r.json()['id']}/formal-notification",
                json={"on": "2025-03-10", "transmittal": transmittal},
                headers=state,
            )
            assert r.status_code == 200, r.text
        return int(r.json()["id"])

    own, draft, foreign = notification("SA", "25-07"), notification("SA", None), notification("PL", "25-08")
    assert [n["id"] for n in client.get(API, headers=reader).json()] == [own]
    r = client.get(f"{API}/{own}", headers=reader)
    assert (r.status_code, r.json()["transmittal"], r.json()["purchaser_country"]) == (200, "25-07", "SA")
    assert client.get(f"{API}/{own}/sources", headers=reader).status_code == 200
    assert parse_notice(client.get(f"{API}/{own}/notice.txt", headers=reader).text).transmittal == "25-07"
    for hidden in (draft, foreign, 10_000):
        assert_problem(client.get(f"{API}/{hidden}", headers=reader), 404, "not_found")
        assert_problem(client.get(f"{API}/{hidden}/notice.txt", headers=reader), 404, "not_found")
    # The draft shows up once it is formally notified.
    formal = {"on": "2025-03-11", "transmittal": "25-09"}
    assert client.post(f"{API}/{draft}/formal-notification", json=formal, headers=state).status_code == 200
    assert {n["id"] for n in client.get(API, headers=reader).json()} == {own, draft}
    assert_problem(
        client.post(f"{API}/{own}/disapproval", json={"resolution": "x", "on": "2025-03-20"}, headers=reader),
        403,
        "permission.denied",
    )
