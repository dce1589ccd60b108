"""The cases API: intake to acceptance over HTTP, id guessing (404 like a missing case),
stale versions and concurrent advances (409), gate refusals (409 listing every reason),
bad input (422 naming the field, nothing written)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.service import tree_size
from secassist.identity import service as identity
from secassist.identity.tokens import issue_token
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows import gates as gates_mod
from secassist.workflows.offer import WITHHELD
from tests.api.test_errors import assert_problem
from tests.cases.factories import World, make_world
from tests.vetting.factories import clear_vetting

API = "/api/v1"
TODAY = date.today()


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    return make_world(session_factory)


@pytest.fixture
def auth(session_factory: sessionmaker[Session], world: World) -> Any:
    def issue(who: str) -> dict[str, str]:
        with unit_of_work(session_factory) as s:
            raw, _ = issue_token(
                s, actor=None, user_id=identity.user_by_name(s, f"user.{who}").id, name="test"
            )
        return {"Authorization": f"Bearer {raw}"}

    return issue


JAVELIN = {
    "item_type": "missile", "description": "Javelin missiles", "quantity": 100, "unit_cost": "178000",
    "usml_category": "IV", "mde": True, "sme": True,
}  # fmt: skip
DEVELOP = ("lor_complete", "in_development", "written", "reviewed", "proposed")


def _new_case(
    client: TestClient, h: dict[str, str], purchaser: str = "PL", contractor: int | None = None
) -> dict[str, Any]:
    lor = client.post(
        f"{API}/lors",
        headers=h,
        json={
            # National funds: an FMF case is offered only once its FMF is obligated (the funding gate).
            "purchaser": purchaser, "request_type": "loa", "financing": "national", "received_on": str(TODAY),
            "reference_number": "REF-1", "articles_services": "Javelin", "end_users": ["Land Forces"],
        },
    )  # fmt: skip
    assert lor.status_code == 201, lor.text
    assert lor.json()["missing"] == []
    case = client.post(
        f"{API}/cases",
        headers=h,
        json={
            "lor_id": lor.json()["id"],
            "implementing_agency": "USA",
            "loa_type": "defined_order",
            "title": "Javelin",
        },
    )
    assert case.status_code == 201, case.text
    body = case.json()
    line = client.post(
        f"{API}/cases/{body['identifier']}/lines",
        headers=h,
        json={"version": body["version"], "contractor_org_id": contractor, **JAVELIN},
    )
    assert line.status_code == 201, line.text
    return client.get(f"{API}/cases/{body['id']}", headers=h).json()  # type: ignore[no-any-return]


def _advance(
    client: TestClient, h: dict[str, str], case: dict[str, Any], to: str, **extra: Any
) -> httpx.Response:
    return client.post(
        f"{API}/cases/{case['id']}/advance", headers=h, json={"to": to, "version": case["version"], **extra}
    )


def _walk(client: TestClient, h: dict[str, str], case: dict[str, Any], *statuses: str) -> dict[str, Any]:
    for to in statuses:
        extra = {"offer_expires_on": str(TODAY + timedelta(days=60))} if to == "offered" else {}
        r = _advance(client, h, case, to, **extra)
        assert r.status_code == 200, r.text
        case = r.json()
    return case


def test_intake_to_acceptance(
    client: TestClient, auth: Any, world: World, session_factory: sessionmaker[Session]
) -> None:
    dod, pl = auth("dod"), auth("pl")
    case = _new_case(client, dod, contractor=world.industry_org_id)
    assert case["identifier"] == "PL-B-AAA"
    assert (case["mde_value"], case["other_value"], case["total_value"]) == (
        "17800000.00",
        "0.00",
        "17800000.00",
    )
    case = _walk(client, dod, case, *DEVELOP)
    r = _advance(client, dod, case, "offered", offer_expires_on=str(TODAY + timedelta(days=60)))
    assert r.status_code == 409, r.text  # the vetting gate: nothing filed yet
    assert "No vetting proposal" in r.text
    clear_vetting(session_factory, case["id"], TODAY)
    case = _walk(client, dod, case, "offered")
    assert case["offer_expires_on"] == str(TODAY + timedelta(days=60))
    # the purchaser accepts its own country's offer, recording the initial deposit
    r = _advance(client, pl, case, "accepted", initial_deposit="2500000.00")
    assert r.status_code == 200, r.text
    assert r.json()["initial_deposit"] == "2500000.00"
    assert r.json()["next_statuses"] == ["implemented", "cancelled"]
    timeline = client.get(f"{API}/cases/{case['identifier']}/timeline", headers=pl).json()
    assert [p["status"] for p in timeline["phases"]][-2:] == ["offered", "accepted"]
    assert timeline["milestones"]["days_to_offer"] == 0
    m = client.get(f"{API}/cases/metrics", headers=dod).json()
    assert (m["cases"], m["offered"]) == (1, 1)
    # industry sees its line, not the case
    ind = auth("industry")
    assert client.get(f"{API}/cases/{case['id']}", headers=ind).status_code == 404
    assert [ln["description"] for ln in client.get(f"{API}/case-lines", headers=ind).json()] == [
        "Javelin missiles"
    ]
    assert client.get(f"{API}/cases", headers=ind).json()["total"] == 0


def test_id_guessing_is_404_like_a_missing_case(client: TestClient, auth: Any) -> None:
    case = _new_case(client, auth("dod"))
    jp = auth("jp")
    missing = client.get(f"{API}/cases/999999", headers=jp)
    for ref in (case["id"], case["identifier"]):
        r = client.get(f"{API}/cases/{ref}", headers=jp)
        assert (r.status_code, r.json()) == (404, missing.json())
        assert client.get(f"{API}/cases/{ref}/gates", headers=jp).status_code == 404
    assert client.get(f"{API}/cases", headers=jp).json()["items"] == []
    assert client.get(f"{API}/cases", headers=auth("congress")).json()["total"] == 0
    assert client.get(f"{API}/cases?country=PL", headers=auth("auditor")).json()["total"] == 1


def test_stale_version_is_409(client: TestClient, auth: Any) -> None:
    dod = auth("dod")
    case = _new_case(client, dod)
    assert _advance(client, dod, case, "lor_complete").status_code == 200
    r = _advance(client, dod, case, "cancelled")
    assert r.status_code == 409
    assert r.json()["code"] == "case.version_conflict"


def test_offer_blocked_by_gates_is_409_with_reasons(
    client: TestClient, auth: Any, monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]
) -> None:
    dod = auth("dod")
    case = _walk(client, dod, _new_case(client, dod), *DEVELOP)
    monkeypatch.setattr(gates_mod, "GATE_MODULES", ("tests.workflows.sample_gate",))
    shown = client.get(f"{API}/cases/{case['id']}/gates", headers=dod).json()
    assert [(g["gate"], g["satisfied"]) for g in shown] == [("sample", False)]
    with read_only(session_factory) as s:
        size = tree_size(s)
    r = _advance(client, dod, case, "offered", offer_expires_on=str(TODAY + timedelta(days=30)))
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "case.offer_blocked"
    assert body["errors"][0]["gates"][0]["reason"].startswith("Sample gate refuses PL-B-AAA")
    with read_only(session_factory) as s:
        assert tree_size(s) == size
    assert client.get(f"{API}/cases/{case['id']}", headers=dod).json()["status"] == "proposed"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"unit_cost": "-5"}, "unit_cost"),
        ({"unit_cost": "12,5x"}, "unit_cost"),
        ({"unit_cost": 1.5}, "unit_cost"),
        ({"item_type": "laser_sword"}, "item_type"),
        ({"quantity": "many"}, "quantity"),
    ],
)
def test_bad_line_is_422_naming_the_field(
    client: TestClient, auth: Any, session_factory: sessionmaker[Session], patch: dict[str, Any], field: str
) -> None:
    dod = auth("dod")
    case = _new_case(client, dod)
    with read_only(session_factory) as s:
        size = tree_size(s)
    body = {
        "version": case["version"],
        "item_type": "training",
        "description": "x",
        "quantity": 1,
        "unit_cost": "1",
    }
    r = client.post(f"{API}/cases/{case['id']}/lines", headers=dod, json={**body, **patch})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"].startswith(field)
    with read_only(session_factory) as s:
        assert tree_size(s) == size
    assert len(client.get(f"{API}/cases/{case['id']}/lines", headers=dod).json()) == 1


def test_unknown_country_and_illegal_transition_are_422(client: TestClient, auth: Any) -> None:
    dod = auth("dod")
    r = client.post(
        f"{API}/lors", headers=dod,
        json={"purchaser": "QQ", "request_type": "loa", "financing": "fmf", "received_on": str(TODAY)},
    )  # fmt: skip
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "purchaser")
    case = _new_case(client, dod)
    r = _advance(client, dod, case, "closed")
    assert (r.status_code, r.json()["code"], r.json()["errors"][0]["field"]) == (
        422, "case.transition_not_allowed", "to",
    )  # fmt: skip


def test_two_users_advance_at_once_over_http(live_server: str, auth: Any) -> None:
    with httpx.Client(base_url=live_server) as c:
        dod = auth("dod")
        case = _new_case(c, dod)  # type: ignore[arg-type]
    start = threading.Barrier(2, timeout=20)
    codes: list[int] = []

    def user(to: str) -> None:
        with httpx.Client(base_url=live_server, timeout=30) as c:
            start.wait()
            codes.append(_advance(c, dod, case, to).status_code)  # type: ignore[arg-type]

    threads = [threading.Thread(target=user, args=(to,)) for to in ("lor_complete", "cancelled")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [200, 409]


def test_amendments_and_modifications_over_http(
    client: TestClient, auth: Any, session_factory: sessionmaker[Session]
) -> None:
    dod, pl = auth("dod"), auth("pl")
    case = _walk(client, dod, _new_case(client, dod), *DEVELOP)
    clear_vetting(session_factory, case["id"], TODAY)
    case = _walk(client, dod, case, "offered")
    case = _advance(client, pl, case, "accepted", initial_deposit="1000000").json()
    r = client.post(
        f"{API}/cases/{case['id']}/modifications",
        headers=dod,
        json={"version": case["version"], "description": "Price growth", "unit_costs": {"001": "200000"}},
    )
    assert r.status_code == 201, r.text
    mod = r.json()
    assert (mod["kind"], mod["number"], mod["value_after"]) == ("modification", 1, "20000000.00")
    assert mod["warning"] is not None  # 12.4% growth
    case = client.get(f"{API}/cases/{case['id']}", headers=dod).json()
    spares = {"item_type": "spare_parts", "description": "Spares", "quantity": 1, "unit_cost": "1000"}
    for line, field in ((spares | {"colour": "grey"}, "new_lines.0.colour"), ({}, "new_lines.0.item_type")):
        r = client.post(
            f"{API}/cases/{case['id']}/amendments",
            headers=dod,
            json={"version": case["version"], "description": "Spares", "new_lines": [line]},
        )
        assert field in [e["field"] for e in assert_problem(r, 422, "validation.failed")["errors"]]
    r = client.post(
        f"{API}/cases/{case['id']}/amendments",
        headers=dod,
        json={"version": case["version"], "description": "More missiles", "quantity_changes": {"1": 120}},
    )
    assert (r.status_code, r.json()["number"], r.json()["status"]) == (201, 1, "proposed")
    case = client.get(f"{API}/cases/{case['id']}", headers=pl).json()
    r = client.post(
        f"{API}/cases/{case['id']}/amendments/1/accept", headers=pl, json={"version": case["version"]}
    )
    assert (r.status_code, r.json()["status"]) == (200, "accepted")
    listed = client.get(f"{API}/cases/{case['id']}/amendments", headers=pl).json()
    assert [(a["kind"], a["number"]) for a in listed] == [("amendment", 1), ("modification", 1)]
    assert client.get(f"{API}/cases/{case['id']}", headers=pl).json()["total_value"] == "24000000.00"


def test_a_partner_sees_the_gates_without_the_internal_reasons(client: TestClient, auth: Any) -> None:
    """The vetting and notification gates rest on U.S.-internal records: the purchaser sees
    that they exist, not their answers or reasons (the web page does the same)."""
    dod = auth("dod")
    case = _walk(client, dod, _new_case(client, dod), *DEVELOP)
    internal = {g["gate"]: g for g in client.get(f"{API}/cases/{case['id']}/gates", headers=dod).json()}
    assert internal["vetting"]["satisfied"] is False
    assert internal["vetting"]["reason"]
    shown = {g["gate"]: g for g in client.get(f"{API}/cases/{case['id']}/gates", headers=auth("pl")).json()}
    assert set(shown) == set(internal)
    for gate in ("vetting", "notification"):
        assert (shown[gate]["satisfied"], shown[gate]["evidence"]) == (None, [])
        assert shown[gate]["reason"] == WITHHELD
        assert internal[gate]["reason"] not in shown[gate]["reason"]
