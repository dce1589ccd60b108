"""API errors are RFC 9457 problem JSON with a stable ``code``, whatever raised them."""

from __future__ import annotations

from typing import Any

import pytest

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:secassist:error:{code}"
    assert body["title"]
    assert isinstance(body["detail"], str)
    return body


# --- errors raised by the domain --------------------------------------------------------------


def test_unknown_country_is_404_naming_the_code(client: Any) -> None:
    body = assert_problem(client.get("/api/v1/reference/countries/ZZ"), 404, "reference.unknown_code")
    assert body["title"] == "Unknown code"
    assert "'ZZ'" in body["detail"]


def test_date_out_of_range_is_422_naming_the_date(client: Any) -> None:
    r = client.get("/api/v1/reference/nato/members", params={"on": "1900-01-01"})
    body = assert_problem(r, 422, "reference.date_out_of_range")
    assert "1900-01-01" in body["detail"]
    assert "nato.yaml" in body["detail"]
    assert "1949-08-24" in body["detail"]  # the start of the coverage it broke


def test_date_after_coverage_is_422(client: Any) -> None:
    r = client.get("/api/v1/reference/mnna", params={"on": "2099-01-01"})
    body = assert_problem(r, 422, "reference.date_out_of_range")
    assert "2099-01-01" in body["detail"]


# --- request validation -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "2024-02-30", "07/03/2024"])
def test_malformed_date_is_422_validation_failed_naming_on(client: Any, bad: str) -> None:
    r = client.get("/api/v1/reference/nato/members", params={"on": bad})
    body = assert_problem(r, 422, "validation.failed")
    assert body["detail"].startswith("on: ")
    assert [e["field"] for e in body["errors"]] == ["on"]
    assert all(e["message"] for e in body["errors"])


def test_missing_date_is_422_naming_on(client: Any) -> None:
    body = assert_problem(client.get("/api/v1/reference/mnna"), 422, "validation.failed")
    assert body["errors"] == [{"field": "on", "message": "Field required"}]


def test_unknown_notification_group_is_422_naming_group(client: Any) -> None:
    r = client.get("/api/v1/reference/notification-groups/allies", params={"on": "2024-03-07"})
    body = assert_problem(r, 422, "validation.failed")
    assert [e["field"] for e in body["errors"]] == ["group"]
    assert "higher_thresholds" in body["detail"]
    assert "short_review" in body["detail"]


def test_several_invalid_fields_are_all_reported(client: Any) -> None:
    r = client.get("/api/v1/reference/itar-126-1", params={"on": "soon", "table": "three"})
    body = assert_problem(r, 422, "validation.failed")
    assert sorted(e["field"] for e in body["errors"]) == ["on", "table"]


# --- routing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/health", "/api/v1/reference/nato"])
def test_unknown_api_path_is_404_problem_json(client: Any, path: str) -> None:
    body = assert_problem(client.get(path), 404, "not_found")
    assert body["title"] == "Not found"


def test_wrong_method_is_405_problem_json(client: Any) -> None:
    body = assert_problem(client.delete("/api/v1/reference/countries"), 405, "method_not_allowed")
    assert body["title"] == "Method not allowed"


def test_unknown_page_outside_the_api_is_not_problem_json(client: Any) -> None:
    r = client.get("/nope")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
