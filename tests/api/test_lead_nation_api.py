"""The lead-nation API (``/api/v1/transfers/lead-nation``): a multinational case's participants
and who holds what, scoped as the issue's "Access" section says — each participant sees the
case it is named on and the items it holds, never another participant's sites; a partner not
named on the case, and congressional staff, get the 404 of a missing case; the offices'
inboxes show lead-nation transfers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import participants as parts
from secassist.core.clock import FixedClock
from secassist.identity.tokens import issue_token
from secassist.storage.uow import unit_of_work
from secassist.workflows.lead_nation import transfer_lead_nation
from tests.cases.factories import World
from tests.equipment.factories import Poland
from tests.identity.factories import make_org, make_user
from tests.transfers.conftest import clock, nvds, poland, world

__all__ = ["clock", "nvds", "poland", "world"]

API = "/api/v1/transfers/lead-nation"
H = dict[str, str]


@pytest.fixture
def lead(
    session_factory: sessionmaker[Session], world: World, poland: Poland, nvds: list[str], clock: FixedClock
) -> dict[str, H]:
    """Poland leads its NVD case for DE and CZ (assurances, named in the notification); N-1
    and N-2 go to DE, N-3 to CZ, N-4 stays in Poland. Tokens per country and role."""
    out: dict[str, H] = {}
    with unit_of_work(session_factory) as s:
        for cc in ("DE", "CZ"):
            parts.add_participant(s, actor=None, case_ref=poland.case_ref, country=cc, clock=clock)
            parts.record_assurances(
                s, actor=None, case_ref=poland.case_ref, country=cc, signed_on=clock.today(),
                signatory=f"Minister {cc}", clock=clock,
            )  # fmt: skip
            parts.mark_named_in_notification(s, actor=None, case_ref=poland.case_ref, country=cc, clock=clock)
        users = {
            "de": make_user(s, make_org(s, "Germany MoD", "partner", "DE"), "user.de"),
            "cz": make_user(s, make_org(s, "Czechia MoD", "partner", "CZ"), "user.cz"),
        }
        ids = {k: u.id for k, u in users.items()} | {
            k: getattr(world, k).user_id for k in ("state", "pl", "jp", "congress")
        }
        for key, uid in ids.items():
            raw, _ = issue_token(s, actor=None, user_id=uid, name="t", scopes=None)
            out[key] = {"Authorization": f"Bearer {raw}"}
    clock.advance(timedelta(days=1))
    with unit_of_work(session_factory) as s:
        transfer_lead_nation(s, actor=None, case_ref=poland.case_ref, to="DE", on=clock.today(),
                             serials=nvds[:2], clock=clock)  # fmt: skip
        transfer_lead_nation(s, actor=None, case_ref=poland.case_ref, to="CZ", on=clock.today(),
                             serials=nvds[2:3], clock=clock)  # fmt: skip
    return out


def _get(client: TestClient, path: str, h: H) -> Any:
    r = client.get(path, headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_state_sees_participants_and_every_holding(
    client: TestClient, lead: dict[str, H], poland: Poland, clock: FixedClock
) -> None:
    doc = _get(client, f"{API}/{poland.case_ref}", lead["state"])
    assert doc["lead"] == "PL"
    assert [
        (p["country"], p["assurances_signatory"], p["named_in_notification"]) for p in doc["participants"]
    ] == [
        ("DE", "Minister DE", True),
        ("CZ", "Minister CZ", True),
    ]
    assert all(p["notice_on"] == clock.today().isoformat() for p in doc["participants"])
    assert [(n["country"], n["role"], n["items"], n["item_value_usd"]) for n in doc["holdings"]] == [
        ("PL", "lead", 1, "4500.00"),
        ("DE", "participant", 2, "9000.00"),
        ("CZ", "participant", 1, "4500.00"),
    ]
    assert sorted((i["serial"], i["holder_country"]) for i in doc["items"]) == [
        ("N-1", "DE"),
        ("N-2", "DE"),
        ("N-3", "CZ"),
        ("N-4", "PL"),
    ]
    assert {i["site"] for i in doc["items"] if i["holder_country"] == "PL"} == {"Rzeszow depot"}
    assert [c["case"] for c in _get(client, API, lead["state"])] == [poland.case_ref]


def test_a_participant_sees_its_own_items_not_another_participants_sites(
    client: TestClient, lead: dict[str, H], poland: Poland
) -> None:
    for who, mine in (("de", ["N-1", "N-2"]), ("cz", ["N-3"]), ("pl", ["N-4"])):
        doc = _get(client, f"{API}/{poland.case_ref}", lead[who])
        assert [i["serial"] for i in doc["items"]] == mine
        assert {i["holder_country"] for i in doc["items"]} == {who.upper()}
        assert "Rzeszow depot" not in str(doc) or who == "pl"  # Poland's site is Poland's own
        # The totals by nation are the case's facts, shown to everyone named on it.
        assert [n["country"] for n in doc["holdings"]] == ["PL", "DE", "CZ"]
        assert [c["case"] for c in _get(client, API, lead[who])] == [poland.case_ref]


def test_a_partner_not_named_and_congress_get_404(
    client: TestClient, lead: dict[str, H], poland: Poland
) -> None:
    missing = client.get(f"{API}/PL-D-ZZZ", headers=lead["state"])
    for who in ("jp", "congress"):
        r = client.get(f"{API}/{poland.case_ref}", headers=lead[who])
        assert r.status_code == 404
        assert r.json()["title"] == missing.json()["title"]
        assert _get(client, API, lead[who]) == []


def test_each_office_inbox_shows_the_lead_nation_transfer(
    client: TestClient, lead: dict[str, H], poland: Poland, session_factory: sessionmaker[Session]
) -> None:
    de = _get(client, "/api/v1/transfers/inbox", lead["de"])
    assert [(e["request"], e["subject"]) for e in de] == [
        (None, f"Case {poland.case_ref}: 2 item(s) (N-1, N-2) arrived from PL")
    ]
    assert de[0]["case"] == poland.case_id
    pl = _get(client, "/api/v1/transfers/inbox", lead["pl"])
    assert sorted(e["subject"] for e in pl) == [
        f"Case {poland.case_ref}: 1 item(s) (N-3) left PL",
        f"Case {poland.case_ref}: 2 item(s) (N-1, N-2) left PL",
    ]
    # Germany may not read Czechia's inbox.
    assert _get(client, "/api/v1/transfers/inbox?country=CZ", lead["de"]) == []
