"""The as-of-date API over the packaged reference data (``secassist.reference.service``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from secassist.core.errors import DateOutOfRangeError, UnknownCodeError, ValidationFailedError
from secassist.reference.schemas import to_roman
from secassist.reference.service import ReferenceData

FOUNDERS = {"BE", "CA", "DK", "FR", "IS", "IT", "LU", "NL", "NO", "PT", "GB", "US"}
NON_NATO_HIGHER = {"JP", "AU", "KR", "IL", "NZ"}
TABLE_1 = {"BY", "MM", "CN", "CU", "IR", "KP", "SY", "VE"}

# --- NATO ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "count"),
    [
        (date(1949, 8, 24), 12),
        (date(1952, 2, 17), 12),
        (date(1952, 2, 18), 14),
        (date(2020, 3, 27), 30),
        (date(2023, 4, 3), 30),
        (date(2023, 4, 4), 31),  # Finland
        (date(2024, 3, 6), 31),
        (date(2024, 3, 7), 32),  # Sweden
        (date(2027, 12, 31), 32),  # last day of coverage
    ],
)
def test_nato_member_count(reference: ReferenceData, on: date, count: int) -> None:
    members = reference.nato_members(on)
    assert len(members) == count
    assert members == sorted(members)
    assert len(set(members)) == len(members)


def test_nato_founders_on_entry_into_force(reference: ReferenceData) -> None:
    assert set(reference.nato_members(date(1949, 8, 24))) == FOUNDERS


@pytest.mark.parametrize(
    ("code", "on", "member"),
    [
        ("FI", date(2023, 4, 3), False),
        ("FI", date(2023, 4, 4), True),
        ("SE", date(2024, 3, 6), False),
        ("SE", date(2024, 3, 7), True),
        ("GB", date(1949, 8, 24), True),
        ("DE", date(1955, 5, 5), False),
        ("DE", date(1955, 5, 6), True),
        ("JP", date(2024, 3, 7), False),
    ],
)
def test_is_nato_member(reference: ReferenceData, code: str, on: date, member: bool) -> None:
    assert reference.is_nato_member(code, on) is member
    assert (code in reference.nato_members(on)) is member


def test_sweden_absent_the_day_before_accession(reference: ReferenceData) -> None:
    before = reference.nato_members(date(2024, 3, 6))
    after = reference.nato_members(date(2024, 3, 7))
    assert "SE" not in before
    assert set(after) - set(before) == {"SE"}


def test_nato_members_are_iso_country_codes_not_bodies(reference: ReferenceData) -> None:
    members = reference.nato_members(date(2024, 3, 7))
    assert "NATO" not in members
    assert "NSPA" not in members
    assert all(len(c) == 2 and c.isupper() for c in members)
    assert reference.is_nato_member("NATO", date(2024, 3, 7)) is False


# --- coverage ------------------------------------------------------------------------

AS_OF_CALLS: list[tuple[str, Callable[[ReferenceData, date], Any]]] = [
    ("nato_members", lambda r, d: r.nato_members(d)),
    ("is_nato_member", lambda r, d: r.is_nato_member("GB", d)),
    ("group_members", lambda r, d: r.group_members("short_review", d)),
    ("in_group", lambda r, d: r.in_group("higher_thresholds", "JP", d)),
    ("mnna", lambda r, d: r.mnna(d)),
    ("itar_126_1", lambda r, d: r.itar_126_1(d)),
    ("itar_table", lambda r, d: r.itar_table("CN", d)),
]


@pytest.mark.parametrize("on", [date(1949, 8, 23), date(2028, 1, 1)], ids=str)
def test_nato_date_outside_coverage_is_refused(reference: ReferenceData, on: date) -> None:
    with pytest.raises(DateOutOfRangeError) as info:
        reference.nato_members(on)
    assert on.isoformat() in str(info.value)
    assert "nato.yaml" in info.value.message
    assert info.value.detail["value"] == on.isoformat()
    assert info.value.field == "date"
    assert isinstance(info.value, ValidationFailedError)


@pytest.mark.parametrize(("name", "call"), AS_OF_CALLS, ids=[n for n, _ in AS_OF_CALLS])
@pytest.mark.parametrize("on", [date(1900, 1, 1), date(2028, 1, 1)], ids=str)
def test_every_as_of_question_refuses_dates_outside_coverage(
    reference: ReferenceData, name: str, call: Callable[[ReferenceData, date], Any], on: date
) -> None:
    with pytest.raises(DateOutOfRangeError, match=on.isoformat()):
        call(reference, on)


@pytest.mark.parametrize(
    ("call", "start"),
    [
        (lambda r, d: r.nato_members(d), date(1949, 8, 24)),
        (lambda r, d: r.group_members("higher_thresholds", d), date(2010, 10, 8)),
        (lambda r, d: r.mnna(d), date(1989, 1, 1)),
        (lambda r, d: r.itar_126_1(d), date(2024, 1, 1)),
    ],
    ids=["nato", "groups", "mnna", "itar"],
)
def test_coverage_bounds_are_inclusive(
    reference: ReferenceData, call: Callable[[ReferenceData, date], Any], start: date
) -> None:
    call(reference, start)
    call(reference, date(2027, 12, 31))
    with pytest.raises(DateOutOfRangeError):
        call(reference, date.fromordinal(start.toordinal() - 1))


def test_coverage_lists_every_dated_file(reference: ReferenceData) -> None:
    cov = reference.coverage()
    assert set(cov) == {"countries", "nato", "notification_groups", "mnna", "itar_126_1"}
    assert cov["nato"].start == date(1949, 8, 24)
    assert cov["nato"].end == date(2027, 12, 31)


# --- notification groups -------------------------------------------------------------


def test_higher_thresholds_is_nato_members_plus_five(reference: ReferenceData) -> None:
    on = date(2024, 3, 7)
    members = reference.group_members("higher_thresholds", on)
    assert set(members) >= NON_NATO_HIGHER
    assert set(members) == set(reference.nato_members(on)) | NON_NATO_HIGHER
    assert "NATO" not in members
    assert "NSPA" not in members
    assert len(members) == len(set(members)) == 32 + 5


def test_short_review_is_higher_thresholds_plus_nato(reference: ReferenceData) -> None:
    on = date(2024, 3, 7)
    short = reference.group_members("short_review", on)
    assert "NATO" in short
    assert set(short) == set(reference.group_members("higher_thresholds", on)) | {"NATO"}


@pytest.mark.parametrize("group", ["higher_thresholds", "short_review"])
@pytest.mark.parametrize(("on", "member"), [(date(2023, 4, 3), False), (date(2023, 4, 4), True)], ids=str)
def test_finland_joins_groups_with_nato_accession(
    reference: ReferenceData, group: str, on: date, member: bool
) -> None:
    assert ("FI" in reference.group_members(group, on)) is member
    assert reference.in_group(group, "FI", on) is member


@pytest.mark.parametrize(("group", "expected"), [("short_review", True), ("higher_thresholds", False)])
@pytest.mark.parametrize("code", ["NATO", "NSPA", "nspa", " NSPA "])
def test_nato_bodies_map_to_nato_in_groups(
    reference: ReferenceData, group: str, expected: bool, code: str
) -> None:
    assert reference.in_group(group, code, date(2024, 3, 7)) is expected


@pytest.mark.parametrize("group", ["higher_thresholds", "short_review"])
@pytest.mark.parametrize("code", sorted(NON_NATO_HIGHER))
def test_non_nato_allies_in_both_groups(reference: ReferenceData, group: str, code: str) -> None:
    assert reference.in_group(group, code, date(2024, 3, 7))
    assert reference.in_group(group, code.lower(), date(2024, 3, 7))


@pytest.mark.parametrize("group", ["higher_thresholds", "short_review"])
def test_non_member_not_in_group(reference: ReferenceData, group: str) -> None:
    assert reference.in_group(group, "CN", date(2024, 3, 7)) is False
    assert reference.in_group(group, "UA", date(2024, 3, 7)) is False


def test_unknown_group_is_refused(reference: ReferenceData) -> None:
    with pytest.raises(UnknownCodeError, match="long_review"):
        reference.group_members("long_review", date(2024, 3, 7))


def test_group_date_before_coverage_is_refused(reference: ReferenceData) -> None:
    # NATO's own coverage starts in 1949, but the group's starts in 2010.
    with pytest.raises(DateOutOfRangeError, match=r"notification_groups\.yaml"):
        reference.group_members("higher_thresholds", date(2010, 10, 7))


def test_in_group_unknown_code(reference: ReferenceData) -> None:
    with pytest.raises(UnknownCodeError, match="XX"):
        reference.in_group("short_review", "XX", date(2024, 3, 7))


# --- MNNA ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "on", "member"),
    [
        ("AF", date(2012, 7, 6), False),
        ("AF", date(2012, 7, 7), True),
        ("AF", date(2015, 1, 1), True),
        ("AF", date(2022, 7, 14), True),
        ("AF", date(2022, 7, 15), False),  # `until` is exclusive
        ("SA", date(2025, 11, 17), False),
        ("SA", date(2025, 11, 18), True),
        ("KR", date(1989, 1, 1), True),
        ("TW", date(2025, 11, 18), False),  # only with include_treated_as
        ("GB", date(2025, 11, 18), False),
    ],
)
def test_mnna_as_of(reference: ReferenceData, code: str, on: date, member: bool) -> None:
    assert (code in reference.mnna(on)) is member


def test_taiwan_only_with_include_treated_as(reference: ReferenceData) -> None:
    on = date(2025, 11, 18)
    plain = reference.mnna(on)
    wide = reference.mnna(on, include_treated_as=True)
    assert "TW" not in plain
    assert "TW" in wide
    assert set(wide) - set(plain) == {"TW"}
    assert wide == sorted(wide)
    # Taiwan is treated as an MNNA only from 30 Sep 2002.
    assert "TW" not in reference.mnna(date(2002, 9, 29), include_treated_as=True)
    assert "TW" in reference.mnna(date(2002, 9, 30), include_treated_as=True)


# --- ITAR §126.1 ---------------------------------------------------------------------


def _codes(reference: ReferenceData, on: date, table: int | None = None) -> set[str]:
    return {e.code for e in reference.itar_126_1(on, table)}


def test_nicaragua_added_to_table_2(reference: ReferenceData) -> None:
    assert "NI" not in _codes(reference, date(2024, 3, 14))
    assert reference.itar_table("NI", date(2024, 3, 14)) is None
    assert "NI" in _codes(reference, date(2024, 3, 15), table=2)
    assert reference.itar_table("NI", date(2024, 3, 15)) == 2


def test_cambodia_removed_from_table_2(reference: ReferenceData) -> None:
    assert "KH" in _codes(reference, date(2025, 11, 6), table=2)
    assert reference.itar_table("KH", date(2025, 11, 6)) == 2
    assert "KH" not in _codes(reference, date(2025, 11, 7))
    assert reference.itar_table("KH", date(2025, 11, 7)) is None


@pytest.mark.parametrize("on", [date(2024, 1, 1), date(2025, 11, 7), date(2027, 12, 31)], ids=str)
def test_table_1_contents(reference: ReferenceData, on: date) -> None:
    entries = reference.itar_126_1(on, table=1)
    assert {e.code for e in entries} == TABLE_1
    assert all(e.table == 1 for e in entries)


def test_itar_entries_sorted_by_table_then_code(reference: ReferenceData) -> None:
    entries = reference.itar_126_1(date(2025, 1, 1))
    keys = [(e.table, e.code) for e in entries]
    assert keys == sorted(keys)
    assert {e.table for e in entries} == {1, 2}
    assert _codes(reference, date(2025, 1, 1)) == _codes(reference, date(2025, 1, 1), 1) | _codes(
        reference, date(2025, 1, 1), 2
    )
    assert not _codes(reference, date(2025, 1, 1), 1) & _codes(reference, date(2025, 1, 1), 2)


def test_itar_unknown_table_refused(reference: ReferenceData) -> None:
    with pytest.raises(UnknownCodeError, match="table"):
        reference.itar_126_1(date(2025, 1, 1), table=3)


@pytest.mark.parametrize(
    ("code", "table"), [("CN", 1), ("cn", 1), ("KP", 1), ("RU", 2), ("AF", 2), ("GB", None), ("US", None)]
)
def test_itar_table(reference: ReferenceData, code: str, table: int | None) -> None:
    assert reference.itar_table(code, date(2025, 1, 1)) == table


def test_itar_table_unknown_code(reference: ReferenceData) -> None:
    with pytest.raises(UnknownCodeError, match="XX"):
        reference.itar_table("XX", date(2025, 1, 1))


# --- countries, codes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.country("XX"),
        lambda r: r.is_nato_member("XX", date(2024, 3, 7)),
        lambda r: r.in_group("higher_thresholds", "XX", date(2024, 3, 7)),
        lambda r: r.itar_table("XX", date(2025, 1, 1)),
    ],
    ids=["country", "is_nato_member", "in_group", "itar_table"],
)
def test_unknown_country_code_names_the_code(reference: ReferenceData, call: Callable[..., Any]) -> None:
    with pytest.raises(UnknownCodeError) as info:
        call(reference)
    assert "'XX'" in info.value.message
    assert info.value.code == "reference.unknown_code"


def test_unknown_code_detail(reference: ReferenceData) -> None:
    with pytest.raises(UnknownCodeError) as info:
        reference.country("ZZ")
    assert info.value.field == "country"
    assert info.value.detail["value"] == "ZZ"


@pytest.mark.parametrize("code", ["gb", "Gb", " GB ", "GB"])
def test_lowercase_and_padded_codes_accepted(reference: ReferenceData, code: str) -> None:
    assert reference.country(code).code == "GB"
    assert reference.is_nato_member(code, date(2024, 3, 7))
    assert reference.is_known_party(code)


def test_lowercase_codes_in_as_of_questions(reference: ReferenceData) -> None:
    assert reference.is_nato_member("se", date(2024, 3, 7))
    assert reference.in_group("short_review", "nato", date(2024, 3, 7))
    assert reference.itar_table("kh", date(2025, 11, 6)) == 2


def test_country_fields(reference: ReferenceData) -> None:
    gb = reference.country("GB")
    assert gb.code == "GB"
    assert gb.alpha3 == "GBR"
    assert gb.name == "United Kingdom"
    assert gb.region == "EUR"
    assert gb.region_name == "Bureau of European and Eurasian Affairs"
    assert gb.fms_code == "UK"
    assert gb.fms_code_status == "UNCONFIRMED"
    assert gb.territory is False


def test_country_without_fms_code_assumes_iso(reference: ReferenceData) -> None:
    fr = reference.country("FR")
    assert fr.fms_code == "FR"
    assert fr.fms_code_status == "assumed"


def test_country_common_name_and_territory(reference: ReferenceData) -> None:
    assert reference.country("TW").name == "Taiwan"
    assert reference.country("AI").territory is True


def test_countries_by_region(reference: ReferenceData) -> None:
    eur = reference.countries("EUR")
    assert {"GB", "FR", "DE", "FI", "SE"} <= {c.code for c in eur}
    assert all(c.region == "EUR" for c in eur)
    assert [c.code for c in eur] == sorted(c.code for c in eur)
    assert reference.countries("eur") == eur
    assert len(reference.countries()) == sum(len(reference.countries(r)) for r in reference.regions())


def test_unknown_region_names_it(reference: ReferenceData) -> None:
    with pytest.raises(UnknownCodeError, match="XYZ"):
        reference.countries("XYZ")


def test_regions(reference: ReferenceData) -> None:
    assert set(reference.regions()) == {"AF", "EAP", "EUR", "NEA", "SCA", "WHA"}


def test_nato_bodies(reference: ReferenceData) -> None:
    assert [b.code for b in reference.bodies()] == ["NATO", "NSPA"]
    nspa = reference.body("nspa")
    assert nspa.part_of == "NATO"
    assert nspa.customer_code == "W7"
    assert reference.body("NATO").customer_code == "N4"
    with pytest.raises(UnknownCodeError, match="NAMO"):
        reference.body("NAMO")


@pytest.mark.parametrize(("code", "known"), [("NATO", True), ("nspa", True), ("GB", True), ("XX", False)])
def test_is_known_party(reference: ReferenceData, code: str, known: bool) -> None:
    assert reference.is_known_party(code) is known


# --- USML ----------------------------------------------------------------------------

ROMANS = [
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
    "XIII",
    "XIV",
    "XV",
    "XVI",
    "XVII",
    "XVIII",
    "XIX",
    "XX",
    "XXI",
]


def test_usml_has_21_categories_in_order(reference: ReferenceData) -> None:
    cats = reference.usml_categories()
    assert [c.number for c in cats] == list(range(1, 22))
    assert [c.roman for c in cats] == ROMANS
    assert all(c.title for c in cats)


@pytest.mark.parametrize("ref", ["VIII", "viii", " VIII ", 8, "8"])
def test_usml_lookup(reference: ReferenceData, ref: str | int) -> None:
    cat = reference.usml_category(ref)
    assert cat.number == 8
    assert cat.roman == "VIII"
    assert cat.title == "Aircraft and Related Articles"


def test_usml_lookup_last_category(reference: ReferenceData) -> None:
    assert reference.usml_category("XXI").number == 21
    assert reference.usml_category(21).roman == "XXI"


@pytest.mark.parametrize("ref", ["XXII", 0, 22, "IIII", "", "aircraft"])
def test_usml_unknown_category(reference: ReferenceData, ref: str | int) -> None:
    with pytest.raises(UnknownCodeError):
        reference.usml_category(ref)


@pytest.mark.parametrize(("n", "roman"), list(enumerate(ROMANS, start=1)))
def test_to_roman(n: int, roman: str) -> None:
    assert to_roman(n) == roman


# --- implementing agencies -----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "letter", "abbreviation"),
    [
        ("B", "B", "USA"),
        ("b", "B", "USA"),
        ("USA", "B", "USA"),
        ("D", "D", "USAF"),
        ("usaf", "D", "USAF"),
        ("P", "P", "USN"),
        ("USN", "P", "USN"),
        ("DLA", None, "DLA"),
    ],
)
def test_implementing_agency_lookup(
    reference: ReferenceData, key: str, letter: str | None, abbreviation: str
) -> None:
    agency = reference.implementing_agency(key)
    assert agency.code == letter
    assert agency.abbreviation == abbreviation


@pytest.mark.parametrize("key", ["Z", "ARMY", ""])
def test_unknown_implementing_agency(reference: ReferenceData, key: str) -> None:
    with pytest.raises(UnknownCodeError):
        reference.implementing_agency(key)


def test_implementing_agencies_list(reference: ReferenceData) -> None:
    agencies = reference.implementing_agencies()
    assert [a.abbreviation for a in agencies[:3]] == ["USA", "USAF", "USN"]
    letters = [a.code for a in agencies if a.code]
    assert letters == ["B", "D", "P"]
    assert len({a.abbreviation for a in agencies}) == len(agencies)
