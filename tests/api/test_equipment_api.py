"""The equipment API (``/api/v1/equipment``): each endpoint's answer in the CLI's JSON
shape, a refused custody event and a malformed scan as problem JSON naming the rule or the
line (nothing written), scoping by country (another country's serial is 404 like a
missing one, its lists are empty), and CSRF for a browser session's writes."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import merkle
from secassist.core.clock import FixedClock
from secassist.equipment import monitoring
from secassist.http.deps import SESSION_COOKIE
from secassist.identity.logins import start_web_session
from secassist.identity.tokens import issue_token
from secassist.notification import service as notification
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.notification_case import prepare_for_case
from secassist.workflows.trace_item import trace
from tests.api.test_errors import assert_problem
from tests.cases.factories import World, make_world
from tests.equipment.factories import Poland, make_poland, snapshot

API = "/api/v1/equipment"
H = dict[str, str]


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    return make_world(session_factory)


@pytest.fixture
def poland(session_factory: sessionmaker[Session], world: World) -> Poland:
    return make_poland(session_factory, world, FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC)))


@pytest.fixture
def tokens(session_factory: sessionmaker[Session], world: World) -> dict[str, H]:
    out: dict[str, H] = {}
    with unit_of_work(session_factory) as s:
        for key in ("dod", "pl", "pl_sco", "jp", "congress", "industry", "auditor"):
            user_id = getattr(world, key).user_id
            raw, _ = issue_token(s, actor=None, user_id=user_id, name="t", scopes=None)
            out[key] = {"Authorization": f"Bearer {raw}"}
    return out


def _post(client: TestClient, path: str, body: dict[str, Any], h: H, code: int = 201) -> Any:
    r = client.post(f"{API}/{path}", json=body, headers=h)
    assert r.status_code == code, r.text
    return r.json()


def _event(client: TestClient, serial: str, h: H, code: int = 201, **body: Any) -> Any:
    return _post(client, f"items/{serial}/events", body, h, code)


@pytest.fixture
def delivered(client: TestClient, poland: Poland, tokens: dict[str, H]) -> dict[str, Any]:
    """Two night-vision devices (EEUM by type) at Rzeszow and a lot of ammunition."""
    doc = _post(
        client,
        "deliveries",
        {
            "case": poland.case_ref,
            "line": "001",
            "on": "2026-02-02",
            "site": "Rzeszow depot",
            "serials": ["PVS-1", "PVS-2"],
        },
        tokens["dod"],
    )
    return doc  # type: ignore[no-any-return]


def _csv(text: str, name: str = "scan.csv") -> dict[str, Any]:
    return {"file": (name, io.BytesIO(text.encode()), "text/csv")}


# --- deliveries and the registry ------------------------------------------------------------


def test_a_delivery_answers_the_items_in_the_cli_shape_and_the_line_totals(
    client: TestClient, poland: Poland, tokens: dict[str, H], delivered: dict[str, Any]
) -> None:
    ref = poland.case_ref
    assert delivered["items"][0] == {
        "serial": "PVS-1",
        "item_type": "nvd_monocular",
        "case": ref,
        "line": "001",
        "holder_country": "PL",
        "site": "Rzeszow depot",
        "state": "delivered",
        "eeum": True,
        "unit_value_usd": "4500.00",
    }
    assert [i["serial"] for i in delivered["items"]] == ["PVS-1", "PVS-2"]
    assert delivered["lot"] is None
    assert (delivered["line_quantity"], delivered["delivered_quantity"]) == (10, 2)
    assert delivered["delivered_value_usd"] == "9000.00"
    lot = _post(
        client,
        "deliveries",
        {"case": ref, "line": "002", "on": "2026-02-02", "site": "Rzeszow depot", "quantity": 1000},
        tokens["dod"],
    )
    assert lot["items"] == []
    assert lot["lot"]["quantity"] == 1000
    assert lot["lot"]["site"] == "Rzeszow depot"
    assert lot["lot"]["unit_value_usd"] == "0.45"
    assert lot["delivered_value_usd"] == "450.00"
    # Both or neither of serials/quantity: refused at the edge, naming the body.
    r = client.post(
        f"{API}/deliveries",
        json={"case": ref, "line": "001", "on": "2026-02-02", "site": "Rzeszow depot"},
        headers=tokens["dod"],
    )
    assert "serials or quantity" in assert_problem(r, 422, "validation.failed")["detail"]
    # A partner may not deliver (the implementing agency's act: case_line:write).
    r = client.post(
        f"{API}/deliveries",
        json={"case": ref, "line": "001", "on": "2026-02-02", "site": "Rzeszow depot", "serials": ["X"]},
        headers=tokens["pl"],
    )
    assert_problem(r, 403, "permission.denied")


def test_a_duplicate_serial_delivery_is_refused_and_writes_nothing(
    client: TestClient,
    poland: Poland,
    tokens: dict[str, H],
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    before = snapshot(session_factory)
    r = client.post(
        f"{API}/deliveries",
        json={
            "case": poland.case_ref,
            "line": "001",
            "on": "2026-02-03",
            "site": "Rzeszow depot",
            "serials": ["PVS-3", "PVS-1"],
        },
        headers=tokens["dod"],
    )
    assert_problem(r, 422, "equipment.duplicate_serial")
    assert snapshot(session_factory) == before


def test_the_item_list_filters_and_pages_like_the_case_list(
    client: TestClient, poland: Poland, tokens: dict[str, H], delivered: dict[str, Any]
) -> None:
    h = tokens["dod"]
    _post(
        client,
        "deliveries",
        {"case": poland.case_ref, "line": "003", "on": "2026-02-03", "site": "Powidz depot",
         "serials": ["M4-1"]},
        h,
    )  # fmt: skip
    _event(client, "PVS-2", h, kind="received", on="2026-02-04", site="Rzeszow depot")
    page = client.get(f"{API}/items", headers=h).json()
    assert page["total"] == 3
    assert (page["limit"], page["offset"]) == (50, 0)
    assert [i["serial"] for i in page["items"]] == ["PVS-1", "PVS-2", "M4-1"]
    assert page["items"][:1] == delivered["items"][:1]
    second = client.get(f"{API}/items", params={"limit": 1, "offset": 1}, headers=h).json()
    assert [i["serial"] for i in second["items"]] == ["PVS-2"]
    assert second["total"] == 3

    def serials(**params: Any) -> list[str]:
        r = client.get(f"{API}/items", params=params, headers=h)
        assert r.status_code == 200, r.text
        return [i["serial"] for i in r.json()["items"]]

    assert serials(state="stored") == ["PVS-2"]
    assert serials(state="delivered", country="pl") == ["PVS-1", "M4-1"]
    assert serials(case=poland.case_ref) == ["PVS-1", "PVS-2", "M4-1"]
    assert serials(case=str(poland.case_id), eeum=True) == ["PVS-1", "PVS-2", "M4-1"]
    assert serials(eeum=False) == []
    assert serials(case="JP-D-AAA") == []
    assert serials(country="DE") == []
    r = client.get(f"{API}/items", params={"state": "lent"}, headers=h)
    body = assert_problem(r, 422, "validation.failed")
    assert body["errors"][0]["field"] == "state"
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"country": "POL"}):
        r = client.get(f"{API}/items", params=bad, headers=h)
        assert assert_problem(r, 422, "validation.failed")["errors"][0]["field"] == next(iter(bad))


# --- custody events --------------------------------------------------------------------------


def test_a_custody_event_answers_the_event_and_its_audit_entry(
    client: TestClient, tokens: dict[str, H], delivered: dict[str, Any]
) -> None:
    ev = _event(client, "PVS-1", tokens["pl"], kind="Received", on="2026-02-03", site="Rzeszow depot")
    assert {k: ev[k] for k in ("serial", "kind", "on", "seq", "site", "state", "holder_country")} == {
        "serial": "PVS-1",
        "kind": "received",
        "on": "2026-02-03",
        "seq": 2,
        "site": "Rzeszow depot",
        "state": "stored",
        "holder_country": "PL",
    }
    assert isinstance(ev["audit_seq"], int)
    inv = _event(client, "PVS-1", tokens["pl_sco"], kind="inventoried", on="2026-02-10", site="Rzeszow depot")
    assert inv["found"] is True
    assert inv["seq"] == 3
    assert inv["audit_seq"] > ev["audit_seq"]


REFUSED = (422, "equipment.custody_refused")  # the event's own form or date
CONFLICT = (409, "equipment.custody_conflict")  # where the item is now (RFC 9110 §15.5.10)


@pytest.mark.parametrize(
    ("events", "refused", "rule", "answer"),
    [
        ([], {"kind": "received", "on": "2026-01-20", "site": "Rzeszow depot"}, "before_delivery", REFUSED),
        (
            [{"kind": "destroyed", "on": "2026-02-05"}],
            {"kind": "stored", "on": "2026-02-06", "site": "Rzeszow depot"},
            "after_end",
            CONFLICT,
        ),
        (
            [{"kind": "received", "on": "2026-02-05"}],
            {"kind": "lost", "on": "2026-02-04"},
            "out_of_order",
            CONFLICT,
        ),
        ([], {"kind": "stored", "on": "2026-02-05", "site": "Kaiserslautern depot"}, "two_places", REFUSED),
    ],
)
def test_a_refused_event_names_its_rule_and_writes_nothing(
    client: TestClient,
    tokens: dict[str, H],
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
    events: list[dict[str, Any]],
    refused: dict[str, Any],
    rule: str,
    answer: tuple[int, str],
) -> None:
    for e in events:
        _event(client, "PVS-1", tokens["dod"], **e)
    before = snapshot(session_factory)  # rows of every equipment table, positions, the log's size
    r = client.post(f"{API}/items/PVS-1/events", json=refused, headers=tokens["dod"])
    body = assert_problem(r, *answer)
    assert body["errors"][0]["rule"] == rule
    assert f"rule {rule}" in body["detail"]
    assert snapshot(session_factory) == before


def test_event_bodies_are_validated_at_the_edge(
    client: TestClient, tokens: dict[str, H], delivered: dict[str, Any]
) -> None:
    h = tokens["dod"]
    for body, field in (
        ({"kind": "received"}, "on"),
        ({"kind": "received", "on": "2026-02-31"}, "on"),
        ({"kind": "received", "on": "2026-02-03", "colour": "red"}, "colour"),
        ({"kind": "x" * 17, "on": "2026-02-03"}, "kind"),
    ):
        r = client.post(f"{API}/items/PVS-1/events", json=body, headers=h)
        assert assert_problem(r, 422, "validation.failed")["errors"][0]["field"] == field, body
    r = client.post(f"{API}/items/PVS-1/events", json={"kind": "borrowed", "on": "2026-02-03"}, headers=h)
    assert assert_problem(r, 422, "validation.failed")["errors"][0]["field"] == "kind"


# --- trace and delinquency ---------------------------------------------------------------------


def test_the_trace_is_the_cli_trace_with_its_proofs(
    client: TestClient,
    tokens: dict[str, H],
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    _event(client, "PVS-1", tokens["pl"], kind="received", on="2026-02-03", site="Rzeszow depot")
    _event(client, "PVS-1", tokens["pl"], kind="stored", on="2026-02-04", site="Powidz depot")
    r = client.get(f"{API}/items/PVS-1/trace", headers=tokens["pl_sco"])
    assert r.status_code == 200, r.text
    body = r.json()
    with read_only(session_factory) as s:
        assert body == trace(s, actor=None, serial="PVS-1").model_dump(mode="json")
    assert [(e["kind"], e["site"]) for e in body["events"]] == [
        ("delivered", "Rzeszow depot"),
        ("received", "Rzeszow depot"),
        ("stored", "Powidz depot"),
    ]
    assert {e["audit_seq"] for e in body["events"]} <= {p["leaf_index"] for p in body["proofs"]}
    for p in body["proofs"]:  # each proof checks out against its own root
        path = [bytes.fromhex(h) for h in p["path"]]
        leaf, root = bytes.fromhex(p["leaf_hash"]), bytes.fromhex(p["root_hash"])
        merkle.verify_inclusion(leaf, p["leaf_index"], p["tree_size"], path, root)
    pinned = client.get(f"{API}/items/PVS-1/trace", params={"tree_size": 0}, headers=tokens["dod"])
    assert assert_problem(pinned, 422, "validation.failed")["errors"][0]["field"] == "tree_size"


def test_delinquency_is_the_cli_report_with_money_as_strings(
    client: TestClient,
    tokens: dict[str, H],
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    # The initial EEUM inventory is due 90 days after delivery (2026-02-02).
    _event(client, "PVS-2", tokens["pl_sco"], kind="inventoried", on="2026-03-01", site="Rzeszow depot")
    params = {"as_of": "2026-06-01", "country": "PL"}
    r = client.get(f"{API}/delinquency", params=params, headers=tokens["dod"])
    assert r.status_code == 200, r.text
    body = r.json()
    with read_only(session_factory) as s:
        report = monitoring.delinquency(s, actor=None, as_of=datetime(2026, 6, 1).date(), country="PL")
        assert body == report.as_json()
    assert (body["eeum_value_usd"], body["delinquent_value_usd"], body["delinquent_share"]) == (
        "9000.00",
        "4500.00",
        "0.5000",
    )
    [pl] = body["by_country"]
    assert [i["serial"] for i in pl["items"]] == ["PVS-1"]
    assert pl["items"][0]["value_usd"] == "4500.00"
    early = client.get(f"{API}/delinquency", params={"as_of": "2026-03-02"}, headers=tokens["pl"]).json()
    assert early["delinquent_value_usd"] == "0.00"
    assert early["eeum_value_usd"] == "9000.00"
    for params in ({}, {"as_of": "2026-13-01"}):
        r = client.get(f"{API}/delinquency", params=params, headers=tokens["dod"])
        assert assert_problem(r, 422, "validation.failed")["errors"][0]["field"] == "as_of"


# --- reconciliation -------------------------------------------------------------------------------


def test_reconcile_sorts_a_scan_and_applies_once(
    client: TestClient,
    tokens: dict[str, H],
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    h = tokens["pl_sco"]
    url = f"{API}/sites/Rzeszow depot/reconcile"
    scan = "serial,condition\nPVS-1,good\nXYZ-9,\n"
    before = snapshot(session_factory)
    r = client.post(url, params={"on": "2026-03-01"}, files=_csv(scan), headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "found": [{"serial": "PVS-1", "item_type": "nvd_monocular", "condition": "good"}],
        "missing": [{"serial": "PVS-2", "item_type": "nvd_monocular"}],
        "unexpected": [{"line": 3, "serial": "XYZ-9", "item_type": None}],
        "wrong_site": [],
        "gone": [],
        "applied": False,
        "recorded": 0,
    }
    assert snapshot(session_factory) == before  # a dry run writes nothing
    applied = client.post(url, params={"on": "2026-03-01", "apply": True}, files=_csv(scan), headers=h).json()
    assert (applied["applied"], applied["recorded"]) == (True, 1)
    again = client.post(url, params={"on": "2026-03-01", "apply": True}, files=_csv(scan), headers=h).json()
    assert (again["applied"], again["recorded"]) == (True, 0)
    events = client.get(f"{API}/items/PVS-1/trace", headers=h).json()["events"]
    assert [(e["kind"], e["on"], e["found"]) for e in events][-1] == ("inventoried", "2026-03-01", True)
    assert len(events) == 2


def test_reconcile_reads_an_xlsx_scan(
    client: TestClient, tokens: dict[str, H], delivered: dict[str, Any]
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["serial"], ["PVS-2"]):
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    files = {"file": ("scan.xlsx", buf.getvalue(), "application/octet-stream")}
    url = f"{API}/sites/Rzeszow depot/reconcile"
    r = client.post(url, params={"on": "2026-03-01"}, files=files, headers=tokens["dod"])
    assert r.status_code == 200, r.text
    assert [x["serial"] for x in r.json()["found"]] == ["PVS-2"]
    assert [x["serial"] for x in r.json()["missing"]] == ["PVS-1"]


def test_a_malformed_scan_names_the_line_and_column_and_applies_nothing(
    client: TestClient,
    tokens: dict[str, H],
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    before = snapshot(session_factory)
    scan = "serial,item_type\nPVS-1,nvd_monocular\nPVS-2,banana\n"
    r = client.post(
        f"{API}/sites/Rzeszow depot/reconcile",
        params={"on": "2026-03-01", "apply": True},
        files=_csv(scan),
        headers=tokens["dod"],
    )
    body = assert_problem(r, 422, "equipment.malformed_file")
    assert "line 3, column item_type" in body["detail"]
    assert (body["errors"][0]["line"], body["errors"][0]["column"]) == (3, "item_type")
    assert snapshot(session_factory) == before
    missing = client.post(
        f"{API}/sites/Rzeszow depot/reconcile", params={"on": "2026-03-01"}, headers=tokens["dod"]
    )
    assert assert_problem(missing, 422, "validation.failed")["errors"][0]["field"] == "file"


# --- sites, incidents -------------------------------------------------------------------------------


def test_sites_and_incidents(
    client: TestClient,
    tokens: dict[str, H],
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    sites = client.get(f"{API}/sites", headers=tokens["dod"]).json()
    assert [(x["country"], x["name"]) for x in sites] == [
        ("DE", "Kaiserslautern depot"),
        ("PL", "Powidz depot"),
        ("PL", "Rzeszow depot"),
    ]
    assert set(sites[0]) == {"id", "name", "country", "organization"}
    de = client.get(f"{API}/sites", params={"country": "de"}, headers=tokens["dod"]).json()
    assert [x["name"] for x in de] == ["Kaiserslautern depot"]
    inc = _post(
        client,
        "incidents",
        {"country": "PL", "kind": "theft", "discovered_on": "2026-03-01", "description": "Not at its post",
         "serial": "PVS-2", "site": "Rzeszow depot"},
        tokens["pl_sco"],
    )  # fmt: skip
    got = (inc["serial"], inc["site"], inc["status"], inc["country"])
    assert got == ("PVS-2", "Rzeszow depot", "open", "PL")
    assert inc["report_due_on"] > inc["discovered_on"]
    assert inc["offices"]
    params: dict[str, Any] = {"country": "PL", "open": True}
    listed = client.get(f"{API}/incidents", params=params, headers=tokens["dod"]).json()
    assert listed == [inc]
    closed = _post(client, f"incidents/{inc['id']}/close", {"on": "2026-03-05"}, tokens["pl_sco"], 200)
    assert (closed["status"], closed["closed_on"]) == ("closed", "2026-03-05")
    assert client.get(f"{API}/incidents", params={"open": True}, headers=tokens["dod"]).json() == []
    params = {"open": True, "on": "2026-03-02"}
    was_open = client.get(f"{API}/incidents", params=params, headers=tokens["dod"])
    assert [x["id"] for x in was_open.json()] == [inc["id"]]
    before = snapshot(session_factory)
    r = client.post(
        f"{API}/incidents",
        json={"country": "PL", "kind": "mislaid", "discovered_on": "2026-03-01", "description": "?"},
        headers=tokens["dod"],
    )
    assert assert_problem(r, 422, "validation.failed")["errors"][0]["field"] == "kind"
    assert snapshot(session_factory) == before


# --- access -------------------------------------------------------------------------------------------


def test_another_country_sees_nothing_and_its_serial_probes_are_404(
    client: TestClient,
    poland: Poland,
    tokens: dict[str, H],
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    _post(
        client,
        "incidents",
        {"country": "PL", "kind": "loss", "discovered_on": "2026-03-01", "description": "x",
         "serial": "PVS-1"},
        tokens["dod"],
    )  # fmt: skip
    pl = client.get(f"{API}/items", headers=tokens["pl"]).json()
    assert pl["total"] == 2
    assert {x["country"] for x in client.get(f"{API}/sites", headers=tokens["pl"]).json()} == {"PL"}
    for who in ("jp", "congress", "industry"):
        h = tokens[who]
        empty = {"items": [], "total": 0, "limit": 50, "offset": 0}
        assert client.get(f"{API}/items", headers=h).json() == empty
        assert client.get(f"{API}/items", params={"case": poland.case_ref}, headers=h).json()["total"] == 0
        assert client.get(f"{API}/incidents", headers=h).json() == []
        delinquency = client.get(f"{API}/delinquency", params={"as_of": "2026-12-01"}, headers=h).json()
        assert delinquency["by_country"] == []
        assert delinquency["eeum_value_usd"] == "0.00"
        hidden = client.get(f"{API}/items/PVS-1/trace", headers=h)
        absent = client.get(f"{API}/items/NO-SUCH/trace", headers=h)
        assert_problem(hidden, 404, "not_found")
        assert hidden.content.replace(b"PVS-1", b"NO-SUCH") == absent.content  # the probe's own serial aside
    assert client.get(f"{API}/sites", headers=tokens["jp"]).json() == []
    before = snapshot(session_factory)
    hidden = client.post(
        f"{API}/items/PVS-1/events", json={"kind": "lost", "on": "2026-03-01"}, headers=tokens["jp"]
    )
    absent = client.post(
        f"{API}/items/NO-SUCH/events", json={"kind": "lost", "on": "2026-03-01"}, headers=tokens["jp"]
    )
    assert_problem(hidden, 404, "not_found")
    assert hidden.content.replace(b"PVS-1", b"NO-SUCH") == absent.content  # the probe's own serial aside
    scan = client.post(
        f"{API}/sites/Rzeszow depot/reconcile",
        params={"on": "2026-03-01"},
        files=_csv("serial\nPVS-1\n"),
        headers=tokens["jp"],
    )
    assert_problem(scan, 404, "not_found")
    # The auditor reads everything and writes nothing.
    assert client.get(f"{API}/items", headers=tokens["auditor"]).json()["total"] == 2
    denied = client.post(
        f"{API}/items/PVS-1/events", json={"kind": "lost", "on": "2026-03-01"}, headers=tokens["auditor"]
    )
    assert_problem(denied, 403, "permission.denied")
    assert snapshot(session_factory) == before


def test_a_browser_session_must_send_the_csrf_header_to_record_an_event(
    client: TestClient,
    world: World,
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        raw, ws = start_web_session(s, user_id=world.pl.user_id)
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    body = {"kind": "received", "on": "2026-02-03", "site": "Rzeszow depot"}
    before = snapshot(session_factory)
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        r = client.post(f"{API}/items/PVS-1/events", json=body, headers=headers)
        assert_problem(r, 403, "permission.denied")
    scan = client.post(
        f"{API}/sites/Rzeszow depot/reconcile", params={"on": "2026-03-01"}, files=_csv("serial\nPVS-1\n")
    )
    assert_problem(scan, 403, "permission.denied")
    assert snapshot(session_factory) == before
    # Reads need no header.
    assert client.get(f"{API}/items", params={"state": "delivered"}).json()["total"] == 2
    r = client.post(f"{API}/items/PVS-1/events", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "stored"


def test_the_trace_shows_each_step_only_to_whom_its_record_is_visible(
    client: TestClient,
    poland: Poland,
    tokens: dict[str, H],
    delivered: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        n = prepare_for_case(s, actor=None, case_id=poland.case_id)
        assert not n.formally_notified  # in informal review: partners may not see it
        nid = n.id
    dod = client.get(f"{API}/items/PVS-1/trace", headers=tokens["dod"]).json()
    pl = client.get(f"{API}/items/PVS-1/trace", headers=tokens["pl"]).json()
    assert [x["step"] for x in dod["steps"]] == ["case", "line", "notification"]
    assert [x["step"] for x in pl["steps"]] == ["case", "line"]
    hidden = dod["steps"][2]["audit_seq"]
    assert hidden in {p["leaf_index"] for p in dod["proofs"]}
    assert hidden not in {p["leaf_index"] for p in pl["proofs"]}  # nor its entry, through a proof
    assert pl["events"] == dod["events"]
    # Once formally notified it is public record, Poland's to read (the owner's decision).
    with unit_of_work(session_factory) as s:
        notification.record_formal_notification(s, actor=None, notification_id=nid, on=date(2026, 1, 5))
    pl = client.get(f"{API}/items/PVS-1/trace", headers=tokens["pl"]).json()
    assert [x["step"] for x in pl["steps"]] == ["case", "line", "notification"]
    assert pl["steps"][2]["detail"]["status"] == "formally_notified"
