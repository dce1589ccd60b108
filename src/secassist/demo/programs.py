"""Demo program funds from ``src/secassist/demo/programs.yaml``, written through the
program services (each write audited). Idempotent: an appropriation whose title is already
in the database is skipped with everything under it."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.programs import service
from secassist.programs.models import Appropriation
from secassist.reference.loader import parse, read_yaml

DEMO_FILE = Path(str(resources.files("secassist") / "demo" / "programs.yaml"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoExpenditure(_Strict):
    amount: str
    dated: date
    reference: str | None = None
    memo: str | None = None


class DemoObligation(_Strict):
    amount: str
    dated: date
    target: Literal["case", "training", "unit"]
    reference: str | None = None
    case_id: int | None = None
    case_line_id: int | None = None
    recipient_unit_id: int | None = None
    memo: str | None = None
    expenditures: tuple[DemoExpenditure, ...] = ()


class DemoAllocation(_Strict):
    country: str
    amount: str
    dated: date
    memo: str | None = None
    obligations: tuple[DemoObligation, ...] = ()


class DemoAppropriation(_Strict):
    title: str
    program: str
    fiscal_year: int
    amount: str
    available_from: date
    available_until: date
    citation: str | None = None
    source: str
    status: Literal["confirmed", "UNCONFIRMED"]
    note: str | None = None
    allocations: tuple[DemoAllocation, ...] = ()


class DemoProgramsFile(_Strict):
    dataset: Literal["demo_programs"]
    title: str
    appropriations: tuple[DemoAppropriation, ...] = Field(min_length=1)


def load_demo_programs(session: Session, path: Path | None = None) -> str:
    """Write the demo appropriations (and their allocations, obligations, expenditures)
    that are not there yet. Never commits."""
    path = path or DEMO_FILE
    raw, _ = read_yaml(path)
    demo = parse(DemoProgramsFile, raw, path)
    present = set(session.scalars(select(Appropriation.title)))
    created = entries = 0
    for a in demo.appropriations:
        if a.title in present:
            continue
        appr, _ = service.create_appropriation(
            session,
            actor=None,
            program=a.program,
            fiscal_year=a.fiscal_year,
            amount=a.amount,
            available_from=a.available_from,
            available_until=a.available_until,
            title=a.title,
            legal_citation=a.citation,
            source=a.source,
            status=a.status,
            note=a.note,
        )
        created += 1
        entries += 1
        for al in a.allocations:
            service.allocate(
                session,
                actor=None,
                appropriation_id=appr.id,
                country=al.country,
                amount=al.amount,
                on=al.dated,
                memo=al.memo,
            )
            entries += 1
            for ob in al.obligations:
                target = service.Target(
                    ob.target,
                    case_id=ob.case_id,
                    case_line_id=ob.case_line_id,
                    recipient_unit_id=ob.recipient_unit_id,
                    reference=ob.reference,
                )
                o = service.obligate(
                    session,
                    actor=None,
                    appropriation_id=appr.id,
                    country=al.country,
                    amount=ob.amount,
                    on=ob.dated,
                    target=target,
                    memo=ob.memo,
                )
                entries += 1
                for ex in ob.expenditures:
                    service.expend(
                        session,
                        actor=None,
                        obligation_id=o.id,
                        amount=ex.amount,
                        on=ex.dated,
                        reference=ex.reference,
                        memo=ex.memo,
                    )
                    entries += 1
    return (
        f"program appropriations: {created} created, {len(demo.appropriations) - created} present "
        f"({entries} ledger entries)"
    )
