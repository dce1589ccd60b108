"""The "funding available" offer gate and the fund-case workflow, on real cases (the cases
domain's services and ``case_facts``) and the program ledger."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import service as cases
from secassist.cases.facts import CaseFacts
from secassist.core.errors import ValidationFailedError
from secassist.programs import queries, service
from secassist.programs.errors import InsufficientFundsError
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.fund_case import fund_case, fund_case_by_id
from secassist.workflows.gate_funding import GATE
from secassist.workflows.gates import default_gates, gate_status
from tests.programs.factories import appropriation, make_case

ON = date(2024, 6, 1)


def _facts(sf: sessionmaker[Session], case_id: int) -> CaseFacts:
    with read_only(sf) as s:
        return cases.case_facts(s, case_id)


@pytest.fixture
def fmf(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as s:
        appr = appropriation(s, amount="1000000")
        service.allocate(
            s, actor=None, appropriation_id=appr.id, country="PL", amount="600000", on=date(2024, 4, 1)
        )
        return appr.id


def _case(
    sf: sessionmaker[Session], financing: str = "fmf", values: tuple[str, ...] = ("300000", "200000")
) -> CaseFacts:
    with unit_of_work(sf) as s:
        case_id, _ = make_case(s, purchaser="PL", financing=financing, values=values)
    return _facts(sf, case_id)


def _gate(sf: sessionmaker[Session], case: CaseFacts, on: date = ON) -> tuple[bool, str]:
    with read_only(sf) as s:
        r = GATE.check(s, case, on=on)
    return r.satisfied, r.reason


def test_the_gate_is_registered_and_national_funds_pass(session_factory: sessionmaker[Session]) -> None:
    assert [g.name for g in default_gates()] == ["vetting", "notification", "funding"]
    case = _case(session_factory, "national")
    with read_only(session_factory) as s:
        (result,) = [r for r in gate_status(s, case, on=ON) if r.gate == "funding"]
    assert result.satisfied
    assert "national funds" in result.reason.lower()


def test_fmf_case_needs_every_line_covered(session_factory: sessionmaker[Session], fmf: int) -> None:
    case = _case(session_factory, "fmf")
    first, second = (ln.line_id for ln in case.lines)
    assert _gate(session_factory, case) == (
        False,
        "FMF-financed: $0.00 of $500,000.00 obligated; $500,000.00 still to obligate on line(s) 001, 002.",
    )
    with unit_of_work(session_factory) as s:
        fund_case(
            s,
            actor=None,
            case=case,
            appropriation_id=fmf,
            on=ON,
            amounts={first: "300000.00", second: "150000"},
        )
    ok, reason = _gate(session_factory, case)
    assert not ok
    assert "$50,000.00 still to obligate on line(s) 002" in reason
    with unit_of_work(session_factory) as s:  # the default: each line's unfunded remainder
        (entry,) = fund_case_by_id(s, actor=None, case_id=case.case_id, appropriation_id=fmf, on=ON)
        assert (entry.case_line_id, entry.amount, entry.target) == (second, Decimal("50000.00"), "case")
    assert _gate(session_factory, case) == (True, "FMF-financed: $500,000.00 obligated covers every line.")
    assert not _gate(session_factory, case, date(2024, 5, 31))[0]  # as of the day before


def test_mixed_case_needs_some_fmf_and_no_line_over(session_factory: sessionmaker[Session], fmf: int) -> None:
    case = _case(session_factory, "mixed")
    first = case.lines[0].line_id
    assert _gate(session_factory, case) == (False, "Mixed financing: no FMF is obligated to the case yet.")
    with unit_of_work(session_factory) as s:
        fund_case(s, actor=None, case=case, appropriation_id=fmf, on=ON, amounts={first: "100000"})
    assert _gate(session_factory, case) == (
        True,
        "Mixed financing: $100,000.00 FMF obligated; the other $400,000.00 is national funds.",
    )
    # A line whose value shrank (a modification) below its FMF fails the gate.
    smaller = replace(case, lines=(replace(case.lines[0], value=Decimal("90000.00")), case.lines[1]))
    ok, reason = _gate(session_factory, smaller)
    assert not ok
    assert "line 001 ($100,000.00 > $90,000.00)" in reason


def test_fund_case_refuses_what_the_case_or_the_ledger_does_not_allow(
    session_factory: sessionmaker[Session], fmf: int
) -> None:
    case = _case(session_factory, "fmf")
    first = case.lines[0].line_id
    national = _case(session_factory, "national")
    for facts, amounts, field in [
        (national, None, "case_id"),
        (replace(case, purchaser_is_body=True, purchaser_code="NATO"), None, "case_id"),
        (case, {9999: "1"}, "case_line_id"),
        (case, {first: "300000.01"}, "amount"),
        (case, {first: "-1"}, "amount"),
    ]:
        with pytest.raises(ValidationFailedError) as info, unit_of_work(session_factory) as s:
            fund_case(s, actor=None, case=facts, appropriation_id=fmf, on=ON, amounts=amounts)
        assert info.value.field == field
    # $500,000 of lines against a $600,000 allocation is fine; a second such case is not,
    # and none of its lines is written.
    with unit_of_work(session_factory) as s:
        fund_case(s, actor=None, case=case, appropriation_id=fmf, on=ON)
    other = _case(session_factory, "fmf")
    with pytest.raises(InsufficientFundsError), unit_of_work(session_factory) as s:
        fund_case(s, actor=None, case=other, appropriation_id=fmf, on=ON)
    with read_only(session_factory) as s:
        assert queries.list_entries(s, actor=None, case_id=other.case_id) == []
    with unit_of_work(session_factory) as s:
        imet = appropriation(s, program="IMET")
    with pytest.raises(ValidationFailedError, match="not FMF"), unit_of_work(session_factory) as s:
        fund_case(s, actor=None, case=other, appropriation_id=imet.id, on=ON)
