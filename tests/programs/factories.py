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


def case_target(case_id: int = 1, line_id: int = 1) -> service.Target:
    return service.Target("case", case_id=case_id, case_line_id=line_id)


def training(reference: str = "IMET course 2025-07") -> service.Target:
    return service.Target("training", reference=reference)
