"""The matcher on the real lists: variants it must catch, names it must not, identifiers
decisive, every match explained."""

from __future__ import annotations

import pytest

from secassist.vetting.screening.entities import Identifier, ListEntity
from secassist.vetting.screening.matcher import (
    DEFAULT_THRESHOLD,
    Index,
    Query,
    build_index,
    score_tokens,
    slips,
)
from secassist.vetting.screening.normalize import raw_forms, tokens


def _ids(index: Index, query: str | Query) -> list[tuple[str, str]]:
    return [(m.list_name, m.entity_id) for m in index.match(query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Kalashnikov Concern", ("us_ofac_sdn", "16911")),  # exact
        ("kalashnikov concern", ("us_ofac_sdn", "16911")),  # case
        ("Concern Kalashnikov", ("us_ofac_sdn", "16911")),  # reordered
        ("Kalashnikov Koncern", ("us_ofac_sdn", "16911")),  # one typo
        ("Kalashnicov Concren", ("us_ofac_sdn", "16911")),  # two typos
        ("Rosoboronexport", ("us_ofac_sdn", "18782")),  # ks/x and legal suffix missing
        ("ROSOBORONEKSPORT, O.A.O.", ("us_ofac_sdn", "18782")),  # punctuation
        ("Muhammad Qadhafi", ("un_sc_sanctions", "LYi.012")),  # Mohammed/Muhammad + Qaddafi/Qadhafi
        ("Muammar Gaddafi", ("us_ofac_sdn", "12606")),  # Qaddafi/Gaddafi
        ("Aleksandr Zakharov", ("opensanctions", "NK-aU5ybkbRFJucf8YMwsJvDw")),  # Aleksandr/Alexander
        ("Ismail Haniya", ("us_ofac_cons", "9639")),  # missing middle names
        ("Mohammad Abu Jheisheh", ("us_ofac_cons", "9673")),
        ("Zala Aero LLC", ("opensanctions", "NK-abdzbEBkqyT29GyREbiURZ")),  # legal suffix added
        ("Defense Industries Organisation", ("us_ofac_sdn", "10153")),  # s/z spelling
        ("Korea Mining Development Trading Corporation", ("un_sc_sanctions", "KPe.001")),
        ("KOMID", ("un_sc_sanctions", "KPe.001")),  # an alias
        ("Захарова Мария", ("opensanctions", "NK-2Tbri3s6GgNtAwsSXh4qpL")),  # Cyrillic
    ],
)
def test_variants_match(index: Index, query: str, expected: tuple[str, str]) -> None:
    assert expected in _ids(index, query)


@pytest.mark.parametrize(
    "query",
    ["Peter Mueller", "Blue River Logistics GmbH", "Sakura Tanaka", "Evergreen Dental Studios", "John Doe"],
)
def test_clearly_different_names_do_not_match(index: Index, query: str) -> None:
    assert index.match(query) == []


def test_transliteration_pairs_score_high() -> None:
    weights: dict[str, float] = {}
    for a, b in [("Mohammed", "Muhammad"), ("Aleksandr", "Alexander"), ("Qaddafi", "Gaddafi")]:
        s = score_tokens(tokens(a), tokens(b), weights).score
        assert s >= DEFAULT_THRESHOLD, (a, b, s)
    assert score_tokens(tokens("Mohammed"), tokens("Mahmoud"), weights).score < DEFAULT_THRESHOLD


def test_identifier_is_decisive() -> None:
    index = build_index(
        [
            (
                "t",
                [
                    ListEntity(
                        "1",
                        "Alpha Shipping",
                        identifiers=[Identifier("Vessel Registration Identification IMO", "9187629")],
                    ),
                    ListEntity("2", "Beta Person", identifiers=[Identifier("Passport", "P0017003")]),
                ],
            )
        ]
    )
    hit = index.match(Query(names=["Completely Other Name"], identifiers=["IMO 9187629"]))
    assert [(m.entity_id, m.score) for m in hit] == [("1", 1.0)]
    assert hit[0].features[0].name == "identifier"
    assert [m.entity_id for m in index.match(Query(names=[], identifiers=["p-0017003"]))] == ["2"]
    assert index.match(Query(names=["Completely Other Name"], identifiers=["IMO 9999999"])) == []


def test_explanation_has_every_feature(index: Index) -> None:
    m = index.match("Kalashnikov Koncern")[0]
    names = [f.name for f in m.features]
    assert names[:7] == [
        "matched_name",
        "name_score",
        "token_alignment",
        "query_coverage",
        "name_coverage",
        "joined_similarity",
        "typing_slips",
    ]
    assert "koncern~concern" in m.features[2].detail
    assert all(0.0 <= f.value <= 1.0 for f in m.features[:7])
    assert 0.0 < m.score <= 1.0


def test_threshold_and_order(index: Index) -> None:
    loose = index.match("Muammar Gaddafi", threshold=0.5, limit=20)
    assert [m.score for m in loose] == sorted((m.score for m in loose), reverse=True)
    strict = index.match("Muammar Gaddafi", threshold=0.99)
    assert all(m.score >= 0.99 for m in strict)
    assert len(strict) < len(loose)


def test_slips_are_counted_on_the_whole_written_name() -> None:
    listed = [raw_forms("HATKAEW COMPANY LTD."), raw_forms("HATKAEW")]
    assert slips(raw_forms("Hatkaew Compnay Ldt"), listed) == (2, "hatkaewcompanyltd")  # transpositions
    assert slips(raw_forms("Ltd Compnay Hatkaew"), listed) == (1, "hatkaewcompanyltd")  # sorted form
    assert slips(raw_forms("Hatkaew Cmpny Ldt"), listed) is None  # three slips
    # The allowance grows with the length: none under 5 letters, two from 10.
    assert slips(raw_forms("Kubo"), [raw_forms("Kuba")]) is None
    assert slips(raw_forms("Kubam"), [raw_forms("Kuban")]) == (1, "kuban")
    assert slips(raw_forms("Bkan Agros"), [raw_forms("Kuban Agros")]) == (2, "kubanagros")
    assert slips(raw_forms("Bkan Agr"), [raw_forms("Kuban Ag")]) is None


def test_a_slip_in_a_dropped_word_still_matches() -> None:
    index = build_index(
        [
            (
                "t",
                [
                    ListEntity("1", "HATKAEW COMPANY LTD.", "Organization"),
                    ListEntity("2", "SHEIKH MOHAMMED, Amir Azam", "Person", aliases=["MOHAMMED, Amir Azam"]),
                    ListEntity("3", "SMITH, John", "Person"),
                ],
            )
        ]
    )
    assert _ids(index, "Hatkaew Compnay Ldt") == [("t", "1")]
    m = index.match("SHIEKH MOHAMMED Amir Azam")[0]
    assert m.entity_id == "2"
    assert m.features[-1].name == "typing_slips"
    assert "1 slips" in m.features[-1].detail
    assert index.match("Smith Jane") == []
