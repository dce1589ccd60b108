"""The demo never contradicts itself: a case that was offered met its offer gates on the
offer's date (or says it was imported from the public record, and why), every published
notice is formally notified, and the audit log verifies after the load."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import lifecycle, service
from secassist.cases.lifecycle import Status
from secassist.cases.models import Case, CaseEvent
from secassist.demo.cases import IMPORTED, OFFSETS, VETTED_ON
from secassist.demo.dataset import load_demo
from secassist.notification.models import NoticeSource, Notification
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting.ruleset import get_ruleset
from secassist.workflows.gates import gate_status
from secassist.workflows.notification_case import import_notices
from tests.conftest import SHARED_DATA
from tests.identity.conftest import audit_ok

__all__ = ["audit_ok"]

# Statuses only an offered case reaches (cancelled too, for the demo's offered-then-cancelled case).
PAST_OFFER = {s.value for s in lifecycle.MAIN_LINE[lifecycle.MAIN_LINE.index(Status.offered) :]}


def test_every_offered_case_met_its_gates_and_every_notice_is_formally_notified(
    session_factory: sessionmaker[Session], audit_ok: Callable[[], None]
) -> None:
    with unit_of_work(session_factory) as s:
        load_demo(s)
    # What a user does next (README): import the published notices; they link to the cases.
    texts = [(p.name, p.read_text()) for p in sorted((SHARED_DATA / "notices").glob("*.txt"))]
    with unit_of_work(session_factory) as s:
        import_notices(s, actor=None, texts=texts)

    # An offer vetted after the first policy profile could go through the gates.
    gated_from = get_ruleset().profiles[0].starts + timedelta(days=OFFSETS[Status.offered] - VETTED_ON)
    gated, imported = [], []
    with read_only(session_factory) as s:
        for case in s.scalars(select(Case).order_by(Case.id)):
            offer = s.scalar(
                select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.to_status == "offered")
            )
            if case.status in PAST_OFFER or case.status == Status.cancelled.value:
                assert offer is not None, f"{case.identifier} is {case.status} but was never offered"
            if offer is None:
                continue
            detail = offer.detail or ""
            if IMPORTED in detail:
                reason = detail.split(f"{IMPORTED}: ", 1)[1]
                assert "before the first" in reason, detail
                assert offer.occurred_on < gated_from, f"{case.identifier} could have gone through the gates"
                imported.append(case.identifier)
                continue
            results = gate_status(s, service.case_facts(s, case.id), on=offer.occurred_on)
            unmet = [f"{r.gate}: {r.reason}" for r in results if not r.satisfied]
            assert unmet == [], f"{case.identifier} offered {offer.occurred_on} with unmet gates"
            assert {r.gate for r in results} == {"vetting", "notification", "funding"}
            # The notification gate really waited for the review period: the day it was
            # formally notified, the offer would have been refused.
            n = s.scalar(select(Notification).where(Notification.case_id == case.id))
            assert n is not None
            assert n.formal_notification_on is not None
            early = gate_status(s, service.case_facts(s, case.id), on=n.formal_notification_on)
            assert not next(r for r in early if r.gate == "notification").satisfied
            gated.append(case.identifier)
        assert len(gated) >= 10, gated
        assert imported, "the demo's pre-2018 history is imported from the public record"

        drafts = [n.id for n in s.scalars(select(Notification).where(Notification.status == "draft"))]
        assert drafts == []
        published = list(
            s.scalars(
                select(Notification)
                .join(NoticeSource, NoticeSource.notification_id == Notification.id)
                .where(NoticeSource.source_type == "federal_register")
                .distinct()
            )
        )
        assert len(published) >= 5
        assert [n.id for n in published if not n.formally_notified] == []
        assert all(n.formal_notification_on is not None for n in published)
        # A case with a notice carries its notification (linked, not a second record).
        for case in s.scalars(select(Case).where(Case.transmittal.is_not(None))):
            assert s.scalar(select(Notification.status).where(Notification.case_id == case.id)) in (
                "formally_notified",
            ), case.identifier
    audit_ok()
