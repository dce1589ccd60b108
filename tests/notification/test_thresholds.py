"""Notification thresholds: every threshold of every kind and group at −$1, exactly, +$1."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from secassist.core.errors import DateOutOfRangeError, ValidationFailedError
from secassist.notification.thresholds import load_thresholds, requirement

ON = date(2025, 6, 1)
# (kind, group) -> expected limits; read from the statute summary in domain.md §2, not from the file.
LIMITS = {
    ("sale", "standard"): {"mde": 14_000_000, "total": 50_000_000, "design_construction": 200_000_000},
    ("sale", "higher"): {"mde": 25_000_000, "total": 100_000_000, "design_construction": 300_000_000},
    ("commercial", "standard"): {"mde": 14_000_000, "total": 50_000_000, "firearms": 1_000_000},
    ("commercial", "higher"): {"mde": 25_000_000, "total": 100_000_000, "firearms": 1_000_000},
    ("retransfer", "standard"): {"mde": 14_000_000, "total": 50_000_000},
    ("retransfer", "higher"): {"mde": 25_000_000, "total": 100_000_000},
}
SECTIONS = {"sale": "36(b)(1)", "commercial": "36(c)", "retransfer": "3(d)"}
# destination -> (threshold group, review days)
DESTINATIONS = {"SA": ("standard", 30), "PL": ("higher", 15), "JP": ("higher", 15), "NATO": ("standard", 15)}

CASES = [
    (kind, country, name, limit, delta)
    for (kind, group), limits in LIMITS.items()
    for country, (g, _) in DESTINATIONS.items()
    if g == group
    for name, limit in limits.items()
    for delta in (-1, 0, 1)
]


@pytest.mark.parametrize(("kind", "country", "name", "limit", "delta"), CASES)
def test_threshold_boundaries(kind: str, country: str, name: str, limit: int, delta: int) -> None:
    values = {"mde": 0, "total": 0, "design_construction": 0, "firearms": 0}
    values[name] = limit + delta
    if name == "mde":  # the total includes the MDE; keep it below its own threshold
        values["total"] = limit + delta
        total_limit = LIMITS[(kind, DESTINATIONS[country][0])]["total"]
        assert limit + delta < total_limit
    req = requirement(
        country,
        ON,
        values["mde"],
        values["total"],
        values["design_construction"],
        kind,
        firearms=values["firearms"],
    )
    assert req.required is (delta >= 0)
    assert req.tripped == ((name,) if delta >= 0 else ())
    assert req.section == (SECTIONS[kind] if delta >= 0 else None)
    days = DESTINATIONS[country][1]
    assert req.review_days == (days if delta >= 0 else None)
    if delta >= 0:
        assert req.earliest_offer_date == ON + timedelta(days=days)


def test_nato_itself_gets_fifteen_days_but_not_the_higher_thresholds() -> None:
    req = requirement("NATO", ON, 20_000_000, 20_000_000)
    assert req.required
    assert req.review_days == 15
    assert not req.higher_thresholds
    assert requirement("NSPA", ON, 20_000_000, 20_000_000).review_days == 15
    assert not requirement("PL", ON, 20_000_000, 20_000_000).required


def test_any_one_threshold_triggers_and_all_are_listed() -> None:
    req = requirement("SA", ON, 14_000_000, 50_000_000, 200_000_000)
    assert req.tripped == ("mde", "total", "design_construction")
    only_dc = requirement("SA", ON, 0, 0, 200_000_000)
    assert only_dc.required
    assert only_dc.tripped == ("design_construction",)


def test_design_construction_does_not_apply_to_retransfers_or_licenses() -> None:
    for kind in ("commercial", "retransfer"):
        assert not requirement("SA", ON, 0, 0, 900_000_000, kind).required


@pytest.mark.parametrize(("country", "joined"), [("FI", date(2023, 4, 4)), ("SE", date(2024, 3, 7))])
def test_group_membership_on_the_date(country: str, joined: date) -> None:
    before = requirement(country, joined - timedelta(days=1), 20_000_000, 20_000_000)
    after = requirement(country, joined, 20_000_000, 20_000_000)
    assert before.required
    assert before.review_days == 30
    assert before.tripped == ("mde",)
    assert not after.required
    assert requirement(country, joined, 25_000_000, 25_000_000).review_days == 15


def test_new_sales_territory_loses_the_higher_thresholds() -> None:
    req = requirement("PL", ON, 20_000_000, 20_000_000, new_sales_territory=True)
    assert req.required
    assert req.review_days == 15


def test_firearms_default_to_notifying_for_the_group_and_are_marked_unconfirmed() -> None:
    req = requirement("JP", ON, 0, 1_000_000, kind="commercial", firearms=Decimal("1000000"))
    assert req.required
    assert req.tripped == ("firearms",)
    assert req.section == "36(c)"
    assert any("firearms" in n for n in req.unconfirmed)


def test_informal_review_is_data_and_unconfirmed() -> None:
    data = load_thresholds()
    assert {i.status for i in data.informal_review} == {"UNCONFIRMED"}
    assert requirement("SA", ON, 14_000_000, 14_000_000).informal_review_days == next(
        i.days for i in data.informal_review if i.group == "standard"
    )


def test_bad_inputs_name_the_field() -> None:
    with pytest.raises(ValidationFailedError) as info:
        requirement("SA", ON, -1, 0)
    assert info.value.detail["field"] == "mde"
    with pytest.raises(ValidationFailedError) as info:
        requirement("SA", ON, 0, 0, kind="lease")
    assert info.value.detail["field"] == "kind"
    with pytest.raises(ValidationFailedError):
        requirement("XX", ON, 0, 0)
    with pytest.raises(DateOutOfRangeError):
        requirement("SA", date(1999, 1, 1), 0, 0)
