"""Demo FMS cases: built from the public 36(b)(1) notices, with invented lines and milestones.

Reads only the packaged ``secassist/demo/cases.yaml`` (``make run`` works without
``../shared``). Each case goes through the case services as the system, so every step is
audited; the file's ``invented`` lists say which facts are not from the notice, and every
LOR, case and line is flagged ``is_demo``. Loading twice changes nothing (a case is
matched by its LOR reference ``DEMO …``).

A case is offered the way the system offers any case: through the offer workflow
(:func:`secassist.workflows.offer.offer_case`), after its gates were met on dates in the
past — the case vetted (:func:`~secassist.workflows.vetting_case.vet_case`, the required
offices' sign-offs, the final approval), its notification formally notified on the notice's
date (so the review period has run, AECA §36(b)(1)), and FMF obligated to its lines when FMF
pays (:func:`~secassist.workflows.fund_case.fund_case`). An offer made before the first
policy profile the vetting engine encodes cannot be vetted here; it is imported from the
public record instead, with the reason in the offer event's note (``IMPORTED``), and its
notification is still formally notified on the notice's date.
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
from secassist.core.errors import ValidationFailedError
from secassist.demo import people
from secassist.identity.models import Organization
from secassist.notification import service as notification
from secassist.notification.thresholds import load_thresholds, requirement
from secassist.programs.models import Appropriation
from secassist.reference.loader import load_file
from secassist.vetting import queries as vetting_queries
from secassist.vetting import service as vetting
from secassist.vetting.ruleset import get_ruleset
from secassist.workflows.fund_case import fund_case
from secassist.workflows.notification_case import prepare_for_case, purchaser_name
from secassist.workflows.offer import offer_case
from secassist.workflows.vetting_case import vet_case

DEMO_FILE = Path(__file__).resolve().parent / "cases.yaml"
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
NOTICE_TO_OFFER = OFFSETS[Status.offered] - NOTICE_TO_RECEIPT  # 35 days: after the 30-day review
OED_DAYS = 90
LINES_ON = 30
VETTED_ON = OFFSETS[Status.proposed]  # vetted, and FMF obligated, when the case is proposed
# The offer event's note marks an offer the gates did not check (see the module docstring).
IMPORTED = "offer imported from the public record"


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
    fmf_from: str | None = None  # title of the FMF appropriation that pays (fmf / mixed financing)
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


def imported_reason(c: DemoCase, offered_on: date) -> str | None:
    """Why an offer on ``offered_on`` cannot go through the gates here, or None when it can:
    its vetting falls before the first policy profile the vetting engine encodes, or its
    notification before the first date of the notification thresholds data."""
    first = get_ruleset().profiles[0].starts
    vetted = offered_on - timedelta(days=OFFSETS[Status.offered] - VETTED_ON)
    coverage = load_thresholds().coverage
    notified = _notified_on(c, offered_on)
    if vetted < first:
        return (
            f"vetted about {vetted.isoformat()}, before the first policy profile encoded here "
            f"({first.isoformat()}); the gates were met outside this system"
        )
    if notified < coverage.start:
        return (
            f"notified {notified.isoformat()}, before the notification thresholds encoded here "
            f"({coverage.start.isoformat()}); the gates were met outside this system"
        )
    return None


def _notified_on(c: DemoCase, offered_on: date) -> date:
    """The formal notification's date: the notice's (or its assumed) date; for an invented
    case, as long before the offer as for the others."""
    return c.notice_date or c.assumed_date or offered_on - timedelta(days=NOTICE_TO_OFFER)


def _notify(session: Session, c: DemoCase, case_id: int, offered_on: date, clock: Clock) -> None:
    """Open the case's notification from its facts and record the formal notification, when
    the notice was published or the case's values meet a threshold (AECA §36(b)(1))."""
    facts = service.case_facts(session, case_id)
    on = _notified_on(c, offered_on)
    coverage = load_thresholds().coverage
    if not coverage.start <= on <= coverage.end:
        return  # before the thresholds data: an imported offer (see imported_reason)
    req = requirement(
        facts.purchaser_code, on, facts.mde_value, facts.total_value, facts.design_construction_value, "sale"
    )
    if c.notice is None and not req.required:
        return
    n = prepare_for_case(session, actor=None, case_id=case_id, clock=clock)
    notification.record_formal_notification(session, actor=None, notification_id=n.id, on=on, clock=clock)


