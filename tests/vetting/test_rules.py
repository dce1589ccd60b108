"""Each factor rule, pure: clear, concern and block, with dated cases."""

from __future__ import annotations

import pytest

from secassist.vetting.context import EndUseRecord, Holding, RegionalFacts
from secassist.vetting.findings import Outcome
from secassist.vetting.rules import FACTORS, RULES
from tests.vetting.factories import CLEAR, ctx, day, make_proposal, run


def party(name: str, role: str, country: str, screening: dict[str, str] | None = CLEAR) -> dict[str, object]:
    return {"name": name, "role": role, "country": country, "screening": screening}


# --- ITAR §126.1 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "on", "outcome", "signal"),
    [
        ("KH", "2025-11-06", Outcome.concern, "table_2"),  # Cambodia still in Table 2
        ("KH", "2025-11-07", Outcome.clear, "not_listed"),  # removed 7 Nov 2025
        ("NI", "2024-03-14", Outcome.clear, "not_listed"),  # added 15 Mar 2024
        ("NI", "2024-03-15", Outcome.concern, "table_2"),
        ("CN", "2025-06-01", Outcome.block, "table_1"),
        ("PL", "2025-06-01", Outcome.clear, "not_listed"),
    ],
)
def test_itar_126_1_as_of_the_proposal_date(country: str, on: str, outcome: Outcome, signal: str) -> None:
    f = run("itar_126_1", make_proposal(country, on))
    assert (f.outcome, f.signal) == (outcome, signal)
    if signal != "not_listed":
        assert f"itar_126_1:{country}:{signal}" in f.evidence
        assert "UNCONFIRMED" in f.rationale


def test_itar_checks_intermediaries_and_recipient_units_too() -> None:
    p = make_proposal("PL", intermediaries=[party("Shell Trading", "intermediary", "VE")])
    assert run("itar_126_1", p).outcome is Outcome.block
    p = make_proposal("PL", recipient_units=[{"name": "Unit", "country": "RU"}])
    assert run("itar_126_1", p).signal == "table_2"


def test_itar_outside_coverage_is_a_concern_not_a_guess() -> None:
    f = run("itar_126_1", make_proposal("PL", "2023-06-01"))
    assert (f.outcome, f.signal) == (Outcome.concern, "no_data")
    assert "outside the range" in f.rationale


# --- UN arms embargo -------------------------------------------------------------------


def test_un_arms_embargo_country_partial_and_dated() -> None:
    assert run("un_arms_embargo", make_proposal("KP")).outcome is Outcome.block
    assert run("un_arms_embargo", make_proposal("PL")).outcome is Outcome.clear
    # Somalia: country-wide until 1 Dec 2023, then al-Shabaab only.
    before = run("un_arms_embargo", make_proposal("SO", "2023-11-30"))
    after = run("un_arms_embargo", make_proposal("SO", "2023-12-01"))
    assert (before.signal, after.signal) == ("country_embargo", "partial_embargo")
    assert after.outcome is Outcome.concern
    assert "UNCONFIRMED" in after.rationale


# --- screening -------------------------------------------------------------------------


def test_screening_every_named_party() -> None:
    assert run("screening", make_proposal()).outcome is Outcome.clear
    fp = {"status": "false_positive", "screening_id": "s-9"}
    p = make_proposal(consignees=[party("Freight Co", "consignee", "DE", fp)])
    f = run("screening", p)
    assert f.outcome is Outcome.clear
    assert "screening:s-9" in f.evidence
    unresolved = {"status": "potential_match", "screening_id": "s-2"}
    p = make_proposal(intermediaries=[party("Broker Ltd", "intermediary", "AE", unresolved)])
    f = run("screening", p)
    assert (f.outcome, f.signal) == (Outcome.block, "unresolved_match")
    assert "Broker Ltd" in f.rationale
    assert "screening:s-2" in f.evidence
    p = make_proposal(end_users=[party("Army", "end_user", "PL", None)])
    assert run("screening", p).signal == "not_screened"
    p = make_proposal(end_users=[party("Army", "end_user", "PL", {"status": "true_match"})])
    assert run("screening", p).signal == "true_match"


