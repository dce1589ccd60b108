"""Demo FMS cases: built from the public 36(b)(1) notices, with invented lines and milestones.

Reads only the packaged ``secassist/demo/cases.yaml`` (``make run`` works without
``../shared``). Each case goes through the case services as the system, so every step is
audited; the file's ``invented`` lists say which facts are not from the notice, and every
LOR, case and line is flagged ``is_demo``. Loading twice changes nothing (a case is
matched by its LOR reference ``DEMO …``).

Offers in the demo are history taken from the public record (the notice was sent), so
they are imported with the gates marked as consulted rather than asked again today; the
offer event's note says so.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.cases import lifecycle, lors, service
from secassist.cases.lifecycle import Status
from secassist.cases.models import Lor
from secassist.core.clock import Clock, SystemClock
from secassist.identity.models import Organization
from secassist.reference.loader import load_file

DEMO_FILE = Path(__file__).resolve().parents[1] / "demo" / "cases.yaml"
CONTRACTOR_ORG = "Northwind Defense Systems (demo prime contractor)"

# Days after the LOR's receipt on which each status is reached (invented for the demo; the
# offer falls 35 days after the notice, i.e. after the 30-day review).
OFFSETS: dict[Status, int] = {
    Status.lor_received: 0,
    Status.lor_complete: 20,
    Status.in_development: 25,
    Status.written: 60,
    Status.reviewed: 75,
    Status.proposed: 90,
    Status.offered: 185,
    Status.accepted: 220,
    Status.implemented: 250,
    Status.supply_services_complete: 400,
    Status.closed: 500,
}
NOTICE_TO_RECEIPT = 150  # the notice is dated 150 days after the LOR's receipt (invented)
OED_DAYS = 90
LINES_ON = 30


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoLine(_Strict):
    item_type: str
    description: str
    quantity: int
    unit_cost: Decimal
    usml_category: str | None = None
    mde: bool = False
    sme: bool = False
    contractor: Literal["demo"] | None = None


class DemoValues(_Strict):
    mde: Decimal | None
    other: Decimal | None
    total: Decimal


class DemoCase(_Strict):
    transmittal: str | None
    notice: str | None
    purchaser: str
    notice_date: date | None = None
    assumed_date: date | None = None
    days_ago: int | None = None
    implementing_agency: str
    invented: list[str]
    title: str
    financing: str
    loa_type: str
    aod_group: str | None
    values: DemoValues
    status: Status
    lines: list[DemoLine]

    @model_validator(mode="after")
    def _lines_add_up(self) -> DemoCase:
        total = sum((ln.unit_cost * ln.quantity for ln in self.lines), Decimal(0))
        mde = sum((ln.unit_cost * ln.quantity for ln in self.lines if ln.mde), Decimal(0))
        if total != self.values.total:
            raise ValueError(f"lines add up to {total}, not the notified total {self.values.total}")
        if self.values.mde is not None and mde != self.values.mde:
            raise ValueError(f"MDE lines add up to {mde}, not the notified MDE value {self.values.mde}")
        if [self.notice_date, self.assumed_date, self.days_ago].count(None) != 2:
            raise ValueError("give exactly one of notice_date, assumed_date, days_ago")
        return self


class DemoFile(_Strict):
    dataset: Literal["demo_cases"]
    title: str
    source: str
    note: str
    cases: list[DemoCase]


@lru_cache(maxsize=1)
def demo_cases() -> DemoFile:
    """The packaged demo cases, validated (each case's lines add up to its notified values)."""
    parsed, _ = load_file(DemoFile, DEMO_FILE.name, DEMO_FILE.parent)
    return parsed


def reference_of(c: DemoCase, index: int) -> str:
    return f"DEMO {c.transmittal}" if c.transmittal else f"DEMO {c.purchaser}-{index:02d}"


def _received_on(c: DemoCase, today: date) -> date:
    if c.days_ago is not None:  # reach the target status ``days_ago`` days before today
        return today - timedelta(days=c.days_ago + OFFSETS.get(c.status, OFFSETS[Status.offered]))
    notice = c.notice_date or c.assumed_date
    assert notice is not None
    return notice - timedelta(days=NOTICE_TO_RECEIPT)


def _path(target: Status) -> list[Status]:
    if target is Status.cancelled:  # the demo's cancelled case was offered, then cancelled
        return [*lifecycle.MAIN_LINE[1:7], Status.cancelled]
    main = lifecycle.MAIN_LINE
    return list(main[1 : main.index(target) + 1])


def _load_one(session: Session, c: DemoCase, index: int, contractor_id: int | None, clock: Clock) -> None:
    today = clock.today()
    start = _received_on(c, today)
    where = f"notice {c.notice}, transmittal {c.transmittal}" if c.notice else "invented case"
    lor = lors.receive_lor(
        session, actor=None, purchaser=c.purchaser, request_type="loa", financing=c.financing,
        received_on=start, reference_number=reference_of(c, index), articles_services=c.title,
        end_users=["Armed forces (demo)"], loa_type=c.loa_type, is_demo=True, clock=clock,
        desired_value=c.values.total if c.loa_type == "blanket_order" else None,
    )  # fmt: skip
    case = service.create_case(
        session, actor=None, lor_id=lor.id, implementing_agency=c.implementing_agency, loa_type=c.loa_type,
        title=c.title, aod_group=c.aod_group, transmittal=c.transmittal, is_demo=True, clock=clock,
    )  # fmt: skip
    for target in _path(c.status):
        day = start + timedelta(days=OFFSETS.get(target, OFFSETS[Status.offered] + 10))
        if day > today:
            break
        if target is Status.written:  # lines were drafted in development, before writing
            _add_lines(session, c, case.id, start + timedelta(days=LINES_ON), contractor_id, clock)
        if target is Status.supply_services_complete:
            for line in service.lines_of(session, case.id):
                service.complete_line(
                    session, actor=None, case_id=case.id, line_id=line.id, on=day, clock=clock
                )
            continue
        offered = target is Status.offered
        deposit = (c.values.total / 10).quantize(Decimal("0.01")) if target is Status.accepted else None
        service.advance(
            session, actor=None, case_id=case.id, to=target.value, on=day, clock=clock, gates_checked=offered,
            offer_expires_on=day + timedelta(days=OED_DAYS) if offered else None, initial_deposit=deposit,
            note=f"demo: {where}" + ("; offer imported from the public record" if offered else ""),
        )  # fmt: skip
    if c.status is Status.in_development and start + timedelta(days=LINES_ON) <= today:
        _add_lines(session, c, case.id, start + timedelta(days=LINES_ON), contractor_id, clock)


def _add_lines(
    session: Session, c: DemoCase, case_id: int, on: date, contractor_id: int | None, clock: Clock
) -> None:
    for ln in c.lines:
        service.add_line(
            session, actor=None, case_id=case_id, item_type=ln.item_type, description=ln.description,
            quantity=ln.quantity, unit_cost=str(ln.unit_cost), usml_category=ln.usml_category, mde=ln.mde,
            sme=ln.sme, contractor_org_id=contractor_id if ln.contractor else None, on=on, is_demo=True,
            clock=clock,
        )  # fmt: skip


def load_demo_cases(session: Session, *, clock: Clock | None = None) -> str:
    """Load the demo cases that are not there yet (matched by LOR reference); never commits."""
    c = clock or SystemClock()
    data = demo_cases()
    present = set(session.scalars(select(Lor.reference_number).where(Lor.is_demo.is_(True))))
    contractor_id = session.scalar(select(Organization.id).where(Organization.name == CONTRACTOR_ORG))
    created = 0
    for i, case in enumerate(data.cases):
        if reference_of(case, i) in present:
            continue
        _load_one(session, case, i, contractor_id, c)
        created += 1
    return f"cases: {created} created, {len(data.cases) - created} present"
