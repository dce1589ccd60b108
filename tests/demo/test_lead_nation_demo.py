"""The demo's multinational case: NSPA (W7) buys for three NATO participants whose assurances
and §36(b) naming are recorded; the goggles delivered to the Netherlands moved among them
with a notice to State on the first transfer to each; the offices' inboxes say so; the
holdings by nation add up; the third-party request still awaits a decision; a second load
changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.cases.models import Case
from secassist.demo.dataset import load_demo
from secassist.demo.lead_nation import PARTICIPANTS, SERIALS, TITLE
from secassist.equipment.models import Item
from secassist.reference.service import get_reference
from secassist.storage.uow import read_only, unit_of_work
from secassist.transfers import lead_nation as lnp
from secassist.transfers import queries
from secassist.workflows.lead_nation_holdings import holdings

pytestmark = pytest.mark.usefixtures("demo_db")


def test_the_nspa_case_names_three_nato_participants_and_moved_items_among_them(
    session_factory: sessionmaker[Session],
) -> None:
    with read_only(session_factory) as s:
        case = s.scalars(select(Case).where(Case.title == TITLE)).one()
        assert (case.purchaser_code, case.fms_country_code, case.identifier[:2]) == ("NSPA", "W7", "W7")
        got = holdings(s, actor=None, case_ref=case.identifier)
        assert [p.country for p in got.participants] == list(PARTICIPANTS)
        for p in got.participants:
            assert get_reference().is_nato_member(p.country, case.accepted_on or p.assurances_signed_on)
            assert p.assurances_signed_on is not None
            assert p.named_in_notification
        notices = lnp.notices_of(s, case.id)
        assert [n.to_country for n in notices] == ["BE", "NO", "NL"]  # one per participant, the first
        assert {(n.country, n.items) for n in got.nations} == {("NL", 17), ("BE", 10), ("NO", 9)}
        assert sum(n.items for n in got.nations) == len(SERIALS)
        holders = dict(
            s.execute(select(Item.serial, Item.holder_country).where(Item.case_id == case.id)).all()
        )
        assert holders[SERIALS[0]] == "NO"  # NL → BE → NO
        assert holders[SERIALS[12]] == "NL"  # NL → NO → NL
        be = [e.subject for e in queries.inbox(s, actor=None, country="BE")]
        assert len(be) == 2
        assert all(case.identifier in subject for subject in be)
        # The third-party request of the transfers demo still awaits State's decision.
        assert len(queries.list_requests(s, actor=None, status="requested")) == 1


def test_a_second_load_changes_nothing(session_factory: sessionmaker[Session]) -> None:
    with read_only(session_factory) as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    with unit_of_work(session_factory) as s:
        assert "lead nation: present" in load_demo(s)
    with read_only(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before
