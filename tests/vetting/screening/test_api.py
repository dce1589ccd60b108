"""The screening API: yente-shaped ``/match`` against the active lists (kept as a
screening), screenings, dispositions (audited), list versions, access."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.identity import service as identity
from secassist.identity.tokens import issue_token
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting.screening import service
from tests.api.test_errors import assert_problem
from tests.vetting.screening.conftest import sanctions

API = "/api/v1/screening"


def _token(session_factory: sessionmaker[Session], username: str) -> dict[str, str]:
    with unit_of_work(session_factory) as s:
        raw, _ = issue_token(s, actor=None, user_id=identity.user_by_name(s, username).id, name="t")
    return {"Authorization": f"Bearer {raw}"}


def _setup(session_factory: sessionmaker[Session]) -> None:
    """The UN list loaded over the demo dataset (the test asks for ``demo_db``)."""
    with unit_of_work(session_factory) as s:
        service.load_list(s, actor=None, path=sanctions("un"))


def test_match_yente_shape(client: TestClient, session_factory: sessionmaker[Session], demo_db: None) -> None:
    _setup(session_factory)
    pm = _token(session_factory, "pm.officer")
    body = {
        "queries": {
            "q1": {
                "schema": "Organization",
                "properties": {"name": ["Korea Mining Development Trading Corp"]},
            },
            "q2": {"schema": "Person", "properties": {"name": ["Sakura Tanaka"]}},
            "q3": {"schema": "Company", "properties": {"name": "Rosoboronexport"}},
        }
    }
    r = client.post(f"{API}/match", json=body, headers=pm)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    assert set(out["responses"]) == {"q1", "q2", "q3"}
    q1 = out["responses"]["q1"]
    assert q1["status"] == 200
    assert [(x["id"], x["datasets"]) for x in q1["results"]][:1] == [("KPe.001", ["un_sc_sanctions"])]
    top = q1["results"][0]
    assert top["match"] is True
    assert top["score"] >= 0.8
    assert {"token_alignment", "query_coverage", "name_coverage"} <= set(top["features"])
    assert out["responses"]["q2"]["results"] == []
    # the demo list (real OFAC entries) is active too
    assert ("18782", ["us_ofac_sdn"]) in [(x["id"], x["datasets"]) for x in out["responses"]["q3"]["results"]]
    assert out["matcher"]["name"]
    # kept as a screening, and audited
    run = client.get(f"{API}/screenings/{out['screening_id']}", headers=pm).json()
    assert run["status"] == "potential_match"
    assert len(run["query"]["parties"]) == 3
    r = client.post(
        f"{API}/screenings/{run['id']}/dispositions",
        json={
            "list": "un_sc_sanctions",
            "entity_id": "KPe.001",
            "disposition": "true_match",
            "note": "KOMID",
        },
        headers=pm,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "match"
    assert r.json()["dispositions"][0]["actor"].startswith("pm.officer")
    with read_only(session_factory) as s:
        tags = list(s.scalars(select(AuditEntry.tag).order_by(AuditEntry.seq)))
    assert tags[-2:] == ["screening:run:recorded", "screening:disposition:recorded"]


def test_access_and_errors(client: TestClient, session_factory: sessionmaker[Session], demo_db: None) -> None:
    _setup(session_factory)
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Kim Jong Un"]}}}}
    assert_problem(client.post(f"{API}/match", json=body), 401, "auth.failed")
    partner = _token(session_factory, "pl.mod")
    assert_problem(client.post(f"{API}/match", json=body, headers=partner), 403, "permission.denied")
    auditor = _token(session_factory, "ig.auditor")
    runs = client.get(f"{API}/screenings", headers=auditor).json()
    # The demo's two screenings, and those of the parties of the demo cases and transfers it vetted.
    assert len([r for r in runs if r["subject"].startswith("demo:")]) == 2
    assert all(r["subject"].startswith(("demo:", "case:", "transfer:")) for r in runs), {
        r["subject"] for r in runs
    }
    assert_problem(client.get(f"{API}/screenings/{runs[0]['id']}", headers=partner), 404, "not_found")
    r = client.post(
        f"{API}/screenings/{runs[0]['id']}/dispositions",
        json={"list": "us_ofac_sdn", "entity_id": "16911", "disposition": "unsure"},
        headers=auditor,
    )
    assert_problem(r, 403, "permission.denied")
    versions = client.get(f"{API}/lists", headers=auditor).json()
    assert [(v["list_name"], v["active"]) for v in versions] == [
        ("un_sc_sanctions", True),
        ("us_ofac_sdn", True),
    ]
    pm = _token(session_factory, "pm.officer")
    r = client.post(f"{API}/match", json=body, headers=pm, params={"threshold": 3})
    assert_problem(r, 422, "validation.failed")
