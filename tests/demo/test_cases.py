"""The demo cases: built from the real notices' facts (checked against ../shared's
expected.jsonl), lines adding up to the notified values, idempotent, marked as demo data,
loaded from the packaged YAML only."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import secassist
from secassist.cases import service
from secassist.cases.models import Case, CaseLine
from secassist.demo.cases import DEMO_FILE, demo_cases, load_demo_cases
from secassist.demo.dataset import load_demo
from secassist.storage.uow import read_only, unit_of_work
from tests.conftest import SHARED_DATA
from tests.identity.conftest import audit_ok

__all__ = ["audit_ok"]


def _notices() -> dict[str, dict[str, object]]:
    lines = (SHARED_DATA / "notices" / "expected.jsonl").read_text().splitlines()
    return {n["file"]: n for n in map(json.loads, lines)}


def test_demo_cases_carry_the_notices_facts(
    session_factory: sessionmaker[Session], audit_ok: Callable[[], None]
) -> None:
    with unit_of_work(session_factory) as s:
        assert f"cases: {len(demo_cases().cases)} created, 0 present" in load_demo(s)
    with unit_of_work(session_factory) as s:
        assert load_demo_cases(s) == f"cases: 0 created, {len(demo_cases().cases)} present"
    notices = _notices()
    agency = {"Air Force": "D", "Army": "B", "Navy": "P", "Army Corps of Engineers": "B"}
    checked = 0
    with read_only(session_factory) as s:
        cases = {c.transmittal or c.title: c for c in s.scalars(select(Case))}
        assert all(c.is_demo for c in cases.values())
        assert all(ln.is_demo for ln in s.scalars(select(CaseLine)))
        for d in demo_cases().cases:
            if d.notice is None:
                continue
            n = notices[d.notice]
            case = cases[d.transmittal or d.title]
            facts = service.case_facts(s, case.id)
            assert d.transmittal == n["transmittal"]
            assert facts.purchaser_code == n["purchaser_country"]
            assert facts.total_value == Decimal(str(n["total_usd"] or n["other_usd"]))
            if n["mde_usd"] is not None:
                assert (facts.mde_value, facts.other_value) == (
                    Decimal(str(n["mde_usd"])),
                    Decimal(str(n["other_usd"])),
                )
            if n["implementing_agency"]:
                assert facts.implementing_agency == agency[str(n["implementing_agency"])]
            if n["date"]:
                assert str(d.notice_date) == n["date"]
            checked += 1
        assert checked == 17
        nato = cases["13-06"]
        assert (nato.identifier, nato.purchaser_is_body) == ("N4-D-AAA", True)
        assert service.case_facts(s, cases["16-80"].id).design_construction_value == Decimal("280000000.00")
    audit_ok()


def test_demo_reads_only_the_packaged_file() -> None:
    assert DEMO_FILE.is_relative_to(next(iter(secassist.__path__)))
    assert "shared" not in DEMO_FILE.parts