# --- Leahy ---------------------------------------------------------------------------------


def unit(status: str, until: str | None = None) -> dict[str, object]:
    return {
        "name": "1st Brigade",
        "country": "PL",
        "unit_id": 1,
        "leahy": {"status": status, "vetting_id": 4, "valid_until": until},
    }


def test_leahy_applies_only_to_assistance() -> None:
    f = run("leahy", make_proposal(financing=["national"], recipient_units=[unit("denied")]))
    assert (f.outcome, f.signal) == (Outcome.clear, "not_applicable")
    for fin in (["fmf"], ["imet"], ["pko"], ["section_333"], ["national", "fmf"]):
        assert run("leahy", make_proposal(financing=fin)).signal == "no_units"


@pytest.mark.parametrize(
    ("status", "until", "outcome", "signal"),
    [
        ("approved", "2026-01-01", Outcome.clear, "approved"),
        ("approved", "2025-06-01", Outcome.concern, "not_vetted"),  # window ends on the date
        ("suspended", None, Outcome.concern, "suspended"),
        ("denied", None, Outcome.block, "denied"),
        ("none", None, Outcome.concern, "not_vetted"),
    ],
)
def test_leahy_unit_status(status: str, until: str | None, outcome: Outcome, signal: str) -> None:
    f = run("leahy", make_proposal(financing=["fmf"], recipient_units=[unit(status, until)]))
    assert (f.outcome, f.signal) == (outcome, signal)
    assert "leahy:vetting:4" in f.evidence


# --- human rights ---------------------------------------------------------------------------


def hr(assessment: str, mltn: bool = False, ak: bool = False) -> list[dict[str, object]]:
    return [
        {
            "factor": "human_rights",
            "assessment": assessment,
            "basis": "State HR report 2024",
            "reviewer": "DRL",
            "more_likely_than_not": mltn,
            "actual_knowledge": ak,
        }
    ]


def test_human_rights_more_likely_than_not_blocks_under_nsm_18_only() -> None:
    nsm18 = make_proposal("EG", "2024-06-01", determinations=hr("adverse", mltn=True))
    nspm10 = make_proposal("EG", "2025-06-01", determinations=hr("adverse", mltn=True))
    assert (run("human_rights", nsm18).outcome, run("human_rights", nsm18).signal) == (
        Outcome.block,
        "bright_line_met",
    )
    f = run("human_rights", nspm10)
    assert (f.outcome, f.signal) == (Outcome.concern, "risk_noted")
    assert "State HR report 2024" in f.rationale
    known = make_proposal("EG", "2025-06-01", determinations=hr("adverse", ak=True))
    assert run("human_rights", known).outcome is Outcome.block


def test_human_rights_needs_a_determination() -> None:
    assert run("human_rights", make_proposal()).signal == "no_determination"
    assert run("human_rights", make_proposal(determinations=hr("satisfactory"))).outcome is Outcome.clear


# --- diversion ------------------------------------------------------------------------------


def test_diversion_from_end_use_history() -> None:
    p = make_proposal("EG", "2025-06-01")
    assert run("diversion", p, ctx()).outcome is Outcome.clear
    rec = EndUseRecord(7, "EG", "unauthorized_transfer", day("2023-03-01"), "retransfer without consent")
    f = run("diversion", p, ctx(end_use=(rec,)))
    assert (f.outcome, f.signal) == (Outcome.concern, "unauthorized_transfer")
    assert "enduse:7" in f.evidence
    old = EndUseRecord(8, "EG", "incident", day("2015-01-01"), "lost NVDs")
    assert run("diversion", p, ctx(end_use=(old,))).signal == "none"  # outside the 5-year look-back
    fixed = EndUseRecord(
        9, "EG", "delinquent_inventory", day("2024-01-01"), "late", resolved_on=day("2024-06-01")
    )
    assert run("diversion", p, ctx(end_use=(fixed,))).signal == "resolved_only"


# --- technology security ------------------------------------------------------------------


def item(desc: str, cat: str | None, eeum: bool = False, mde: bool = True) -> dict[str, object]:
    return {
        "description": desc,
        "item_type": "x",
        "usml_category": cat,
        "eeum": eeum,
        "mde": mde,
        "value": "10",
    }


