"""Integers beyond 64 bits (issue 16, defect 3): they used to reach the database driver and
answer 500 on 19 operations. Every integer parameter is bounded at the edge, the bounds are
in the OpenAPI document, and an out-of-range value is a 422 naming the parameter."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.types import MAX_INT64, MAX_ROW_ID
from secassist.identity import service as identity
from secassist.identity.tokens import issue_token
from secassist.storage.uow import unit_of_work
from tests.cases.factories import World, make_world

API = "/api/v1"
HUGE = 2**64 + 1


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    return make_world(session_factory)


@pytest.fixture
def bearer(session_factory: sessionmaker[Session], world: World) -> dict[str, str]:
    with unit_of_work(session_factory) as s:
        raw, _ = issue_token(s, actor=None, user_id=identity.user_by_name(s, "user.state").id, name="t")
    return {"Authorization": f"Bearer {raw}"}


def _integer_params(spec: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(method, path, where, name) of every integer parameter of every operation."""
    found = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for p in op.get("parameters", []):
                schema = p["schema"]
                types = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]
                if "integer" in types:
                    found.append((method, path, p["in"], p["name"]))
    return found


def test_every_integer_parameter_declares_its_64_bit_bounds(client: TestClient) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    params = _integer_params(spec)
    assert len(params) >= 40
    unbounded = []
    for method, path, where, name in params:
        p = next(p for p in spec["paths"][path][method]["parameters"] if p["name"] == name)
        schemas = [p["schema"], *p["schema"].get("anyOf", [])]
        ints = [s for s in schemas if s.get("type") == "integer"]
        if not all("maximum" in s and s["maximum"] <= MAX_INT64 and "minimum" in s for s in ints):
            unbounded.append(f"{method.upper()} {path} {where}:{name}")
    assert not unbounded, unbounded


def test_a_huge_integer_anywhere_is_a_422_naming_it(client: TestClient, bearer: dict[str, str]) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    failures = []
    for method, path, where, name in _integer_params(spec):
        url = path
        for p in spec["paths"][path][method].get("parameters", []):
            if p["in"] == "path":
                value = HUGE if p["name"] == name else (1 if "integer" in str(p["schema"]) else "X")
                url = url.replace("{" + p["name"] + "}", str(value))
        params = {name: str(HUGE)} if where == "query" else {}
        r = client.request(method.upper(), url, params=params, headers=bearer, json={})
        ok = r.status_code == 422 and any(e["field"] == name for e in r.json().get("errors", []))
        if not ok:
            failures.append(f"{method.upper()} {path} {name}: {r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/cases?offset={HUGE}",
        f"{API}/programs/entries?after_id={HUGE}",
        f"{API}/programs/entries?case_id={HUGE}",
        f"{API}/programs/appropriations?fiscal_year={HUGE}",
        f"{API}/programs/entries?kind=bogus",
        f"{API}/programs/entries?limit=0",
        f"{API}/audit/entries/{HUGE}",
        f"{API}/cases/lors/{-1}",
        # Identifiers that may also be ids: a huge number or a non-ASCII digit is no id.
        f"{API}/cases/{HUGE}/timeline",
        f"{API}/cases/{HUGE}/gates",
        f"{API}/cases/%C2%B2/timeline",  # "²": str.isdigit says yes, int() says no
        f"{API}/screening/screenings/{HUGE}",
        f"{API}/programs/appropriations/{HUGE}",
        # Dates are YYYY-MM-DD, not a Unix time ("0" was read as 1970-01-01).
        f"{API}/reference/nato/members?on=0",
        f"{API}/cases/metrics?as_of=0",
        f"{API}/programs/totals?on=0",
        f"{API}/equipment/delinquency?as_of=0",
    ],
)
def test_named_operations_reject_out_of_range_values(
    client: TestClient, bearer: dict[str, str], url: str
) -> None:
    r = client.get(url, headers=bearer)
    assert r.status_code in (404, 422), r.text
    assert r.status_code != 500
    if r.status_code == 422:
        assert r.json()["code"] == "validation.failed"


@pytest.mark.parametrize(
    "path",
    [
        "/lors/{}",
        "/users/{}",
        "/organizations/{}",
        "/notifications/{}",
        "/transfers/{}",
        "/programs/entries/{}",
        "/programs/appropriations/{}",
        "/cases/{}/timeline",
    ],
)
def test_ids_are_bounded_by_the_32_bit_primary_keys(
    client: TestClient, bearer: dict[str, str], path: str
) -> None:
    # Primary keys are INTEGER: 32-bit on PostgreSQL, where 2**63 - 1 was "integer out of
    # range" (a 500). The largest id is simply missing; one more is not an id at all.
    largest = client.get(API + path.format(MAX_ROW_ID), headers=bearer)
    assert largest.status_code == 404, largest.text
    beyond = client.get(API + path.format(MAX_ROW_ID + 1), headers=bearer)
    assert beyond.status_code in (404, 422), beyond.text  # 404: a case identifier, not an id
