"""Screening with context (issue #14): what the parsers keep from the real list files
(countries with their role, birth dates, identifiers, weak aliases), each context feature's
effect on a score with its explanation, the CLI's ``--input jsonl`` contract, and the
yente ``/match`` API passing schema, country and birth date through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.storage.uow import unit_of_work
from secassist.vetting.screening import service
from secassist.vetting.screening.entities import CountryRef, Identifier, ListEntity, ParsedList
from secassist.vetting.screening.matcher import COUNTRY_AGREE, TYPE_PENALTY, Index, Match, Query, build_index
from secassist.vetting.screening.parsers.common import birth_dates, country_code
from tests.support import run_cli_subprocess
from tests.vetting.screening.conftest import sanctions
from tests.vetting.screening.test_api import _token
from tests.vetting.screening.test_cli import _no_db_env


def _ents(parsed: dict[str, ParsedList], folder: str) -> dict[str, ListEntity]:
    return {e.entity_id: e for e in parsed[folder].entities}


def _feat(m: Match, name: str) -> float | None:
    return next((f.value for f in m.features if f.name == name), None)


def _hit(index: Index, q: Query | str, list_name: str, entity_id: str, **kw: Any) -> Match | None:
    return next(
        (m for m in index.match(q, **kw) if (m.list_name, m.entity_id) == (list_name, entity_id)), None
    )


# --- what the parsers keep --------------------------------------------------------


def test_dates_and_countries_as_lists_write_them() -> None:
    assert birth_dates("01 Jan 1970") == ["1970-01-01"]
    assert birth_dates("circa 1960") == ["1960"]
    assert birth_dates("1960 to 1962") == ["1960", "1961", "1962"]
    assert birth_dates("10/16/2017") == ["2017-10-16"]
    assert birth_dates("no date here") == []
    assert [country_code(c) for c in ("Russia", "Korea, North", "Iran", "PL", "undetermined")] == [
        "ru",
        "kp",
        "ir",
        "pl",
        None,
    ]


def test_ofac_keeps_address_countries_remarks_facts_and_weak_aliases(parsed: dict[str, ParsedList]) -> None:
    sdn = _ents(parsed, "ofac_sdn_2019-01")
    rosoboron = sdn["18782"]
    assert CountryRef("ru", "address") in rosoboron.countries  # add.csv: Moscow, Russia
    assert Identifier("Tax ID No.", "7718852163") in rosoboron.identifiers
    assert "BNC" in sdn["306"].weak_aliases
    assert "BNC" not in sdn["306"].aliases
    marzook = sdn["3754"]
    assert "1951-02-09" in marzook.birth_dates  # remarks "DOB 09 Feb 1951"
    assert "ABU-'UMAR" in marzook.weak_aliases
    nationals = [e for e in sdn.values() if CountryRef("kp", "nationality") in e.countries]
    assert nationals  # remarks "nationality Korea, North"
    cons = _ents(parsed, "ofac_consolidated_nonsdn_2025-12")
    assert CountryRef("ru", "address") in cons["18782"].countries  # cons_add.csv


def test_un_csl_dpl_and_ftm_keep_context(parsed: dict[str, ParsedList]) -> None:
    un = _ents(parsed, "un")
    gaston = un["CDi.003"]
    assert CountryRef("rw", "nationality") in gaston.countries
    assert CountryRef("cd", "address") in gaston.countries
    assert "1948" in gaston.birth_dates
    assert "Rumuli" in gaston.weak_aliases  # QUALITY Low
    assert any(c.code == "kp" for c in un["KPe.054"].countries)  # DPRK Ministry of National Defence
    # An entry giving no country takes its country regime's state, role "regime".
    dio = next(e for e in un.values() if e.name.upper().startswith("DEFENCE INDUSTRIES ORGANI"))
    assert dio.countries == [CountryRef("ir", "regime")]
    assert all(c.role != "regime" for c in gaston.countries)  # the list's own countries win
    thematic = [e for e in un.values() if e.programs == ["Al-Qaida"] and not e.countries]
    assert thematic  # Al-Qaida names no state: no country is made up
    ftm = _ents(parsed, "opensanctions_ftm")
    cst = next(e for e in ftm.values() if e.name == "LLC CST")
    assert CountryRef("ru", "jurisdiction") in cst.countries
    assert "2010-12-24" in cst.birth_dates  # incorporationDate
    assert any(i.value == "1091841000624" for i in cst.identifiers)
    dpl = parsed["bis_dpl"].entities
    assert sum(1 for e in dpl if e.countries) > 400
    csl = parsed["us_csl"].entities
    assert any(e.birth_dates for e in csl)
    assert any(e.countries for e in csl)


# --- each feature's effect on the score -------------------------------------------


def test_rosoboron_export_matches_at_the_default_threshold(index: Index) -> None:
    m = _hit(index, "Rosoboron Export", "us_ofac_sdn", "18782")
    assert m is not None
    assert m.score >= 0.9
    assert _feat(m, "joined_similarity") == 1.0


def test_allied_defence_bodies_with_their_country_are_not_matched(index: Index) -> None:
    # Same words as the DPRK's listed ministry: the name alone matches, the country does not.
    alone = _hit(
        index, Query(["Ministry of National Defence"], schema="Organization"), "un_sc_sanctions", "KPe.054"
    )
    assert alone is not None
    assert alone.score == 1.0
    for country in ("pl", "gb", "jp"):
        q = Query(["Ministry of National Defence"], schema="Organization", countries=[country])
        assert index.match(q) == [], country
    for name, country in (
        ("Aerospace Industries Organization", "us"),
        ("Ministry of Defence", "jp"),
        ("Defense Industries Organization", "it"),
    ):
        found = [
            (m.list_name, m.entity_id)
            for m in index.match(Query([name], schema="Organization", countries=[country]))
        ]
        assert ("us_ofac_sdn", "9348") not in found, name
        assert ("us_ofac_sdn", "10153") not in found, name
    # ... and with the listed country it still is, raised.
    kp = _hit(index, Query(["Ministry of National Defence"], countries=["KP"]), "un_sc_sanctions", "KPe.054")
    assert kp is not None
    assert _feat(kp, "country") == pytest.approx(COUNTRY_AGREE)


def test_country_costs_a_generic_name_more_than_a_distinctive_one(index: Index) -> None:
    rosoboron = _hit(index, Query(["Rosoboronexport"], countries=["pl"]), "us_ofac_sdn", "18782")
    assert rosoboron is not None
    assert rosoboron.score >= 0.85
    distinctive = _feat(rosoboron, "country")
    generic = _hit(
        index,
        Query(["Defense Industries Organization"], countries=["pl"]),
        "us_ofac_sdn",
        "10153",
        threshold=0.3,
    )
    assert generic is not None
    assert distinctive is not None
    generic_cost = _feat(generic, "country")
    assert generic_cost is not None
    assert generic_cost < distinctive < 0
    assert (_feat(generic, "information") or 0) < (_feat(rosoboron, "information") or 0)


def test_an_organisation_is_not_a_person_on_one_shared_name(index: Index) -> None:
    # Listed persons named Leonardo: one shared given name is not the person, even by name alone.
    assert index.match("Leonardo S.p.A.") == []
    near = index.match("Leonardo S.p.A.", threshold=0.3)
    assert any((_feat(m, "one_word_person") or 0) < 0 for m in near)
    typed = index.match(Query(["Leonardo S.p.A."], schema="Company"))
    assert typed == []
    low = index.match(Query(["Leonardo S.p.A."], schema="Company"), threshold=0.3)
    assert any(_feat(m, "schema") == -TYPE_PENALTY for m in low)


def _tiny() -> Index:
    return build_index(
        [
            (
                "t",
                [
                    ListEntity(
                        "1",
                        "KARIMOV, Rustam Aliyevich",
                        "Person",
                        birth_dates=["1971-03-04"],
                        countries=[CountryRef("uz", "nationality")],
                        weak_aliases=["Abu Ali"],
                    ),
                    ListEntity(
                        "2", "ORION MARITIME", "Organization", identifiers=[Identifier("IMO", "9123456")]
                    ),
                    ListEntity("3", "Sakhalin Trading", "Organization"),
                ],
            )
        ]
    )


def test_birth_date_identifiers_weak_alias_and_short_names() -> None:
    idx = _tiny()
    base = _hit(idx, Query(["Rustam Karimov"]), "t", "1")
    agree = _hit(idx, Query(["Rustam Karimov"], birth_dates=["1971"]), "t", "1")
    assert base is not None
    assert agree is not None
    assert agree.score > base.score
    assert _feat(agree, "birth_date") == pytest.approx(0.05)
    differ = _hit(idx, Query(["Rustam Karimov"], birth_dates=["1985-06-01"]), "t", "1", threshold=0.3)
    assert differ is not None
    assert differ.score < base.score
    assert _feat(differ, "birth_date") == -0.2
    # An identical strong identifier is a match whatever the name.
    ident = idx.match(Query(["Completely Different Shipping"], identifiers=["IMO 9123456"]))
    assert [(m.entity_id, m.score) for m in ident] == [("2", 1.0)]
    other = _hit(idx, Query(["Orion Maritime"], identifiers=["IMO 9999999"]), "t", "2")
    assert other is not None
    assert _feat(other, "identifiers") == -0.05
    # A weak alias alone never makes a match; with an agreeing birth date it may.
    assert idx.match(Query(["Abu Ali"])) == []
    assert idx.match(Query(["Abu Ali"], birth_dates=["1971-03-04"]))[0].entity_id == "1"
    # A two-word name needs a closer match: a slip costs more.
    slip = _hit(idx, "Sakhalin Tradinq", "t", "3", threshold=0.3)
    assert slip is not None
    assert (_feat(slip, "short_name") or 0) < 0


# --- the CLI contract and the API --------------------------------------------------


def test_cli_jsonl_contract(tmp_path: Path) -> None:
    lines = [
        {"schema": "Organization", "properties": {"name": ["Rosoboron Export"]}},
        {
            "schema": "Organization",
            "properties": {"name": ["Ministry of National Defence"], "country": ["pl"]},
        },
        {
            "schema": "Organization",
            "properties": {"name": ["Ministry of National Defence"], "country": ["kp"]},
        },
        {"schema": "Person", "properties": {"name": ["Gaston Iyamuremye"], "birthDate": ["1948-01-01"]}},
    ]
    args = ["screening", "match", "--input", "jsonl", "--format", "jsonl"]
    for f in ("ofac_sdn_2019-01", "un"):
        args += ["--list", str(sanctions(f))]
    proc = run_cli_subprocess(_no_db_env(tmp_path), *args, stdin="".join(json.dumps(x) + "\n" for x in lines))
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [o["query"] for o in out] == lines
    ids = [[(m["list"], m["entity_id"]) for m in o["matches"]] for o in out]
    assert ("us_ofac_sdn", "18782") in ids[0]
    assert ids[1] == []
    assert ids[2][0] == ("un_sc_sanctions", "KPe.054")
    assert out[2]["matches"][0]["features"]["country"] == COUNTRY_AGREE
    assert {"list", "entity_id", "name", "score", "features"} <= set(out[3]["matches"][0])
    assert out[3]["matches"][0]["features"]["birth_date"] == 0.05
    bad = run_cli_subprocess(_no_db_env(tmp_path), *args, stdin='{"schema": "Person"}\n')
    assert bad.returncode == 65
    assert "line 1" in bad.stderr


def test_api_passes_context(
    client: TestClient, session_factory: sessionmaker[Session], demo_db: None
) -> None:
    # Both lists: how generic a word is is read from the loaded lists themselves.
    with unit_of_work(session_factory) as s:
        service.load_list(s, actor=None, path=sanctions("un"))
        service.load_list(s, actor=None, path=sanctions("ofac_sdn_2019-01"))
    pm = _token(session_factory, "pm.officer")
    body = {
        "queries": {
            "pl": {
                "schema": "Organization",
                "properties": {"name": ["Ministry of National Defence"], "country": ["pl"]},
            },
            "kp": {
                "schema": "Organization",
                "properties": {"name": ["Ministry of National Defence"], "country": ["kp"]},
            },
        }
    }
    r = client.post("/api/v1/screening/match", json=body, headers=pm)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [x["id"] for x in out["responses"]["pl"]["results"]] == []
    kp = out["responses"]["kp"]["results"]
    assert kp[0]["id"] == "KPe.054"
    assert kp[0]["features"]["country"] == COUNTRY_AGREE
    assert "country" in out["matcher"]["features"]
    run = client.get(f"/api/v1/screening/screenings/{out['screening_id']}", headers=pm).json()
    assert [p["schema"] for p in run["query"]["parties"]] == ["Organization", "Organization"]
    assert [p["country"] for p in run["query"]["parties"]] == ["PL", "KP"]


def test_a_country_the_name_states_counts_as_the_query_country(index: Index) -> None:
    """ "... of Poland" says the country as plainly as a country field: by name alone the
    Polish ministry is not the DPRK's, while the bare name still is (nothing tells them
    apart), and a listed name holding the country word is not penalised for it."""
    assert _hit(index, "Ministry of National Defence", "un_sc_sanctions", "KPe.054") is not None
    assert _hit(index, "Ministry of National Defense of Poland", "un_sc_sanctions", "KPe.054") is None
    shown = _hit(index, "Korea Mining Development Trading Corporation", "un_sc_sanctions", "KPe.001")
    assert shown is not None
    assert (_feat(shown, "country") or 0.0) >= 0.0  # "korea" is in the listed name: no country said


def test_ofac_entry_without_country_takes_its_programs_state(parsed: dict[str, ParsedList]) -> None:
    from secassist.vetting.screening.parsers.ofac import regime_countries

    assert regime_countries(["SDGT", "SYRIA", "IRGC"]) == ["sy", "ir"]
    assert regime_countries(["SDNTK", "BALKANS", "UKRAINE-EO13660"]) == []
    sdn = parsed["ofac_sdn_2019-01"].entities
    regime = [e for e in sdn if any(c.role == "regime" for c in e.countries)]
    assert regime
    assert all(len({c.role for c in e.countries}) == 1 for e in regime)  # only when no other country


def test_one_word_names_need_a_near_exact_spelling(index: Index) -> None:
    # One short word plus a legal form is one slip from unrelated listed words.
    for name in ("Nammo AS", "MBDA", "Baykar"):
        assert all(
            m.score < 0.75 or m.matched_name.split()[0].lower() == name.split()[0].lower()
            for m in index.match(name)
        ), name
    assert _hit(index, "Rosoboronexport", "us_ofac_sdn", "18782") is not None


def test_a_country_named_in_the_query_is_read_as_written(index: Index) -> None:
    # "Norway" folds to "norvai" in canonical spelling; the country still counts.
    q = Query(["Ministry of National Defence of Norway"], schema="Organization")
    assert _hit(index, q, "un_sc_sanctions", "KPe.054") is None


def test_common_words_alone_do_not_make_a_match(index: Index) -> None:
    # "Army" is common among listed organisations: sharing it, and nothing informative, with
    # ARMY OF ISLAM or the NEW PEOPLE'S ARMY is no match, with or without a country.
    listed = [m for m in index.match("Army of Islam") if m.name == "ARMY OF ISLAM"]
    assert listed
    army = (listed[0].list_name, listed[0].entity_id)
    for q in (Query(["Iceland Army"]), Query(["Iceland Army"], schema="Organization", countries=["is"])):
        assert army not in [(m.list_name, m.entity_id) for m in index.match(q)]
        low = _hit(index, q, *army, threshold=0.3)
        assert low is not None
        assert low.score <= 0.7
        assert (_feat(low, "common_words") or 0) < 0
        assert "army" in next(f.detail for f in low.features if f.name == "common_words")
    for name in ("Philippines Army", "Egypt Army"):
        assert index.match(Query([name], schema="Organization")) == [], name
    # A typing slip in the informative word is still the listed name.
    slip = _hit(index, "Army of Islaam", *army)
    assert slip is not None
    assert _feat(slip, "common_words") is None


def test_an_allied_ministry_of_defence_is_generic_among_organisations(index: Index) -> None:
    # "Ministry" stands in few entries of all the lists, but among organisations it, like
    # "national" and "defence", is common: a disagreeing country costs the name almost the
    # whole generic penalty.
    for name, country in (
        ("Ministry of Defence", "dk"),
        ("Ministry of Defence", "no"),
        ("Ministry of Defence", "tr"),
        ("Ministry of National Defence", "pl"),
        ("Ministry of National Defense", "gr"),
    ):
        q = Query([name], schema="Organization", countries=[country])
        assert index.match(q) == [], (name, country)
        low = _hit(index, q, "un_sc_sanctions", "KPe.054", threshold=0.3)
        assert low is not None
        assert (_feat(low, "information") or 1.0) < 0.35
        assert (_feat(low, "country") or 0) <= -0.23


def test_a_whole_name_survives_another_country(index: Index) -> None:
    # Every word of a listed name of several words, written exactly or with one slip in a
    # long word: strong evidence whatever the country; the country still costs a little.
    for name, country, listed in (
        ("MARINE INFORMATION TECHNOLOGY DEVELOPMENT COMPANY", "pl", ("us_ofac_sdn", "25477")),
        ("KOREA COMPLEX EQUIPMENT IMPROT CORPORATION", "de", ("un_sc_sanctions", "KPe.019")),
    ):
        got = _hit(index, Query([name], schema="Organization", countries=[country]), *listed)
        assert got is not None, name
        assert (_feat(got, "country") or 0) < 0
        assert "the whole name matches" in next(f.detail for f in got.features if f.name == "country")
    # ... unless every word is list-common: then the country decides.
    q = Query(["Ministry of National Defence"], schema="Organization", countries=["pl"])
    low = _hit(index, q, "un_sc_sanctions", "KPe.054", threshold=0.3)
    assert low is not None
    assert low.score <= 0.7
    assert "weigh only" in next(f.detail for f in low.features if f.name == "country")


def test_a_slip_in_a_long_word_of_a_longer_name_is_the_word() -> None:
    from secassist.vetting.screening.matcher import typo_of
    from secassist.vetting.screening.normalize import token

    assert typo_of(token("shippuing"), token("shipping"))
    assert typo_of(token("sirjsanco"), token("sirjanco"))
    assert not typo_of(token("culb"), token("club"))  # short words stay strict
    assert typo_of(token("investmnetz"), token("investment"))  # two slips from 10 letters
    assert not typo_of(token("invsetmnetz"), token("investment"))  # three
    index = build_index([("t", [ListEntity("1", "SIRJANCO TRADING LLC", "Organization")])])
    assert index.match("SIRJSANCO TRADING LLC")
    one = build_index([("t", [ListEntity("1", "LERMA", "Organization")])])
    assert one.match("Terma A/S") == []  # a one-word name has no other word to confirm a slip


def test_one_word_does_not_match_a_longer_name_of_unknown_type(index: Index) -> None:
    assert not [m for m in index.match("Elettronica S.p.A.") if "ELECTRONICA" in m.name.upper()]
