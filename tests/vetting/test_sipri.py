"""Importing the real SIPRI trade register (../shared/data/sipri), and regional stability
judged against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.errors import ValidationFailedError
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting import queries, service, sipri
from secassist.vetting.decisions_models import SipriHolding
from tests.conftest import SHARED_DATA
from tests.vetting.factories import People, make_proposal

FULL = SHARED_DATA / "sipri" / "sipri_trade_register_1950-2023.csv"
US_SUBSET = SHARED_DATA / "sipri" / "sipri_trade_register_us_supplier_2015-2023.csv"


def test_parse_the_full_register_rejoining_broken_records() -> None:
    reg = sipri.parse_register(FULL)
    # 27,949 well-formed lines plus the two records broken by an unquoted newline.
    assert reg.records == 27_951
    assert reg.generated.startswith("5 Nov 2024")
    assert "United Nations**" in reg.unmapped
    assert "Soviet Union" in reg.unmapped
    assert reg.holdings[("PL", "fighter aircraft")].first_year <= 1960
    assert ("AE", "fga aircraft") in reg.holdings  # "UAE"
    assert ("KR", "fighter aircraft") in reg.holdings  # "South Korea"
    assert any(k[0] == "TH" and "BTR-3" in "".join(v.designations) for k, v in reg.holdings.items())


def test_a_truncated_register_is_refused_naming_the_line(tmp_path: Path) -> None:
    lines = US_SUBSET.read_bytes().split(b"\n")
    bad = tmp_path / "cut.csv"
    bad.write_bytes(b"\n".join([*lines[:20], lines[20][:30]]))
    with pytest.raises(ValidationFailedError, match=r"cut\.csv: line 21: expected 16 fields"):
        sipri.parse_register(bad)
    notes = tmp_path / "notes.csv"
    notes.write_text("hello\n")
    with pytest.raises(ValidationFailedError, match="no SIPRI trade-register header"):
        sipri.parse_register(notes)


def test_import_and_judge_a_capability_new_to_the_region(
    session_factory: sessionmaker[Session], people: People
) -> None:
    with unit_of_work(session_factory) as s:
        imp = sipri.import_register(s, actor=people.state, path=US_SUBSET)
        assert imp.records == 892
        assert json.loads(imp.unmapped_recipients)  # e.g. "NATO**"
    with unit_of_work(session_factory) as s:
        imp = sipri.import_register(s, actor=people.state, path=FULL)  # replaces the subset
        assert s.scalar(select(func.count()).select_from(SipriHolding)) == imp.holdings
        jets = [{"description": "F-16", "item_type": "fighter aircraft", "mde": True, "value": "1"}]
        pid = service.create_proposal(s, actor=people.state, proposal=make_proposal("PL", items=jets)).id
        d = service.evaluate_proposal(s, actor=people.state, proposal_id=pid)
        f = {f.factor: f for f in queries.findings_of(s, d.id)}["regional_stability"]
        assert (f.outcome, f.signal) == ("clear", "present_in_region")
        odd = [{"description": "X", "item_type": "orbital laser", "sme": True, "value": "1"}]
        pid = service.create_proposal(s, actor=people.state, proposal=make_proposal("PL", items=odd)).id
        d = service.evaluate_proposal(s, actor=people.state, proposal_id=pid)
        f = {f.factor: f for f in queries.findings_of(s, d.id)}["regional_stability"]
        assert (f.outcome, f.signal) == ("concern", "new_to_region")
        assert "sipri_trade_register_1950-2023.csv" in f.rationale
    with read_only(session_factory) as s:
        assert sipri.latest_import(s) is not None
