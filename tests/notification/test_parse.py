"""The notice parser on every shared real notice, and on synthetic texts for the quirks
the shared files show once or not at all (README.md of ../shared/data/notices)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secassist.notification.names import country_code
from secassist.notification.parse import FIELDS, parse_notice
from tests.conftest import SHARED_DATA

NOTICES = SHARED_DATA / "notices"
TEXTS = [f.read_text(encoding="utf-8") for f in sorted(NOTICES.glob("*.txt"))]
EXPECTED = [
    json.loads(line) for line in (NOTICES / "expected.jsonl").read_text().splitlines() if line.strip()
]


def _parse(path: Path) -> dict[str, Any]:
    return parse_notice(path.read_text(encoding="utf-8")).as_dict()


@pytest.mark.parametrize("expected", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_every_field_of_every_shared_notice(expected: dict[str, Any]) -> None:
    got = _parse(NOTICES / expected["file"])
    assert {f: got[f] for f in FIELDS} == {f: expected[f] for f in FIELDS}


def test_field_accuracy_over_the_shared_notices_is_complete() -> None:
    wrong = {f: [e["file"] for e in EXPECTED if _parse(NOTICES / e["file"])[f] != e[f]] for f in FIELDS}
    assert wrong == {f: [] for f in FIELDS}
    assert len(EXPECTED) == len(list(NOTICES.glob("*.txt")))


def test_same_notice_pairs_agree_on_transmittal_and_purchaser() -> None:
    by_file = {e["file"][:3]: e for e in EXPECTED}
    pairs = [(e["file"][:3], e["same_notice_as"]) for e in EXPECTED if e["same_notice_as"]]
    assert pairs
    for a, b in pairs:
        ga, gb = _parse(NOTICES / by_file[a]["file"]), _parse(NOTICES / by_file[b]["file"])
        for field in ("purchaser_country", "transmittal", "total_usd"):
            if ga[field] is not None and gb[field] is not None:
                assert ga[field] == gb[field], (a, b, field)


def p(text: str) -> dict[str, Any]:
    return parse_notice(text).as_dict()


def test_state_2026_letter_with_rsat_number_and_implementing_agency() -> None:
    text = """United States Department of State
Washington, D.C. 20520
February 3, 2026
Department Notification Number: RSAT 26-07
Dear Mr. Speaker: Pursuant to Section 36(b)(1) of the Arms Export Control Act, as amended,
the Department is transmitting the proposed Letter(s) of Offer and Acceptance to the
Government of the Czech Republic for defense articles and services estimated to cost
$410 million.
Implementing Agency: Navy
"""
    got = p(text)
    assert got["transmittal"] == "26-07"
    assert got["aeca_section"] == "36(b)(1)"
    assert got["purchaser"] == "Government of the Czech Republic"
    assert got["purchaser_country"] == "CZ"
    assert got["total_usd"] == 410_000_000
    assert got["implementing_agency"] == "Navy"
    assert got["date"] == "2026-02-03"


def test_dsaa_letter_of_the_1990s() -> None:
    text = """DEFENSE SECURITY ASSISTANCE AGENCY
Washington, DC.
Dear Mr. Speaker: Pursuant to the reporting requirements of Section 36(b)(1) of the Arms
Export Control Act, we are forwarding herewith Transmittal No. 97-21, concerning the Department
of the Army's proposed Letter(s) of Offer and Acceptance (LOA) to Egypt for defense articles and
services estimated to cost $ 72 million."""
    got = p(text)
    assert (got["transmittal"], got["purchaser"], got["purchaser_country"]) == ("97-21", "Egypt", "EG")
    assert got["implementing_agency"] == "Army"
    assert got["total_usd"] == 72_000_000
    assert got["mde_usd"] is None
    assert got["other_usd"] is None


def test_label_block_with_billion_ocr_damage_and_broken_value() -> None:
    text = """TRANSMITTAL NO. 26-1C
