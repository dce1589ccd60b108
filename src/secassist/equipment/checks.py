"""Routine EUM checks per country and physical-security inspections of sites, each on its
own schedule, and what is due or overdue as of a date next to the EEUM inventories.

DoD Golden Sentry has the SCOs do **Routine EUM** in every partner country [S72] (SAMM C8.3
[S73]) and, for EEUM, **physical-security inspections** of the storage facilities [S77],
certified by the MILDEPs (DSCA 17-20, 20-64 [S78][S79]); Combatant Commands review
delinquencies on a set schedule (DSCA 22-16 [S74]). The intervals are dated, sourced data in
``data/checks.yaml`` (the sources read give none: both entries are UNCONFIRMED placeholders
with their notes, see domain.md §7.1).

The rule (:func:`next_due`): the first check is due ``initial_days`` after the interval's
start (a country's first delivery; a site's registration), each later one
``interval_months`` after the last one done, the schedule in force on the date the interval
starts setting its length. A check is overdue from the day after it was due, as the EEUM
inventories are (:func:`~secassist.equipment.monitoring.overdue`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secassist.audit.service import add_recorded
from secassist.core.clock import Clock, now
from secassist.core.errors import ValidationFailedError
from secassist.equipment.catalog import DATA_DIR, add_months
from secassist.equipment.common import clock_of, label_of, text
from secassist.equipment.models import CustodyEvent, Lot, RoutineCheck, Site, SiteInspection
from secassist.equipment.monitoring import due_inventories, overdue
from secassist.equipment.queries import require, scoped
from secassist.identity.policy import Principal, actor_of
from secassist.reference.loader import load_file
from secassist.reference.service import get_reference

DueKind = Literal["eeum_inventory", "routine_check", "site_inspection"]


class CheckSchedule(BaseModel):
    """A check interval in force from ``from_`` (null: as far back as the sources reach)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: date | None = Field(default=None, alias="from")
    initial_days: int = Field(ge=0, le=3650)
    interval_months: int = Field(ge=1, le=120)
    source: str = Field(min_length=1)
    status: Literal["confirmed", "UNCONFIRMED"] = "confirmed"
    note: str | None = None

    @model_validator(mode="after")
    def _unconfirmed_has_note(self) -> CheckSchedule:
        if self.status == "UNCONFIRMED" and not self.note:
            raise ValueError("an UNCONFIRMED entry needs a note saying what is unsure")
        return self


def _distinct_dates(name: str, schedules: Sequence[CheckSchedule]) -> None:
    dates = [s.from_ for s in schedules]
    for i, d in enumerate(dates):
        if d in dates[:i]:
            raise ValueError(f"{name}[{i}] (from {d}): two schedules start on the same date")


