"""The demo's transfers: one request awaiting State's decision, one executed temporary
transfer whose items Germany now holds (and whose office both inboxes told), all marked
invented, the audit log verifying, and a second load changing nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.demo.dataset import load_demo
from secassist.demo.transfers import MARK, PENDING_SERIALS, REPAIR_SERIALS
from secassist.equipment.models import Item
from secassist.storage.uow import read_only, unit_of_work
from secassist.transfers import queries
from secassist.transfers.models import TransferRequest
from tests.support import run_cli

pytestmark = pytest.mark.usefixtures("demo_db")


def test_one_request_awaits_a_decision_and_one_temporary_transfer_was_executed(
    session_factory: sessionmaker[Session],
) -> None:
    with read_only(session_factory) as s:
        pending = queries.list_requests(s, actor=None, status="requested")
        assert len(pending) == 1
        req = pending[0]
        assert (req.from_country, req.to_party, req.kind) == ("PL", "LT", "retransfer")
        assert [i.serial for i in queries.items_of(s, req.id)] == list(PENDING_SERIALS)
        # Nothing blocks it: State can decide either way.
        assert all(f.outcome != "block" for f in queries.findings_of(s, req.id))
        executed = queries.list_requests(s, actor=None, status="executed")
        assert len(executed) == 1
        done = executed[0]
        assert done.kind == "temporary_repair"
        assert done.return_by is not None
        holders = {
            i.serial: i.holder_country for i in s.scalars(select(Item).where(Item.serial.in_(REPAIR_SERIALS)))
        }
        assert holders == dict.fromkeys(REPAIR_SERIALS, "DE")
        assert {e.country_code for e in queries.inbox(s, actor=None, country="DE")} == {"DE"}
        assert queries.inbox(s, actor=None, country="PL")[0].request_id == done.id
        assert all(MARK in r.end_use for r in s.scalars(select(TransferRequest)))


def test_audit_verifies_and_loading_again_changes_nothing(
    session_factory: sessionmaker[Session], app_env: dict[str, str]
) -> None:
    out = run_cli(app_env, "audit", "verify")
    assert out.returncode == 0, out.stdout + out.stderr
    with unit_of_work(session_factory) as s:
        before = s.scalar(select(func.count()).select_from(TransferRequest))
        assert "transfers: present" in load_demo(s)
        assert s.scalar(select(func.count()).select_from(TransferRequest)) == before
    listed = run_cli(app_env, "transfers", "list", "--status", "requested", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert [r["to"] for r in json.loads(listed.stdout)] == ["LT"]
