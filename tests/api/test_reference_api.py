"""The reference-data endpoints under /api/v1/reference, each with answers checked against the data."""

from __future__ import annotations

from datetime import date
from typing import Any

from secassist.reference.service import ReferenceData

BASE = "/api/v1/reference"
HIGHER_EXTRA = {"JP", "AU", "KR", "IL", "NZ"}


def get_ok(client: Any, path: str, **params: Any) -> Any:
    r = client.get(f"{BASE}{path}", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return r.json()


# --- countries and regions ---------------------------------------------------------------


def test_countries_lists_every_country_sorted(client: Any, reference: ReferenceData) -> None:
    body = get_ok(client, "/countries")
    codes = [c["code"] for c in body]
    assert codes == sorted(codes)
    assert codes == [c.code for c in reference.countries()]
    assert len(codes) > 200
    assert set(body[0]) == {
        "code",
        "alpha3",
        "name",
        "region",
        "region_name",
        "fms_code",
        "fms_code_status",
        "territory",
    }


def test_countries_filtered_by_region(client: Any) -> None:
    body = get_ok(client, "/countries", region="EUR")
    codes = {c["code"] for c in body}
    assert {c["region"] for c in body} == {"EUR"}
    assert {"SE", "FI", "DE", "FR"} <= codes
    assert not codes & {"JP", "US", "AU", "EG"}
    assert {c["region_name"] for c in body} == {"Bureau of European and Eurasian Affairs"}


def test_countries_region_is_case_insensitive(client: Any) -> None:
    assert get_ok(client, "/countries", region="eur") == get_ok(client, "/countries", region="EUR")


def test_countries_unknown_region_is_a_problem(client: Any) -> None:
    r = client.get(f"{BASE}/countries", params={"region": "XYZ"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "reference.unknown_code"
    assert "XYZ" in r.json()["detail"]


def test_country_by_code(client: Any) -> None:
    assert get_ok(client, "/countries/SE") == {
        "code": "SE",
        "alpha3": "SWE",
        "name": "Sweden",
        "region": "EUR",
        "region_name": "Bureau of European and Eurasian Affairs",
        "fms_code": "SE",
        "fms_code_status": "assumed",
        "territory": False,
    }


def test_country_code_is_case_insensitive(client: Any) -> None:
    assert get_ok(client, "/countries/se")["code"] == "SE"


def test_country_with_a_distinct_fms_code(client: Any) -> None:
    au = get_ok(client, "/countries/AU")
    assert (au["name"], au["fms_code"], au["fms_code_status"], au["region"]) == (
        "Australia",
        "AT",
        "UNCONFIRMED",
        "EAP",
    )


def test_territory_flag(client: Any) -> None:
    assert get_ok(client, "/countries/AI")["territory"] is True


def test_regions(client: Any) -> None:
    body = get_ok(client, "/regions")
    assert set(body) == {"AF", "EAP", "EUR", "NEA", "SCA", "WHA"}
    assert body["EUR"] == "Bureau of European and Eurasian Affairs"


# --- NATO --------------------------------------------------------------------------------


def test_nato_members_on_swedish_accession_day(client: Any) -> None:
    body = get_ok(client, "/nato/members", on="2024-03-07")
    assert body["on"] == "2024-03-07"
    assert len(body["codes"]) == 32
    assert {"SE", "FI", "US", "TR"} <= set(body["codes"])
    assert body["codes"] == sorted(body["codes"])


def test_nato_members_the_day_before_sweden(client: Any) -> None:
    body = get_ok(client, "/nato/members", on="2024-03-06")
    assert len(body["codes"]) == 31
    assert "SE" not in body["codes"]
    assert "FI" in body["codes"]


def test_nato_members_the_day_before_finland(client: Any) -> None:
    before = get_ok(client, "/nato/members", on="2023-04-03")["codes"]
    after = get_ok(client, "/nato/members", on="2023-04-04")["codes"]
    assert len(before) == 30
    assert "FI" not in before
    assert set(after) - set(before) == {"FI"}


def test_nato_founders(client: Any) -> None:
    body = get_ok(client, "/nato/members", on="1949-08-24")
    assert set(body["codes"]) == {"BE", "CA", "DK", "FR", "IS", "IT", "LU", "NL", "NO", "PT", "GB", "US"}


def test_nato_bodies(client: Any) -> None:
    body = {b["code"]: b for b in get_ok(client, "/nato/bodies")}
    assert set(body) == {"NATO", "NSPA"}
    assert body["NATO"]["customer_code"] == "N4"
    assert body["NATO"]["part_of"] is None
    assert body["NSPA"]["customer_code"] == "W7"
    assert body["NSPA"]["part_of"] == "NATO"


# --- notification groups -------------------------------------------------------------------


def test_short_review_contains_nato_and_higher_thresholds_does_not(client: Any) -> None:
    nato = set(get_ok(client, "/nato/members", on="2024-03-07")["codes"])
    short = get_ok(client, "/notification-groups/short_review", on="2024-03-07")
    higher = get_ok(client, "/notification-groups/higher_thresholds", on="2024-03-07")
    assert short["on"] == higher["on"] == "2024-03-07"
    assert "NATO" in short["codes"]
    assert "NATO" not in higher["codes"]
    assert set(higher["codes"]) == nato | HIGHER_EXTRA
    assert set(short["codes"]) == nato | HIGHER_EXTRA | {"NATO"}
    assert len(higher["codes"]) == 37


def test_notification_group_follows_nato_accessions(client: Any) -> None:
    before = get_ok(client, "/notification-groups/higher_thresholds", on="2024-03-06")["codes"]
    after = get_ok(client, "/notification-groups/higher_thresholds", on="2024-03-07")["codes"]
    assert "SE" not in before
    assert "SE" in after


def test_notification_group_before_its_coverage_is_refused(client: Any) -> None:
    r = client.get(f"{BASE}/notification-groups/short_review", params={"on": "2010-10-07"})
    assert r.status_code == 422
    assert r.json()["code"] == "reference.date_out_of_range"
    assert "2010-10-07" in r.json()["detail"]
    assert "notification_groups.yaml" in r.json()["detail"]


# --- MNNA ----------------------------------------------------------------------------------


def test_mnna_on_a_date(client: Any) -> None:
    body = get_ok(client, "/mnna", on="2024-06-01")
    codes = set(body["codes"])
    assert body["on"] == "2024-06-01"
    assert {"AU", "JP", "KR", "IL", "KE", "QA", "CO"} <= codes
    assert "SA" not in codes  # designated Nov 2025
    assert "AF" not in codes  # removed 2022
    assert "TW" not in codes  # treated as an MNNA, never designated
    assert len(codes) == 19


def test_mnna_including_treated_as(client: Any) -> None:
    plain = set(get_ok(client, "/mnna", on="2024-06-01")["codes"])
    body = get_ok(client, "/mnna", on="2024-06-01", include_treated_as="true")
    assert set(body["codes"]) == plain | {"TW"}


def test_mnna_designation_and_removal_dates(client: Any) -> None:
    assert "AF" in get_ok(client, "/mnna", on="2015-01-01")["codes"]
    assert "SA" in get_ok(client, "/mnna", on="2026-01-01")["codes"]


# --- ITAR §126.1 ----------------------------------------------------------------------------


def test_itar_both_tables_sorted_by_table_then_code(client: Any) -> None:
    body = get_ok(client, "/itar-126-1", on="2025-01-01")
    assert body["on"] == "2025-01-01"
    keys = [(e["table"], e["code"]) for e in body["entries"]]
    assert keys == sorted(keys)
    assert {e["table"] for e in body["entries"]} == {1, 2}
    assert set(body["entries"][0]) == {"code", "table", "status", "note", "source"}


# src bug: `table: Literal[1, 2]` never matches the query string "1" (pydantic does not coerce
# str to an int Literal), so every ?table= is refused with 422. Fix in api/routes/reference.py:
# `table: Annotated[int | None, Query(ge=1, le=2)] = None`.
def test_itar_table_1(client: Any) -> None:
    entries = get_ok(client, "/itar-126-1", on="2025-01-01", table=1)["entries"]
    assert {e["table"] for e in entries} == {1}
    assert {e["code"] for e in entries} == {"BY", "MM", "CN", "CU", "IR", "KP", "SY", "VE"}


def test_itar_table_2(client: Any) -> None:
    entries = get_ok(client, "/itar-126-1", on="2025-01-01", table=2)["entries"]
    codes = {e["code"] for e in entries}
    assert {e["table"] for e in entries} == {2}
    assert {"RU", "AF", "IQ", "ZW"} <= codes
    assert not codes & {"CN", "IR"}


def test_itar_dated_entries(client: Any) -> None:
    def codes(on: str) -> set[str]:
        return {e["code"] for e in get_ok(client, "/itar-126-1", on=on)["entries"] if e["table"] == 2}

    assert "NI" not in codes("2024-03-14")
    assert "NI" in codes("2024-03-15")  # `from` is inclusive
    assert "KH" in codes("2025-11-06")
    assert "KH" not in codes("2025-11-07")  # `until` is exclusive


def test_itar_before_its_coverage_is_refused(client: Any) -> None:
    r = client.get(f"{BASE}/itar-126-1", params={"on": "2023-12-31"})
    assert r.status_code == 422
    assert r.json()["code"] == "reference.date_out_of_range"
    assert "2023-12-31" in r.json()["detail"]


def test_itar_unknown_table_is_a_validation_problem(client: Any) -> None:
    r = client.get(f"{BASE}/itar-126-1", params={"on": "2025-01-01", "table": 3})
    assert r.status_code == 422
    assert r.json()["code"] == "validation.failed"
    assert [e["field"] for e in r.json()["errors"]] == ["table"]


# --- static lists -----------------------------------------------------------------------------


def test_usml_categories(client: Any) -> None:
    body = get_ok(client, "/usml")
    assert [c["number"] for c in body] == list(range(1, 22))
    assert body[0]["roman"] == "I"
    assert body[-1]["roman"] == "XXI"
    assert all(c["title"] for c in body)
    assert set(body[0]) == {"number", "roman", "title"}


def test_implementing_agencies(client: Any) -> None:
    body = get_ok(client, "/implementing-agencies")
    by_abbr = {a["abbreviation"]: a for a in body}
    assert {a["code"] for a in body if a["code"]} == {"B", "D", "P"}
    assert by_abbr["USA"]["code"] == "B"
    assert by_abbr["USAF"]["code"] == "D"
    assert by_abbr["USN"]["code"] == "P"
    assert by_abbr["DLA"]["code"] is None
    assert by_abbr["USN"]["name"] == "Department of the Navy"


def test_coverage(client: Any, reference: ReferenceData) -> None:
    body = get_ok(client, "/coverage")
    assert set(body) == {"countries", "nato", "notification_groups", "mnna", "itar_126_1"}
    assert body["itar_126_1"] == {"start": "2024-01-01", "end": "2027-12-31"}
    assert body["notification_groups"]["start"] == "2010-10-08"
    for name, cov in reference.coverage().items():
        assert date.fromisoformat(body[name]["start"]) == cov.start
        assert date.fromisoformat(body[name]["end"]) == cov.end