class ChecksFile(BaseModel):
    """``data/checks.yaml``: the routine-check and site-inspection schedules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: Literal["equipment_checks"]
    title: str
    source: str
    as_of: date
    routine_checks: tuple[CheckSchedule, ...] = Field(min_length=1)
    site_inspections: tuple[CheckSchedule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> ChecksFile:
        _distinct_dates("routine_checks", self.routine_checks)
        _distinct_dates("site_inspections", self.site_inspections)
        return self


def load_schedules(data_dir: Path | None = None) -> ChecksFile:
    """Read and validate ``checks.yaml`` (errors name the file and the entry)."""
    loaded, _ = load_file(ChecksFile, "checks.yaml", data_dir or DATA_DIR)
    return loaded


@lru_cache(maxsize=1)
def get_schedules() -> ChecksFile:
    """The packaged schedules (loaded on first use, never at import time)."""
    return load_schedules()


def schedule_on(schedules: Iterable[CheckSchedule], on: date) -> CheckSchedule:
    """The schedule in force on ``on``: the latest one starting on or before it."""
    current = [s for s in schedules if s.from_ is None or s.from_ <= on]
    if not current:
        raise ValidationFailedError(f"on: no check schedule is in force on {on}", field="on")
    return max(current, key=lambda s: s.from_ or date.min)


def next_due(schedules: Sequence[CheckSchedule], *, start: date, last_done: date | None) -> date:
    """When the next check is due: ``initial_days`` after ``start`` until one is done (on or
    after ``start``), then ``interval_months`` after the last one done (see the module
    docstring for the rule and its sources)."""
    if last_done is None or last_done < start:
        return start + timedelta(days=schedule_on(schedules, start).initial_days)
    return add_months(last_done, schedule_on(schedules, last_done).interval_months)


# --- recording a routine check ------------------------------------------------------------


def record_check(
    session: Session,
    *,
    actor: Principal | None,
    country: str,
    on: date,
    office: str,
    findings: Sequence[str] = (),
    is_demo: bool = False,
    clock: Clock | None = None,
) -> RoutineCheck:
    """Record a routine end-use check in ``country`` by ``office`` (the SCO, or U.S.
    personnel on its behalf: DSCA 23-63 [S80]) with its findings (none: nothing found).
    Routine EUM, SAMM C8.3 [S72][S73]. One audit entry."""
    code = get_reference().country(country).code
    require(actor, "write", code, what="country")
    today = clock_of(clock).today()
    if on > today:
        raise ValidationFailedError(f"on: {on} is after today ({today})", field="on")
    who = text(office, "office", limit=200)
    notes = [text(f, f"finding {i + 1}", limit=2000) for i, f in enumerate(findings)]
    same = select(RoutineCheck.id).where(
        RoutineCheck.country_code == code, RoutineCheck.checked_on == on, RoutineCheck.office == who
    )
    if session.scalar(same) is not None:
        raise ValidationFailedError(
            f"on: a routine check in {code} by {who!r} on {on} is already recorded", field="on"
        )
    row = RoutineCheck(
        country_code=code,
        checked_on=on,
        office=who,
        findings=json.dumps(notes),
        recorded_at=now(clock),
        recorded_by=label_of(actor),
        is_demo=is_demo,
    )
    add_recorded(
        session,
        [row],
        actor=actor_of(actor),
        tag="equipment:check:recorded",
        subject_type="equipment_routine_check",
        clock=clock,
    )
    return row


# --- what is due --------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    """One inventory, check or inspection due or overdue as of a date."""

    kind: DueKind
    country: str
    subject: str  # the item's serial, the country, or the site's name
    due_on: date
    status: Literal["due", "overdue"]
    last_done_on: date | None
    detail: str | None = None  # the item type; the last inspection's result

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "country": self.country,
            "subject": self.subject,
            "due_on": self.due_on.isoformat(),
            "status": self.status,
            "last_done_on": self.last_done_on.isoformat() if self.last_done_on else None,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class DueReport:
    as_of: date
    within_days: int
    eeum_inventories: list[DueRow]
    routine_checks: list[DueRow]
    site_inspections: list[DueRow]

    @property
    def rows(self) -> list[DueRow]:
        return [*self.eeum_inventories, *self.routine_checks, *self.site_inspections]

    def as_json(self) -> dict[str, object]:
        """The CLI contract of ``secassist equipment due --format json``."""
        return {
            "as_of": self.as_of.isoformat(),
            "within_days": self.within_days,
            "eeum_inventories": [r.as_json() for r in self.eeum_inventories],
            "routine_checks": [r.as_json() for r in self.routine_checks],
            "site_inspections": [r.as_json() for r in self.site_inspections],
        }


def _row(
    kind: DueKind,
    country: str,
    subject: str,
    due_on: date,
    as_of: date,
    last: date | None,
    detail: str | None = None,
) -> DueRow:
    status: Literal["due", "overdue"] = "overdue" if overdue(due_on, as_of) else "due"
    return DueRow(kind, country, subject, due_on, status, last, detail)


def _first_deliveries(
    session: Session, actor: Principal | None, as_of: date, only: str | None
) -> dict[str, date]:
    """Each country's first delivery on or before ``as_of`` (items: their ``delivered`` event's
    holder; lots: their site's country): when Routine EUM starts there (title transfer [S72])."""
    items = (
        scoped(select(CustodyEvent), actor, CustodyEvent.holder_country)
        .with_only_columns(CustodyEvent.holder_country, func.min(CustodyEvent.occurred_on))
        .where(CustodyEvent.kind == "delivered", CustodyEvent.occurred_on <= as_of)
    )
    lots = (
        scoped(select(Lot).join(Site, Lot.site_id == Site.id), actor, Site.country_code)
        .with_only_columns(Site.country_code, func.min(Lot.delivered_on))
        .where(Lot.delivered_on <= as_of)
    )
    if only:
        items = items.where(CustodyEvent.holder_country == only)
        lots = lots.where(Site.country_code == only)
    first: dict[str, date] = {}
    for stmt in (items.group_by(CustodyEvent.holder_country), lots.group_by(Site.country_code)):
        for cc, on in session.execute(stmt):
            if cc is not None:
                first[cc] = min(on, first.get(cc, on))
    return first


