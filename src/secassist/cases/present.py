"""ORM rows and read models → the schemas every adapter shows (API, CLI, web)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from secassist.cases import lifecycle, metrics
from secassist.cases.lors import lor_missing
from secassist.cases.models import Amendment, Case, CaseEvent, CaseLine, Lor
from secassist.cases.queries import CaseDetail, CaseRow
from secassist.cases.records import AmendmentRec, CaseRec, EventRec, LineRec, LorRec
from secassist.cases.schemas import (
    AmendmentRead,
    CaseRead,
    CaseSummary,
    DwellRead,
    EventRead,
    LineRead,
    LorRead,
    MetricsRead,
    MilestonesRead,
    PhaseRead,
    ShareRead,
    TimelineRead,
)


def lor_read(lor: Lor | LorRec) -> LorRead:
    return LorRead(
        id=lor.id,
        purchaser=lor.purchaser_code,
        country=lor.country_code,
        request_type=lor.request_type,
        reference_number=lor.reference_number,
        financing=lor.financing,
        loa_type=lor.loa_type,
        articles_services=lor.articles_services,
        end_users=[u for u in lor.end_users.split("\n") if u],
        third_party=lor.third_party,
        desired_value=lor.desired_value,
        received_on=lor.received_on,
        complete_on=lor.complete_on,
        missing=lor_missing(lor),
    )


def case_summary(row: CaseRow) -> CaseSummary:
    c = row.case
    return CaseSummary(
        id=c.id,
        identifier=c.identifier,
        title=c.title,
        purchaser=c.purchaser_code,
        country=c.country_code,
        implementing_agency=c.implementing_agency,
        loa_type=c.loa_type,
        financing=c.financing,
        status=c.status,
        version=c.version,
        line_count=row.line_count,
        mde_value=row.mde_value,
        other_value=row.other_value,
        total_value=row.total_value,
        offered_on=c.offered_on,
        offer_expires_on=c.offer_expires_on,
        is_demo=c.is_demo,
    )


def line_read(line: CaseLine | LineRec, identifier: str | None = None) -> LineRead:
    return LineRead(
        id=line.id,
        case_id=line.case_id,
        case_identifier=identifier,
        number=line.number,
        item_type=line.item_type,
        description=line.description,
        usml_category=line.usml_category,
        mde=line.mde,
        sme=line.sme,
        eeum=line.eeum,
        design_construction=line.design_construction,
        quantity=line.quantity,
        unit_cost=line.unit_cost,
        value=line.value,
        contractor_org_id=line.contractor_org_id,
        status=line.status,
        ssc_on=line.ssc_on,
    )


def event_read(e: CaseEvent | EventRec) -> EventRead:
    return EventRead(
        id=e.id,
        kind=e.kind,
        from_status=e.from_status,
        to_status=e.to_status,
        on=e.occurred_on,
        at=e.at,
        actor=e.actor,
        detail=e.detail,
    )


def amendment_read(a: Amendment | AmendmentRec) -> AmendmentRead:
    return AmendmentRead(
        id=a.id,
        kind=a.kind,
        number=a.number,
        description=a.description,
        status=a.status,
        value_before=a.value_before,
        value_after=a.value_after,
        changes=json.loads(a.changes),
        warning=a.warning,
        created_on=a.created_on,
        accepted_on=a.accepted_on,
    )


def case_read(d: CaseDetail) -> CaseRead:
    c = d.case
    row = CaseRow(c, d.mde_value, d.other_value, d.total_value, len(d.lines))
    return CaseRead(
        **case_summary(row).model_dump(),
        lor=lor_read(d.lor),
        end_users=[u for u in c.end_users.split("\n") if u],
        aod_group=c.aod_group,
        accepted_on=c.accepted_on,
        initial_deposit=c.initial_deposit,
        acceptance_document=c.acceptance_document,
        implemented_on=c.implemented_on,
        closed_on=c.closed_on,
        restatements=c.restatements,
        transmittal=c.transmittal,
        design_construction_value=d.design_construction_value,
        next_statuses=[s.value for s in lifecycle.next_statuses(lifecycle.Status(c.status))],
        lines=[line_read(ln, c.identifier) for ln in d.lines],
        events=[event_read(e) for e in d.events],
        amendments=[amendment_read(a) for a in d.amendments],
    )


def timeline_read(
    case: Case | CaseRec, lor: Lor | LorRec, events: Sequence[CaseEvent | EventRec], as_of: date
) -> TimelineRead:
    m = metrics.milestones(case, lor.received_on, events, as_of)
    return TimelineRead(
        identifier=case.identifier,
        as_of=as_of,
        milestones=MilestonesRead(
            lor_received=m.lor_received,
            lor_complete=m.lor_complete,
            offered=m.offered,
            aod_group=m.aod_group,
            aod=m.aod,
            days_to_offer=m.days_to_offer,
            days_from_receipt=m.days_from_receipt,
            on_time=m.on_time,
        ),
        phases=[PhaseRead(**p.__dict__) for p in metrics.timeline(events, as_of)],
        events=[event_read(e) for e in events],
    )


def _share(s: metrics.Share) -> ShareRead:
    return ShareRead(
        due=s.due, met=s.met, share=None if s.share is None else str(s.share), target=str(s.target)
    )


def metrics_read(m: metrics.Metrics) -> MetricsRead:
    return MetricsRead(
        as_of=m.as_of,
        cases=m.cases,
        offered=m.offered,
        mean_days_to_offer=None if m.mean_days_to_offer is None else str(m.mean_days_to_offer),
        median_days_to_offer=None if m.median_days_to_offer is None else str(m.median_days_to_offer),
        aod=_share(m.aod),
        no_aod=m.no_aod,
        within_120_days=_share(m.within_120),
        dwell=[
            DwellRead(
                status=d.status,
                label=d.label,
                cases=d.cases,
                mean_days=str(d.mean_days),
                median_days=str(d.median_days),
                max_days=d.max_days,
            )
            for d in m.dwell
        ],
    )