def _vet(session: Session, case_id: int, on: date, clock: Clock) -> None:
    """Vet the case as it stands; a user of each office the rules name signs off on its
    concerns, and the deciding officer (another person) approves."""
    facts = service.case_facts(session, case_id)
    _, decision = vet_case(
        session, actor=None, case=facts, on=on, purchaser_name=purchaser_name(facts), clock=clock
    )
    for office in vetting_queries.missing_signoffs(session, decision):
        vetting.record_signoff(
            session, actor=people.signer(session, office), decision_id=decision.id, office=office,
            concur=True, comment="demo: the office concurs (invented)", clock=clock,
        )  # fmt: skip
    vetting.finalize_decision(
        session, actor=people.principal(session, people.DECIDER), decision_id=decision.id, decision="approve",
        provisos=["Standard end-use and retransfer assurances in the LOA"], comment="demo", clock=clock,
    )  # fmt: skip


def _fund(session: Session, c: DemoCase, case_id: int, on: date) -> None:
    """Obligate FMF to the lines from the appropriation the case names."""
    if c.financing == "national":
        return
    appr = session.scalar(select(Appropriation.id).where(Appropriation.title == c.fmf_from))
    if appr is None:
        raise ValidationFailedError(
            f"{DEMO_FILE.name}: case {c.transmittal or c.title!r} is financed by {c.financing}; "
            f"fmf_from must name a demo FMF appropriation (got {c.fmf_from!r})",
            field="fmf_from",
        )
    fund_case(session, actor=None, case=service.case_facts(session, case_id), appropriation_id=appr, on=on)


def _offer(session: Session, c: DemoCase, case_id: int, day: date, where: str, clock: Clock) -> None:
    expires = day + timedelta(days=OED_DAYS)
    _notify(session, c, case_id, day, clock)
    reason = imported_reason(c, day)
    if reason is not None:
        service.advance(
            session, actor=None, case_id=case_id, to=Status.offered.value, on=day, clock=clock,
            gates_checked=True, offer_expires_on=expires, note=f"demo: {where}; {IMPORTED}: {reason}",
        )  # fmt: skip
        return
    vetted = day - timedelta(days=OFFSETS[Status.offered] - VETTED_ON)
    _vet(session, case_id, vetted, clock)
    _fund(session, c, case_id, vetted)
    offer_case(
        session, actor=None, case_id=case_id, offer_expires_on=expires, on=day, note=f"demo: {where}",
        clock=clock,
    )  # fmt: skip


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
        if target is Status.offered:
            _offer(session, c, case.id, day, where, clock)
            continue
        if target is Status.accepted:
            _accept(session, c, case.id, day, where, clock)
            continue
        service.advance(
            session, actor=None, case_id=case.id, to=target.value, on=day, clock=clock, note=f"demo: {where}",
        )  # fmt: skip
    if c.status is Status.in_development and start + timedelta(days=LINES_ON) <= today:
        _add_lines(session, c, case.id, start + timedelta(days=LINES_ON), contractor_id, clock)


def _accept(session: Session, c: DemoCase, case_id: int, day: date, where: str, clock: Clock) -> None:
    """The purchaser accepts: recorded by its government's demo user where the demo has
    one, otherwise on its behalf naming the signed LOA (invented)."""
    deposit = (c.values.total / 10).quantize(Decimal("0.01"))
    country = service.case_facts(session, case_id).country_code
    buyer = people.purchaser_user(session, country)
    document = None if buyer is not None else f"demo: LOA signed by the purchaser, case {case_id} (invented)"
    service.advance(
        session, actor=buyer, case_id=case_id, to=Status.accepted.value, on=day, clock=clock,
        initial_deposit=deposit, note=f"demo: {where}", acceptance_document=document,
    )  # fmt: skip


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


#: The demo's one Letter of Request with no case yet (invented), so that the LOR page
#: offers "open a case from an LOR" on the data as loaded.
PENDING_LOR_REFERENCE = "DEMO JP-LOR-PENDING"
PENDING_LOR_AGE = 12  # days before today it was received (invented)


def load_demo_pending_lor(session: Session, *, clock: Clock | None = None) -> str:
    """Receive the demo's complete LOR that awaits its case (Japan asks for training,
    invented), unless it is there; never commits. Loaded last so the ids the docs quote of
    the other demo records stay put."""
    c = clock or SystemClock()
    if session.scalar(select(Lor.id).where(Lor.reference_number == PENDING_LOR_REFERENCE)) is not None:
        return "LOR awaiting a case: present"
    lors.receive_lor(
        session, actor=None, purchaser="JP", request_type="loa", financing="national",
        received_on=c.today() - timedelta(days=PENDING_LOR_AGE), reference_number=PENDING_LOR_REFERENCE,
        articles_services="Demo request (invented): maintenance training for the demo's tactical trucks",
        end_users=["Japan Ground Self-Defense Force (demo)"], loa_type="defined_order", is_demo=True,
        clock=c,
    )  # fmt: skip
    return "LOR awaiting a case: 1 created"