def routine_checks_due(
    session: Session,
    *,
    actor: Principal | None,
    as_of: date,
    within_days: int = 30,
    country: str | None = None,
    schedules: ChecksFile | None = None,
) -> list[DueRow]:
    """Countries whose next routine EUM check, judged on the checks recorded by ``as_of``,
    falls due within ``within_days`` of it or is overdue; soonest first. A country is under
    Routine EUM from its first delivery (EUM runs from title transfer until disposal [S72])."""
    sched = (schedules or get_schedules()).routine_checks
    only = get_reference().country(country).code if country else None
    first = _first_deliveries(session, actor, as_of, only)
    last_stmt = (
        scoped(select(RoutineCheck), actor, RoutineCheck.country_code)
        .with_only_columns(RoutineCheck.country_code, func.max(RoutineCheck.checked_on))
        .where(RoutineCheck.checked_on <= as_of)
        .group_by(RoutineCheck.country_code)
    )
    last: dict[str, date] = {cc: on for cc, on in session.execute(last_stmt)}
    horizon = as_of + timedelta(days=within_days)
    out = []
    for cc, start in first.items():
        done = last.get(cc)
        due = next_due(sched, start=start, last_done=done)
        if due <= horizon:
            out.append(_row("routine_check", cc, cc, due, as_of, done))
    return sorted(out, key=lambda r: (r.due_on, r.country))


def inspections_due(
    session: Session,
    *,
    actor: Principal | None,
    as_of: date,
    within_days: int = 30,
    country: str | None = None,
    schedules: ChecksFile | None = None,
) -> list[DueRow]:
    """Sites whose next physical-security inspection, judged on the inspections recorded by
    ``as_of``, falls due within ``within_days`` of it or is overdue; soonest first. A site is
    due for its first inspection from its registration ([S77][S133], ``checks.yaml``)."""
    sched = (schedules or get_schedules()).site_inspections
    stmt = scoped(select(Site), actor, Site.country_code)
    if country:
        stmt = stmt.where(Site.country_code == get_reference().country(country).code)
    found = list(session.scalars(stmt.order_by(Site.id)))
    last: dict[int, tuple[date | None, str | None]] = {}
    if found:
        inspections = session.execute(
            select(SiteInspection.site_id, SiteInspection.inspected_on, SiteInspection.result)
            .where(SiteInspection.site_id.in_([s.id for s in found]), SiteInspection.inspected_on <= as_of)
            .order_by(SiteInspection.site_id, SiteInspection.inspected_on, SiteInspection.id)
        )
        for site_id, on, outcome in inspections:
            last[site_id] = (on, outcome)
    horizon = as_of + timedelta(days=within_days)
    out = []
    for site in found:
        registered = site.created_at.date()
        done, result = last.get(site.id, (None, None))
        if done is None and registered > as_of:
            continue  # not registered yet as of that date
        start = registered if done is None else min(registered, done)
        due = next_due(sched, start=start, last_done=done)
        if due <= horizon:
            out.append(_row("site_inspection", site.country_code, site.name, due, as_of, done, result))
    return sorted(out, key=lambda r: (r.due_on, r.subject))


def due(
    session: Session,
    *,
    actor: Principal | None,
    as_of: date,
    within_days: int = 30,
    country: str | None = None,
) -> DueReport:
    """Everything due or overdue as of ``as_of`` (or due within ``within_days``): EEUM
    serial-number inventories (:func:`~secassist.equipment.monitoring.due_inventories`, judged
    on the items' current positions), routine checks per country and site inspections."""
    if not 0 <= within_days <= 3650:
        raise ValidationFailedError("within_days: between 0 and 3650", field="within_days")
    items = due_inventories(session, actor=actor, as_of=as_of, within_days=within_days, country=country)
    inventories = [
        _row(
            "eeum_inventory",
            item.holder_country or "",
            item.serial,
            on,
            as_of,
            item.last_found_on,
            item.item_type,
        )
        for item, on in items
    ]
    return DueReport(
        as_of=as_of,
        within_days=within_days,
        eeum_inventories=inventories,
        routine_checks=routine_checks_due(
            session, actor=actor, as_of=as_of, within_days=within_days, country=country
        ),
        site_inspections=inspections_due(
            session, actor=actor, as_of=as_of, within_days=within_days, country=country
        ),
    )