Notice of Proposed Issuance of Letter of Offer Pursuant to Section 36(b)(l) of the Arms Export Control Act
(i) Prospective Purchaser: Government of the Republic of
Korea
(ii)Total Estimated Value:
Major Defense Equipment?*
Other
TOTAL
$l.2 billion
$ 300.5
million
$1.5005 billion
* As defined in Section 47(6) of the Arms Export Control Act.
(iii) Description and Quantity or Quantities of Articles"""
    got = p(text)
    assert got["transmittal"] == "26-1C"
    assert got["aeca_section"] == "36(b)(1)"
    assert got["purchaser"] == "Government of the Republic of Korea"
    assert got["purchaser_country"] == "KR"
    assert (got["mde_usd"], got["other_usd"], got["total_usd"]) == (1_200_000_000, 300_500_000, 1_500_500_000)


def test_footnotes_before_and_inside_the_table_and_funding_source_asterisk() -> None:
    text = """Transmittal No. 18-0B
(i) Prospective Purchaser: Republic of Türkiye
(ii) Total Estimated Value:
* Funding Source: National Funds.
Major Defense Equipment*: $ 12.5 million.
Other: $ 7.5 million.
TOTAL: $ 20 million.
*As defined in Section 47(6) of the Arms Export Control Act."""
    got = p(text)
    assert got["purchaser_country"] == "TR"
    assert (got["mde_usd"], got["other_usd"], got["total_usd"]) == (12_500_000, 7_500_000, 20_000_000)


def test_amounts_without_units_in_dollars_and_plain_millions() -> None:
    text = """Transmittal No. 99-05
(i) Prospective Purchaser: United Arab Emirates
(ii) Total Estimated Value:
Major Defense Equipment* ........ $1,250,000,000
Other ........................... $250,000,000
Total ........................... $1,500,000,000
(iii) Description"""
    got = p(text)
    assert (got["mde_usd"], got["other_usd"], got["total_usd"]) == (1_250_000_000, 250_000_000, 1_500_000_000)
    assert got["purchaser_country"] == "AE"
    bare = p("(ii) Total Estimated Value: Major Defense Equipment* 45 Other 5 Total 50 (iii) x")
    assert (bare["mde_usd"], bare["other_usd"], bare["total_usd"]) == (45_000_000, 5_000_000, 50_000_000)


def test_tecro_long_form_runs_on_into_the_legal_clause() -> None:
    text = (
        "(i) Prospective Purchaser: Taipei Economic and Cultural Representative Office in\n"
        "the United States (TECRO) pursuant to the Taiwan Relations Act (P.L. 96-8)\n(ii) Total"
    )
    got = p(text)
    assert (
        got["purchaser"] == "Taipei Economic and Cultural Representative Office in the United States (TECRO)"
    )
    assert got["purchaser_country"] == "TW"


def test_nspa_and_nato_bodies() -> None:
    got = p("(i) Prospective Purchaser: NATO Support and Procurement Agency (NSPA) (ii) Total")
    assert got["purchaser"] == "NATO Support and Procurement Agency (NSPA)"
    assert got["purchaser_country"] == "NATO"


def test_press_release_today_and_day_first_dateline() -> None:
    text = """WASHINGTON, 17 July 2009 - The State Department has made a determination approving a possible
Foreign Military Sale to the Government of Iraq of M1A1 tanks and related support for an estimated
cost of $2.16 billion. The Defense Security Cooperation Agency delivered the required certification
notifying Congress of this possible sale today."""
    got = p(text)
    assert got["date"] == "2009-07-17"
    assert got["purchaser"] == "Government of Iraq"
    assert got["purchaser_country"] == "IQ"
    assert got["total_usd"] == 2_160_000_000
    assert got["transmittal"] is None
    assert got["aeca_section"] is None
    assert got["implementing_agency"] is None


def test_one_line_flattened_report_takes_its_own_number_not_the_parents() -> None:
    text = (
        "Dear Mr. Chairman: Pursuant to the reporting requirements of Section 36(b)(5)(C) of the Arms "
        "Export Control Act (AECA), as amended, we are forwarding Transmittal No. 21-0F. This notification "
        "relates to enhancements or upgrades from the level of sensitivity of technology or capability "
        "described in the Section 36(b)(1) AECA certification 15-12 of March 3, 2015. Transmittal No. 21-0F "
        "Report of Enhancement or Upgrade (i) Purchaser: Kingdom of Bahrain. (ii) Sec. 36(b)(1), AECA "
        "Transmittal No.: 15-12; Date: March 3, 2015; Implementing Agency: Navy."
    )
    got = p(text)
    assert (got["transmittal"], got["aeca_section"]) == ("21-0F", "36(b)(5)(C)")
    assert (got["purchaser"], got["purchaser_country"]) == ("Kingdom of Bahrain", "BH")
    assert got["implementing_agency"] == "Navy"
    assert got["date"] is None


def test_mirror_artefacts_and_transmittal_typo() -> None:
    text = """[GRAPHIC] [TIFF OMITTED] TN01JA20.000
