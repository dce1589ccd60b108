"""Ledger factories shared by the program, API and CLI tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from secassist.identity.policy import Principal
from secassist.programs import service
from secassist.programs.models import Appropriation

FY24_FROM, FY24_UNTIL = date(2024, 3, 23), date(2025, 9, 30)


def appropriation(
    session: Session,
    *,
    actor: Principal | None = None,
    program: str = "FMF",
    fiscal_year: int = 2024,
    amount: str = "1000000.00",
    available_from: date = FY24_FROM,
    available_until: date = FY24_UNTIL,
) -> Appropriation:
    appr, _ = service.create_appropriation(
        session,
        actor=actor,
        program=program,
        fiscal_year=fiscal_year,
        amount=amount,
        available_from=available_from,
        available_until=available_until,
    )
    return appr


def make_case(
    session: Session,
    *,
    purchaser: str = "PL",
    financing: str = "fmf",
    values: tuple[str, ...] = ("300000", "200000"),
) -> tuple[int, list[int]]:
    """A real FMS case (cases services, as the system) with one line per value; (case id, line ids)."""
    from secassist.cases import lors
    from secassist.cases import service as cases

    lor = lors.receive_lor(
        session, actor=None, purchaser=purchaser, request_type="loa", financing=financing,
        received_on=date(2024, 1, 5), reference_number=f"{purchaser}-LOR-{financing}",
        articles_services="test",
        end_users=["Army"],
    )  # fmt: skip
    case = cases.create_case(
        session, actor=None, lor_id=lor.id, implementing_agency="B", loa_type="defined_order",
        title=f"{purchaser} {financing} test case",
    )  # fmt: skip
    lines = [
        cases.add_line(
            session, actor=None, case_id=case.id, item_type="aircraft" if i == 0 else "training",
            description=f"line {i + 1}", quantity=1, unit_cost=v,
        ).id
        for i, v in enumerate(values)
    ]  # fmt: skip
    return case.id, lines


def case_target(case_id: int = 1, line_id: int = 1) -> service.Target:
    """A case line target; the default is line 1 of case 1 (the ``fms_cases`` fixture's PL case)."""
    return service.Target("case", case_id=case_id, case_line_id=line_id)


def training(reference: str = "IMET course 2025-07") -> service.Target:
    return service.Target("training", reference=reference)
