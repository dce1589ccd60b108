"""Recall points of issue #14 that must not bring false hits back: a short name within
typing slips, a short romanisation variant, and equal scores ranked by the written form."""

from __future__ import annotations

from secassist.vetting.screening.entities import ListEntity
from secassist.vetting.screening.matcher import Index, Match, build_index, near_exact


def _index() -> Index:
    ents = [
        ListEntity("omran", "OMRAN SAHEL", "Organization"),
        ListEntity("panya", "PANYA AG", "Organization"),
        ListEntity("lerma", "LERMA", "Organization"),
        ListEntity("namo", "NAMO GROUP", "Organization"),
        ListEntity("filler", "NORTHERN STAR SHIPPING", "Organization"),
    ]
    ents += [ListEntity(f"spaced-{i}", "AL NASER AIRLINES", "Organization") for i in range(6)]
    ents += [ListEntity(f"dashed-{i}", "AL-NASER AIRLINES", "Organization") for i in range(6)]
    ents.append(ListEntity("solid", "ALNASER AIRLINES", "Organization"))
    return build_index([("t", ents)])


def _feature(m: Match, name: str) -> tuple[float, str]:
    return next((f.value, f.detail) for f in m.features if f.name == name)


def test_a_two_word_name_within_typing_slips_pays_one_slips_worth_for_being_short() -> None:
    idx = _index()
    # Two slips in ten letters: within the allowance of the whole name as written.
    found = [m for m in idx.match("OMARN SHEL") if m.entity_id == "omran"]
    assert found, "two slips in a ten-letter two-word name are a typo, not another name"
    value, detail = _feature(found[0], "short_name")
    assert -0.05 < value < 0
    assert "within typing slips" in detail
    # Three slips are beyond the allowance: the full short-name cost holds it back.
    assert [m for m in idx.match("OMARN SHLEE") if m.entity_id == "omran"] == []


def test_a_short_romanisation_variant_is_one_word_but_a_slip_is_not() -> None:
    assert near_exact("pania", "panya")  # y / i: same length, same canonical spelling
    assert not near_exact("nammo", "namo")  # a letter dropped: another name
    assert not near_exact("terma", "lerma")
    idx = _index()
    assert [m.entity_id for m in idx.match("PANIA AG")] == ["panya"]
    assert idx.match("Terma A/S") == []
    assert idx.match("Nammo AS") == []


def test_equal_scores_rank_the_name_written_closest_first() -> None:
    idx = _index()
    got = idx.match("ALNASER AIRLINES", limit=3)
    assert [m.score for m in got] == [1.0, 1.0, 1.0]
    assert got[0].entity_id == "solid"
    # ... and the spaced spelling first for a spaced query.
    assert idx.match("AL NASER AIRLINES", limit=1)[0].entity_id == "spaced-0"
