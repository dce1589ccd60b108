"""Integers and dates inside JSON request bodies (issue 16, follow-up to defect 3): every
integer property of every request body declares its bounds in the OpenAPI document (ids,
quantities, versions, fiscal years), every date is a YYYY-MM-DD string within a sane
horizon, and an out-of-range value is a 422 naming the field, never a 500."""

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
LOR = {"purchaser": "PL", "request_type": "loa", "financing": "national"}
CASE = {"implementing_agency": "B", "loa_type": "defined_order", "title": "x"}


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    return make_world(session_factory)


@pytest.fixture
def bearer(session_factory: sessionmaker[Session], world: World) -> dict[str, str]:
    with unit_of_work(session_factory) as s:
        raw, _ = issue_token(s, actor=None, user_id=identity.user_by_name(s, "user.state").id, name="t")
    return {"Authorization": f"Bearer {raw}"}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _leaves(
    spec: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    """(where, schema) of every scalar reachable from ``schema``: object properties,
    array items, and each branch of anyOf/oneOf/allOf."""
    ref = schema.get("$ref")
    if ref is not None:
        if ref in seen:
            return []
        seen = seen | {ref}
    schema = _resolve(spec, schema)
    found: list[tuple[str, dict[str, Any]]] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found += _leaves(spec, branch, where, seen)
    for name, prop in schema.get("properties", {}).items():
        found += _leaves(spec, prop, f"{where}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _leaves(spec, schema["additionalProperties"], f"{where}.*", seen)
    if "items" in schema:
        found += _leaves(spec, schema["items"], f"{where}[]", seen)
    if schema.get("type") in ("integer", "string"):
        found.append((where, schema))
    return found


def _request_body_scalars(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                if "schema" in content:
                    found += _leaves(spec, content["schema"], f"{method.upper()} {path} ({media})", set())
    return found


def test_every_integer_in_a_request_body_declares_its_bounds(client: TestClient) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    ints = [(w, s) for w, s in _request_body_scalars(spec) if s["type"] == "integer"]
    assert len(ints) >= 20, ints  # the walk found the request bodies' integers
    unbounded = [w for w, s in ints if not ("minimum" in s and "maximum" in s and s["maximum"] <= MAX_INT64)]
    assert not unbounded, "\n".join(sorted(set(unbounded)))


def test_every_date_in_a_request_body_is_strict_and_bounded(client: TestClient) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    dates = [(w, s) for w, s in _request_body_scalars(spec) if s.get("format") == "date"]
    assert len(dates) >= 10, dates
    loose = [w for w, s in dates if s.get("pattern") != r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"]
    assert not loose, "\n".join(sorted(set(loose)))


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/lors", {**LOR, "received_on": "99999-01-01"}, "received_on"),
        ("/lors", {**LOR, "received_on": "9000-01-01"}, "received_on"),
        ("/lors", {**LOR, "received_on": "1066-10-14"}, "received_on"),
        ("/lors", {**LOR, "received_on": 0}, "received_on"),
        ("/lors", {**LOR, "received_on": "2026-01-01", "desired_value": 10**17}, "desired_value"),
        # A string amount beyond NUMERIC(18, 2): was an overflow in PostgreSQL's driver.
        ("/lors", {**LOR, "received_on": "2026-01-01", "desired_value": "9" * 20}, "desired_value"),
        ("/cases", {**CASE, "lor_id": HUGE}, "lor_id"),
        ("/cases", {**CASE, "lor_id": MAX_ROW_ID + 1}, "lor_id"),
        ("/cases", {**CASE, "lor_id": 0}, "lor_id"),
        ("/programs/appropriations", {"program": "FMF", "fiscal_year": HUGE, "amount": "1",
          "available_from": "2026-10-01", "available_until": "2027-09-30"}, "fiscal_year"),
        ("/programs/obligations", {"appropriation_id": HUGE, "amount": "1", "on": "2026-10-01"},
         "appropriation_id"),
    ],
)  # fmt: skip
def test_an_out_of_range_body_value_is_a_422_naming_it(
    client: TestClient, bearer: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    r = client.post(API + path, json=body, headers=bearer)
    assert r.status_code == 422, r.text
    # A union's errors name the branch too ("desired_value.constrained-int").
    assert any(e["field"].split(".")[0] == field for e in r.json()["errors"]), r.text


def test_a_huge_integer_in_any_request_body_is_a_422(client: TestClient, bearer: dict[str, str]) -> None:
    # Every JSON write, with every integer property of its body set to 2**64 + 1.
    spec = client.get(f"{API}/openapi.json").json()
    failures = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = _resolve(spec, content["application/json"]["schema"])
            body = {
                name: HUGE
                for name, prop in schema.get("properties", {}).items()
                if "integer" in str(_resolve(spec, prop))
            }
            if not body:
                continue
            url = path
            for p in op.get("parameters", []):
                if p["in"] == "path":
                    url = url.replace("{" + p["name"] + "}", "1" if "integer" in str(p["schema"]) else "X")
            r = client.request(method.upper(), url, json=body, headers=bearer)
            if r.status_code != 422:
                failures.append(f"{method.upper()} {path}: {r.status_code} {r.text[:160]}")
    assert not failures, "\n".join(failures)
