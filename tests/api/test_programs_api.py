"""The program API: the ledger end to end through HTTP, bad input as problem JSON naming
the field (nothing written), scoping and cross-country id guessing (404 like a missing id)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.identity.tokens import issue_token
from secassist.programs.models import LedgerEntry
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import make_org, make_user
from tests.programs.factories import make_case

API = "/api/v1/programs"


@pytest.fixture
def tokens(session_factory: sessionmaker[Session]) -> dict[str, dict[str, str]]:
    out = {}
    with unit_of_work(session_factory) as s:
        for key, kind, country in [
            ("state", "state", None),
            ("auditor", "auditor", None),
            ("pl", "partner", "PL"),
            ("jp", "partner", "JP"),
        ]:
            org = make_org(s, f"{key} org", kind, country)
            user = make_user(s, org, f"api.{key}")
            raw, _ = issue_token(s, actor=None, user_id=user.id, name="t", scopes=None)
            out[key] = {"Authorization": f"Bearer {raw}"}
    return out


def _counts(sf: sessionmaker[Session]) -> tuple[int, int]:
    with read_only(sf) as s:
        return (
            s.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def _post(
    client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str], code: int = 201
) -> Any:
    r = client.post(f"{API}/{path}", json=body, headers=headers)
    assert r.status_code == code, r.text
    return r.json()


@pytest.fixture
def ledger(
    client: TestClient, tokens: dict[str, dict[str, str]], session_factory: sessionmaker[Session]
) -> dict[str, int]:
    with unit_of_work(session_factory) as s:
        cases = {"PL": make_case(s, purchaser="PL"), "JP": make_case(s, purchaser="JP", financing="mixed")}
    h = tokens["state"]
    appr = _post(
        client,
        "appropriations",
        {
            "program": "FMF",
            "fiscal_year": 2024,
            "amount": "1000000.00",
            "available_from": "2024-03-23",
            "available_until": "2025-09-30",
        },
        h,
    )
    ids = {"appr": appr["appropriation_id"], "appr_entry": appr["id"]}
    for code in ("PL", "JP"):
        a = _post(
            client,
            "allocations",
            {"appropriation_id": ids["appr"], "country": code, "amount": "400000", "on": "2024-04-01"},
            h,
        )
        o = _post(
            client,
            "obligations",
            {
                "appropriation_id": ids["appr"],
                "country": code,
                "amount": "150000.10",
                "on": "2024-05-01",
                "target": "case",
                "case_id": cases[code][0],
                "case_line_id": cases[code][1][0],
            },
            h,
        )
        ids[f"{code}_alloc"], ids[f"{code}_oblig"] = a["id"], o["id"]
        ids[f"{code}_case"], ids[f"{code}_line"] = cases[code][0], cases[code][1][0]
    return ids


def test_the_ledger_through_http(
    client: TestClient, tokens: dict[str, dict[str, str]], ledger: dict[str, int]
) -> None:
    h = tokens["state"]
    ex = _post(
        client,
        "expenditures",
        {"obligation_id": ledger["PL_oblig"], "amount": "50000.05", "on": "2024-06-01"},
        h,
    )
    assert ex["amount"] == "50000.05"
    assert ex["case_id"] == ledger["PL_case"]
    rev = _post(client, f"entries/{ex['id']}/reversal", {"on": "2024-06-02", "reason": "duplicate"}, h)
    assert (rev["amount"], rev["reverses_id"]) == ("-50000.05", ex["id"])
    assert client.get(f"{API}/entries/{ex['id']}", headers=h).json()["reversed_by"] == rev["id"]
    t = client.get(f"{API}/totals", params={"on": "2024-06-01"}, headers=h).json()
    program_row, *country_rows = t["rows"]
    assert program_row["appropriated"] == "1000000.00"
    assert program_row["unallocated"] == "200000.00"
    assert program_row["obligated"] == "300000.20"
    assert {r["country"]: r["expended"] for r in country_rows} == {"JP": "0.00", "PL": "50000.05"}
    later = client.get(f"{API}/totals", params={"on": "2024-12-31"}, headers=h).json()
    assert {r["country"]: r["expended"] for r in later["rows"][1:]} == {"JP": "0.00", "PL": "0.00"}
    funding = client.get(
        f"{API}/cases/{ledger['PL_case']}/funding", params={"on": "2024-12-31"}, headers=h
    ).json()
    assert funding["by_program"] == {"FMF": "150000.10"}
    assert funding["lines"] == [
        {"case_line_id": ledger["PL_line"], "obligated": "150000.10", "expended": "0.00"}
    ]
    assert [p["code"] for p in client.get(API, headers=h).json()][:2] == ["FMF", "IMET"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("allocations", {"country": "PL", "amount": -5, "on": "2024-05-01"}, "amount"),
        ("allocations", {"country": "PL", "amount": "lots", "on": "2024-05-01"}, "amount"),
        ("allocations", {"country": "QQ", "amount": "5", "on": "2024-05-01"}, "country"),
        (
            "obligations",
            {
                "country": "PL",
                "amount": "5",
                "on": "2026-01-01",
                "target": "case",
                "case_id": 1,  # the ledger fixture's PL case and its first line
                "case_line_id": 1,
            },
            "on",
        ),
        (
            "obligations",
            {"country": "PL", "amount": "5", "on": "2024-06-01", "target": "training", "reference": "x"},
            "target",
        ),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    client: TestClient,
    tokens: dict[str, dict[str, str]],
    ledger: dict[str, int],
    session_factory: sessionmaker[Session],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    before = _counts(session_factory)
    r = client.post(
        f"{API}/{path}", json={"appropriation_id": ledger["appr"], **body}, headers=tokens["state"]
    )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["field"] == field
    assert field in problem["detail"]
    assert _counts(session_factory) == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("allocations", {"country": "PL", "amount": "999999999", "on": "2024-05-01"}),
        (
            "obligations",
            {
                "country": "PL",
                "amount": "300000",
                "on": "2024-06-01",
                "target": "case",
                "case_id": 1,  # the ledger fixture's PL case and its first line
                "case_line_id": 1,
            },
        ),
    ],
)
def test_more_than_the_pool_holds_now_is_a_409_naming_what_is_left_and_writes_nothing(
    client: TestClient,
    tokens: dict[str, dict[str, str]],
    ledger: dict[str, int],
    session_factory: sessionmaker[Session],
    path: str,
    body: dict[str, Any],
) -> None:
    """A well-formed amount the pool's current balance does not cover conflicts with that
    balance (RFC 9110 §15.5.10): 409, not the 422 of input no balance could make valid."""
    before = _counts(session_factory)
    r = client.post(
        f"{API}/{path}", json={"appropriation_id": ledger["appr"], **body}, headers=tokens["state"]
    )
    assert (r.status_code, r.headers["content-type"]) == (409, "application/problem+json"), r.text
    problem = r.json()
    assert (problem["code"], problem["errors"][0]["field"]) == ("program.insufficient_funds", "amount")
    assert "available" in problem["detail"]
    assert problem["errors"][0]["available"]
    assert _counts(session_factory) == before


def test_float_money_is_refused(
    client: TestClient, tokens: dict[str, dict[str, str]], ledger: dict[str, int]
) -> None:
    r = client.post(
        f"{API}/allocations",
        json={"appropriation_id": ledger["appr"], "country": "PL", "amount": 10.5, "on": "2024-05-01"},
        headers=tokens["state"],
    )
    assert r.status_code == 422


def test_reversal_errors(
    client: TestClient, tokens: dict[str, dict[str, str]], ledger: dict[str, int]
) -> None:
    h = tokens["state"]
    rev = _post(client, f"entries/{ledger['JP_oblig']}/reversal", {"on": "2024-06-01", "reason": "error"}, h)
    again = client.post(
        f"{API}/entries/{rev['id']}/reversal", json={"on": "2024-06-02", "reason": "undo"}, headers=h
    )
    assert again.status_code == 422
    assert again.json()["code"] == "program.reversal_refused"
    missing = client.post(
        f"{API}/entries/77777/reversal", json={"on": "2024-06-02", "reason": "x"}, headers=h
    )
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["field"] == "entry_id"


def test_partners_see_their_country_and_guessing_answers_404(
    client: TestClient,
    tokens: dict[str, dict[str, str]],
    ledger: dict[str, int],
    session_factory: sessionmaker[Session],
) -> None:
    pl = tokens["pl"]
    assert {e["country"] for e in client.get(f"{API}/entries", headers=pl).json()} == {"PL"}
    assert client.get(f"{API}/entries/{ledger['PL_oblig']}", headers=pl).status_code == 200
    foreign = client.get(f"{API}/entries/{ledger['JP_oblig']}", headers=pl)
    missing = client.get(f"{API}/entries/99999", headers=pl)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["title"] == missing.json()["title"]
    assert client.get(f"{API}/appropriations/{ledger['appr']}", headers=pl).status_code == 404
    assert client.get(f"{API}/appropriations", headers=pl).json() == []
    assert [
        r["country"]
        for r in client.get(f"{API}/totals", params={"on": "2024-12-31"}, headers=pl).json()["rows"]
    ] == ["PL"]
    # A case the caller may not see answers 404 like a missing one, never an empty 200.
    own = client.get(f"{API}/cases/{ledger['PL_case']}/funding", headers=pl)
    assert own.json()["obligated"] == "150000.10"
    foreign = client.get(f"{API}/cases/{ledger['JP_case']}/funding", headers=pl)
    missing = client.get(f"{API}/cases/99999/funding", headers=pl)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["title"] == missing.json()["title"]
    assert client.get(f"{API}/cases/99999/funding", headers=tokens["state"]).status_code == 404
    before = _counts(session_factory)
    # A partner cannot write (the appropriation is invisible to it: 404); an auditor may not (403).
    body = {"appropriation_id": ledger["appr"], "country": "PL", "amount": "1", "on": "2024-05-01"}
    assert client.post(f"{API}/allocations", json=body, headers=pl).status_code == 404
    assert client.post(f"{API}/allocations", json=body, headers=tokens["auditor"]).status_code == 403
    assert client.get(f"{API}/entries/{ledger['JP_oblig']}", headers=tokens["auditor"]).status_code == 200
    assert _counts(session_factory) == before
