"""Policy profiles: data validated on load, selection by date, evaluation and recommendation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secassist.core.errors import ReferenceDataError, ValidationFailedError
from secassist.vetting.findings import Finding, Office, Outcome, Recommendation, recommend
from secassist.vetting.ruleset import evaluate, get_ruleset, load_ruleset
from secassist.vetting.tables import DATA_DIR
from tests.vetting.factories import ctx, day, make_proposal


@pytest.mark.parametrize(
    ("on", "profile"),
    [
        ("2018-04-19", "nspm-10-2018"),
        ("2023-02-22", "nspm-10-2018"),
        ("2023-02-23", "nsm-18-2023"),
        ("2025-04-08", "nsm-18-2023"),
        ("2025-04-09", "eo-14268-2025"),
        ("2026-02-06", "america-first-2026"),
    ],
)
def test_the_proposal_date_picks_the_profile(on: str, profile: str) -> None:
    assert get_ruleset().for_date(day(on)).id == profile


def test_no_profile_before_nspm_10() -> None:
    with pytest.raises(ValidationFailedError, match="no policy profile"):
        get_ruleset().for_date(day("2018-04-18"))


def test_profiles_differ_in_the_human_rights_standard() -> None:
    rs = get_ruleset()
    std = {
        p.id: next(c for c in p.factors if c.factor == "human_rights").params["standard"] for p in rs.profiles
    }
    assert std == {
        "nspm-10-2018": "actual_knowledge",
        "nsm-18-2023": "more_likely_than_not",
        "eo-14268-2025": "actual_knowledge",
        "america-first-2026": "actual_knowledge",
    }


def _copy(tmp_path: Path) -> Path:
    for f in DATA_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path / "profiles.yaml"


def test_an_unmapped_signal_is_refused_naming_the_entry(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    path.write_text(path.read_text().replace("table_2: concern, ", ""))
    with pytest.raises(
        ReferenceDataError, match=r"profiles.yaml: entry factors.itar_126_1.outcomes: .*table_2"
    ):
        load_ruleset(tmp_path)


def test_a_gap_between_profiles_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    path.write_text(path.read_text().replace("until: 2023-02-23", "until: 2023-02-20"))
    with pytest.raises(ReferenceDataError, match="no gap or overlap"):
        load_ruleset(tmp_path)


def test_an_unknown_outcome_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    path.write_text(path.read_text().replace("table_1: block", "table_1: forbid"))
    with pytest.raises(
        ReferenceDataError, match=r"profiles\.yaml: entry factors\.itar_126_1\.outcomes\.table_1"
    ):
        load_ruleset(tmp_path)


def test_recommendation() -> None:
    def f(outcome: Outcome, office: Office) -> Finding:
        return Finding("x", outcome, "r", office=office)

    assert recommend([f(Outcome.clear, Office.human_rights)]) == (Recommendation.approve, ())
    assert recommend(
        [f(Outcome.concern, Office.technology_security), f(Outcome.concern, Office.political_military)]
    ) == (Recommendation.review, (Office.political_military, Office.technology_security))
    assert recommend([f(Outcome.concern, Office.human_rights), f(Outcome.block, Office.political_military)])[
        0
    ] is (Recommendation.deny)


def test_evaluate_runs_every_factor_of_the_profile() -> None:
    p = make_proposal("CN", "2025-06-01")
    result = evaluate(p, ctx(), get_ruleset().for_date(p.date))
    assert result.profile.id == "eo-14268-2025"
    assert [x.factor for x in result.findings] == [c.factor for c in result.profile.factors]
    assert result.recommendation is Recommendation.deny
    assert all(x.authority for x in result.findings)
