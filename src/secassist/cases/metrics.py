"""Milestones and processing metrics, as of any date, computed from the case events.

* **Processing time**: days from *LOR complete* to *offered* (DOCMNTSENT) [S8].
* **AOD share**: of the documents due — offered by the as-of date, or whose Anticipated
  Offer Date has passed unoffered — the share offered on or before their AOD; target 85%
  [S8][S9][S30]. AOD = LOR complete + the AOD group's days (``cases/data/fms_case_metrics.yaml``,
  values UNCONFIRMED); a case in a group without days has no AOD and is counted apart.
* **120-day metric** (historic, 2001–2011): the share of documents offered within 120 days
  of LOR receipt, among those offered or already past 120 days; target 80% [S10][S29].
* **Dwell time**: days spent in each status (a status still current counts up to the
  as-of date).

Only events dated on or before the as-of date count, so any past date can be replayed.
Cases are those the actor may see. A restated document's first offer counts.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.cases.catalog import get_catalog
from secassist.cases.common import scoped_cases
from secassist.cases.lifecycle import LABELS, Status
from secassist.cases.models import Case, CaseEvent, Lor
from secassist.cases.records import CaseRec, EventRec
from secassist.identity.policy import Principal


@dataclass(frozen=True)
class Phase:
    """One stretch of a case's timeline: a status from ``start`` to ``end`` (None: current)."""

    status: str
    label: str
    start: date
    end: date | None
    days: int


@dataclass(frozen=True)
class Milestones:
    case_id: int
    identifier: str
    lor_received: date | None
    lor_complete: date | None
    offered: date | None
    aod_group: str | None
    aod: date | None
    days_to_offer: int | None  # LOR complete → offered
    days_from_receipt: int | None  # LOR received → offered
    on_time: bool | None  # offered on or before the AOD (None: not yet due, or no AOD)


@dataclass(frozen=True)
class Dwell:
    status: str
    label: str
    cases: int
    mean_days: Decimal
    median_days: Decimal
    max_days: int


@dataclass(frozen=True)
class Share:
    due: int
    met: int
    target: Decimal

    @property
    def share(self) -> Decimal | None:
        return None if not self.due else (Decimal(self.met) / Decimal(self.due)).quantize(Decimal("0.001"))


@dataclass(frozen=True)
class Metrics:
    as_of: date
    cases: int
    offered: int
    mean_days_to_offer: Decimal | None
    median_days_to_offer: Decimal | None
    aod: Share
    no_aod: int
    within_120: Share
    dwell: list[Dwell] = field(default_factory=list)


# By status value: a case's page builds its timeline on every view.
_LABEL_OF = {s.value: LABELS[s] for s in Status}
_TERMINAL = frozenset(s.value for s in (Status.closed, Status.cancelled, Status.offer_expired))


def timeline(events: Sequence[CaseEvent | EventRec], as_of: date) -> list[Phase]:
    """The status phases of one case from its events (in date order), up to ``as_of``."""
    steps = [e for e in events if e.kind == "status" and e.to_status and e.occurred_on <= as_of]
    phases = []
    for i, ev in enumerate(steps):
        end = steps[i + 1].occurred_on if i + 1 < len(steps) else None
        status = ev.to_status or ""
        label = _LABEL_OF.get(status)
        if label is None:
            raise ValueError(f"event {ev.id}: unknown status {status!r}")
        stop = end or (ev.occurred_on if status in _TERMINAL else as_of)
        phases.append(Phase(status, label, ev.occurred_on, end, (stop - ev.occurred_on).days))
    return phases


def milestones(
    case: Case | CaseRec, lor_received: date | None, events: Sequence[CaseEvent | EventRec], as_of: date
) -> Milestones:
    """One case's milestones, AOD and on-time answer on ``as_of``."""
    first: dict[str, date] = {}
    for e in events:
        if e.kind == "status" and e.to_status and e.occurred_on <= as_of:
            first.setdefault(e.to_status, e.occurred_on)
    complete, offered = first.get("lor_complete"), first.get("offered")
    received = first.get("lor_received", lor_received)
    group = get_catalog().aod_groups.get(case.aod_group or "")
    aod = complete + timedelta(days=group.days) if complete and group and group.days else None
    on_time: bool | None = None
    if aod is not None:
        if offered is not None:
            on_time = offered <= aod
        elif aod < as_of:
            on_time = False
    return Milestones(
        case_id=case.id,
        identifier=case.identifier,
        lor_received=received,
        lor_complete=complete,
        offered=offered,
        aod_group=case.aod_group,
        aod=aod,
        days_to_offer=(offered - complete).days if offered and complete else None,
        days_from_receipt=(offered - received).days if offered and received else None,
        on_time=on_time,
    )


def _mean_median(values: list[int]) -> tuple[Decimal | None, Decimal | None]:
    if not values:
        return None, None
    q = Decimal("0.1")
    return (
        Decimal(statistics.fmean(values)).quantize(q, ROUND_HALF_UP),
        Decimal(statistics.median(values)).quantize(q, ROUND_HALF_UP),
    )


def _dwell(phases_by_case: Iterable[list[Phase]]) -> list[Dwell]:
    spent: dict[str, list[int]] = defaultdict(list)
    for phases in phases_by_case:
        for p in phases:
            spent[p.status].append(p.days)
    out = []
    for status in Status:
        days = spent.get(status.value)
        if days:
            mean, median = _mean_median(days)
            assert mean is not None
            assert median is not None
            out.append(Dwell(status.value, LABELS[status], len(days), mean, median, max(days)))
    return out


def case_metrics(session: Session, *, actor: Principal | None, as_of: date) -> Metrics:
    """The processing metrics over every case the actor may see, as of ``as_of``."""
    targets = get_catalog().metrics.targets
    limit = int(targets.days_120.value)
    cases = {
        c.id: (c, received)
        for c, received in session.execute(
            scoped_cases(actor)
            .join(Lor, Lor.id == Case.lor_id)
            .add_columns(Lor.received_on)
            .where(Lor.received_on <= as_of)
        )
    }
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    if cases:
        rows = session.scalars(
            select(CaseEvent)
            .where(CaseEvent.kind == "status", CaseEvent.occurred_on <= as_of)
            .where(CaseEvent.case_id.in_(list(cases)))
            .order_by(CaseEvent.case_id, CaseEvent.occurred_on, CaseEvent.id)
        )
        for ev in rows:
            events[ev.case_id].append(ev)
    ms = [milestones(c, received, events[cid], as_of) for cid, (c, received) in cases.items()]
    to_offer = [m.days_to_offer for m in ms if m.days_to_offer is not None]
    mean, median = _mean_median(to_offer)
    aod_due = [m for m in ms if m.on_time is not None]
    due_120 = [
        m
        for m in ms
        if m.offered is not None or (m.lor_received is not None and (as_of - m.lor_received).days > limit)
    ]
    return Metrics(
        as_of=as_of,
        cases=len(ms),
        offered=sum(1 for m in ms if m.offered is not None),
        mean_days_to_offer=mean,
        median_days_to_offer=median,
        aod=Share(len(aod_due), sum(1 for m in aod_due if m.on_time), targets.aod_share.value),
        no_aod=sum(1 for m in ms if m.aod is None and m.lor_complete is not None),
        within_120=Share(
            len(due_120),
            sum(1 for m in due_120 if m.days_from_receipt is not None and m.days_from_receipt <= limit),
            targets.days_120_share.value,
        ),
        dwell=_dwell(timeline(events[cid], as_of) for cid in cases),
    )