def test_technology_security_categories_and_eeum() -> None:
    assert run("technology_security", make_proposal()).outcome is Outcome.clear
    f = run("technology_security", make_proposal(items=[item("AIM-120 missiles", "IV")]))
    assert (f.outcome, f.signal) == (Outcome.concern, "missile_technology")
    assert (
        run("technology_security", make_proposal(items=[item("radios", "XI")])).signal == "sensitive_category"
    )
    f = run("technology_security", make_proposal(items=[item("Stinger missiles", "III")]))
    assert f.signal == "eeum_designated"
    assert "Stinger" in f.rationale
    assert (
        run("technology_security", make_proposal(items=[item("rifles", "I", eeum=True)])).signal
        == "eeum_designated"
    )


# --- regional stability ----------------------------------------------------------------------


def test_regional_stability_against_the_register() -> None:
    jets = [{"description": "F-16 Block 70", "item_type": "Fighter  Aircraft", "mde": True, "value": "100"}]
    p = make_proposal("PL", items=jets)
    assert run("regional_stability", p).signal == "no_register"
    new = RegionalFacts("test register", "EUR", {"fighter aircraft": ()})
    f = run("regional_stability", p, ctx(regional=new))
    assert (f.outcome, f.signal) == (Outcome.concern, "new_to_region")
    held = RegionalFacts(
        "test register", "EUR", {"fighter aircraft": (Holding("DE", "fighter aircraft", 1958, ("F-104G",)),)}
    )
    f = run("regional_stability", p, ctx(regional=held))
    assert (f.outcome, f.signal) == (Outcome.clear, "present_in_region")
    assert "DE" in f.rationale
    assert run("regional_stability", make_proposal("PL"), ctx(regional=new)).signal == "not_major"


# --- nonproliferation, capacity, burden sharing ---------------------------------------------


def det(factor: str, assessment: str) -> list[dict[str, object]]:
    return [{"factor": factor, "assessment": assessment, "basis": "ISN review", "reviewer": "ISN"}]


def test_nonproliferation_and_capacity_assessments() -> None:
    assert run("nonproliferation", make_proposal()).signal == "no_assessment"
    assert (
        run("nonproliferation", make_proposal(determinations=det("nonproliferation", "adverse"))).outcome
        is Outcome.block
    )
    assert (
        run("nonproliferation", make_proposal(determinations=det("nonproliferation", "satisfactory"))).outcome
        is Outcome.clear
    )
    assert run("partner_capacity", make_proposal()).signal == "not_required"  # no MDE
    mde = make_proposal(items=[item("tanks", "VII")])
    assert run("partner_capacity", mde).outcome is Outcome.concern
    assert (
        run(
            "partner_capacity",
            mde.model_copy(
                update={
                    "determinations": make_proposal(
                        determinations=det("partner_capacity", "doubts")
                    ).determinations
                }
            ),
        ).signal
        == "doubts"
    )


@pytest.mark.parametrize(
    ("country", "on", "signal", "outcome"),
    [
        ("PL", "2025-06-01", "nato", Outcome.clear),
        ("SE", "2024-03-06", "none", Outcome.concern),  # the day before Sweden's accession
        ("SE", "2024-03-07", "nato", Outcome.clear),
        ("JP", "2025-06-01", "mnna", Outcome.clear),
        ("TW", "2025-06-01", "mnna", Outcome.clear),  # treated as an MNNA
        ("NSPA", "2025-06-01", "nato_body", Outcome.clear),
        ("VN", "2025-06-01", "none", Outcome.concern),
    ],
)
def test_burden_sharing(country: str, on: str, signal: str, outcome: Outcome) -> None:
    f = run("burden_sharing", make_proposal(country, on))
    assert (f.signal, f.outcome) == (signal, outcome)


def test_every_factor_is_registered_and_cites_its_authority() -> None:
    assert {RULES[f].fn for f in RULES} == set(FACTORS)
    for spec in RULES.values():
        assert "[S" in spec.doc or "U.S.C." in spec.doc, spec.factor