BILLING CODE 5001-06-C
Contact [email protected] for details.
Transmittal N0. 20-11 concerning the Navy's proposed Letter(s) of Offer and Acceptance to the
Government [[Page S123]] of Japan for defense articles and services estimated to cost $1
[[Page S124]] billion."""
    got = p(text)
    assert got["transmittal"] == "20-11"
    assert got["purchaser"] == "Government of Japan"
    assert got["purchaser_country"] == "JP"
    assert got["total_usd"] == 1_000_000_000
    assert got["implementing_agency"] == "Navy"


def test_an_empty_or_unrelated_text_gives_nulls() -> None:
    assert set(p("").values()) == {None}
    assert set(p("Minutes of the meeting of 3 people, none about arms.").values()) == {None}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Korea", "KR"),
        ("Government of the Republic of Korea", "KR"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Czech Republic", "CZ"),
        ("UAE", "AE"),
        ("Kingdom of the Netherlands", "NL"),
        ("Government of the Netherlands", "NL"),
        ("Kingdom of Saudi Arabia.", "SA"),
        ("Hashemite Kingdom of Jordan", "JO"),
        ("North Atlantic Treaty Organization", "NATO"),
        ("Taipei Economic and Cultural Representative Office in the United States", "TW"),
        ("Atlantis", None),
    ],
)
def test_country_names(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_row_named_twice_and_fms_in_parentheses_and_newer_record_header() -> None:
    text = """Congressional Record, Volume 170 Issue 140 (Tuesday, September 10, 2024)
Transmittal No. 24-90
(i) Prospective Purchaser: Government of Israel
(ii) Total Estimated Value:
Major Defense Equipment (MDE)* .... $ 1.1 billion
Other ............................. $ 0.3 billion
TOTAL ............................. $ 1.4 billion
(iv) Military Department: U.S. Army (IS-B-ABC)"""
    got = p(text)
    assert (got["mde_usd"], got["other_usd"], got["total_usd"]) == (1_100_000_000, 300_000_000, 1_400_000_000)
    assert got["date"] == "2024-09-10"
    assert got["implementing_agency"] == "Army"
    release = p(
        "WASHINGTON, Dec. 2, 2025 - The State Department has approved a possible Foreign Military Sale (FMS) "
        "to the Government of Denmark of AIM-120 missiles for an estimated cost of $8.5 million."
    )
    assert (release["purchaser"], release["purchaser_country"]) == ("Government of Denmark", "DK")
    assert (release["date"], release["total_usd"]) == ("2025-12-02", 8_500_000)


def test_older_gpo_record_header_and_uppercase_purchaser_label() -> None:
    text = """[Congressional Record: July 17, 2009 (Senate)]
[Page S7634]
TRANSMITTAL NO. 09-23
(i) PROSPECTIVE PURCHASER: Government of Egypt
(ii) TOTAL ESTIMATED VALUE:
MAJOR DEFENSE EQUIPMENT* $ 100 MILLION
OTHER $ 50 MILLION
TOTAL $ 150 MILLION"""
    got = p(text)
    assert (got["date"], got["transmittal"], got["purchaser_country"]) == ("2009-07-17", "09-23", "EG")
    assert (got["mde_usd"], got["other_usd"], got["total_usd"]) == (100_000_000, 50_000_000, 150_000_000)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400), st.sampled_from(TEXTS))
def test_any_text_parses_without_error(noise: str, real: str) -> None:
    """Garbage, and real notices with garbage spliced in, never make the parser raise."""
    p(noise)
    cut = len(noise) % max(len(real), 1)
    got = p(real[:cut] + noise + real[cut:])
    assert got["date"] is None or len(got["date"]) == 10
