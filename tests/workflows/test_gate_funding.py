"""The "funding available" offer gate and the fund-case workflow, against CaseFacts built
here (the cases domain provides them from the database once it lands)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.facts import CaseFacts, LineFacts
from secassist.core.errors import ValidationFailedError
from secassist.programs import service
from secassist.programs.errors import InsufficientFundsError
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.fund_case import fund_case
from secassist.workflows.gate_funding import GATE
from secassist.workflows.gates import default_gates, gate_status
from tests.programs.factories import appropriation

ON = date(2024, 6, 1)


def _line(line_id: int, number: str, value: str) -> LineFacts:
    v = Decimal(value)
    return LineFacts(line_id, number, "article", "demo line", "IV", True, True, False, 1, v, v, None)


def _case(financing: str = "fmf", case_id: int = 501) -> CaseFacts:
    lines = (_line(1, "001", "300000.00"), _line(2, "002", "200000.00"))
    return CaseFacts(
        case_id=case_id,
        identifier="PL-B-ZZZ",
        version=1,
        status="proposed",
        purchaser_code="PL",
        purchaser_is_body=False,
        financing=financing,
        implementing_agency="B",
        loa_type="defined_order",
        end_users=("PL",),
        lines=lines,
        mde_value=Decimal("500000.00"),
        other_value=Decimal(0),
        total_value=Decimal("500000.00"),
        design_construction_value=Decimal(0),
        lor_complete_on=date(2024, 1, 5),
    )


@pytest.fixture
def fmf(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as s:
        appr = appropriation(s, amount="1000000")
        service.allocate(
            s, actor=None, appropriation_id=appr.id, country="PL", amount="600000", on=date(2024, 4, 1)
        )
        return appr.id


def _gate(sf: sessionmaker[Session], case: CaseFacts, on: date = ON) -> tuple[bool, str]:
    with read_only(sf) as s:
        r = GATE.check(s, case, on=on)
    return r.satisfied, r.reason


def test_the_gate_is_registered(session_factory: sessionmaker[Session]) -> None:
    assert [g.name for g in default_gates()] == ["funding"]
    with read_only(session_factory) as s:
        (result,) = gate_status(s, _case("national"), on=ON)
    assert result.satisfied
    assert "national funds" in result.reason.lower()


def test_fmf_case_needs_every_line_covered(session_factory: sessionmaker[Session], fmf: int) -> None:
    case = _case("fmf")
    assert _gate(session_factory, case) == (
        False,
        "FMF-financed: $0.00 of $500,000.00 obligated; $500,000.00 still to obligate on line(s) 001, 002.",
    )
    with unit_of_work(session_factory) as s:
        fund_case(
            s, actor=None, case=case, appropriation_id=fmf, on=ON, amounts={1: "300000.00", 2: "150000"}
        )
    ok, reason = _gate(session_factory, case)
    assert not ok
    assert "$50,000.00 still to obligate on line(s) 002" in reason
    with unit_of_work(session_factory) as s:  # the default: each line's unfunded remainder
        (entry,) = fund_case(s, actor=None, case=case, appropriation_id=fmf, on=ON)
        assert (entry.case_line_id, entry.amount, entry.target) == (2, Decimal("50000.00"), "case")
    assert _gate(session_factory, case) == (True, "FMF-financed: $500,000.00 obligated covers every line.")
    # As of the day before, nothing was obligated yet.
    assert not _gate(session_factory, case, date(2024, 5, 31))[0]


def test_mixed_case_needs_some_fmf_and_no_line_over(session_factory: sessionmaker[Session], fmf: int) -> None:
    case = _case("mixed", case_id=502)
    assert _gate(session_factory, case) == (False, "Mixed financing: no FMF is obligated to the case yet.")
    with unit_of_work(session_factory) as s:
        fund_case(s, actor=None, case=case, appropriation_id=fmf, on=ON, amounts={1: "100000"})
    assert _gate(session_factory, case) == (
        True,
        "Mixed financing: $100,000.00 FMF obligated; the other $400,000.00 is national funds.",
    )
    # A line whose value shrank (a modification) below its FMF fails the gate.
    smaller = replace(case, lines=(_line(1, "001", "90000.00"), case.lines[1]))
    ok, reason = _gate(session_factory, smaller)
    assert not ok
    assert "line 001 ($100,000.00 > $90,000.00)" in reason


def test_fund_case_refuses_what_the_case_or_the_ledger_does_not_allow(
    session_factory: sessionmaker[Session], fmf: int
) -> None:
    for case, amounts, field in [
        (_case("national"), None, "case_id"),
        (replace(_case(), purchaser_is_body=True, purchaser_code="NATO"), None, "case_id"),
        (_case(), {9: "1"}, "case_line_id"),
        (_case(), {1: "300000.01"}, "amount"),
        (_case(), {1: "-1"}, "amount"),
    ]:
        with pytest.raises(ValidationFailedError) as info, unit_of_work(session_factory) as s:
            fund_case(s, actor=None, case=case, appropriation_id=fmf, on=ON, amounts=amounts)
        assert info.value.field == field
    # $500,000 of lines against a $600,000 allocation is fine; a second case beyond the rest is not,
    # and none of its lines is written.
    with unit_of_work(session_factory) as s:
        fund_case(s, actor=None, case=_case(), appropriation_id=fmf, on=ON)
    with pytest.raises(InsufficientFundsError), unit_of_work(session_factory) as s:
        fund_case(s, actor=None, case=_case(case_id=777), appropriation_id=fmf, on=ON)
    with read_only(session_factory) as s:
        assert service.list_entries(s, actor=None, case_id=777) == []
    with unit_of_work(session_factory) as s:
        imet = appropriation(s, program="IMET")
    with pytest.raises(ValidationFailedError, match="not FMF"), unit_of_work(session_factory) as s:
        fund_case(s, actor=None, case=_case(case_id=778), appropriation_id=imet.id, on=ON)
