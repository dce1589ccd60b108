"""The demo dataset holds a cleared and a denied proposal and a reviewer queue; loading twice
changes nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.keys import TrustedKeys
from secassist.audit.verify import verify_log
from secassist.demo.dataset import load_demo
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting import service


def test_demo_vetting(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        assert "vetting proposals: 3 created" in load_demo(s)
    with unit_of_work(session_factory) as s:
        assert "vetting proposals: 0 created, 3 present" in load_demo(s)
    with read_only(session_factory) as s:
        finals = {d.final_decision for d in service.list_decisions(s, actor=None, status="final")}
        assert finals == {"approve", "deny"}
        # The Philippine proposal in review, and the vetting of the demo's transfer request
        # awaiting a decision (demo/transfers.py).
        queue = service.review_queue(s, actor=None)
        [item] = [i for i in queue if "Philippines" in i.proposal.title]
        assert item.missing == ("human_rights", "technology_security")
        assert [i.proposal.title for i in queue if i is not item] == ["Transfer 2: retransfer from PL to LT"]
        assert verify_log(s, keys=TrustedKeys.none()).ok
