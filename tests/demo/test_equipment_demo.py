"""The demo's equipment is a living EEUM dashboard and never contradicts itself: some value
delinquent as of today but not all of it, one open incident, no line delivered beyond its
quantity, some lines still in delivery, and the audit log (with the row check) verifies."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.models import CaseLine
from secassist.demo.dataset import load_demo
from secassist.equipment.models import CustodyEvent, Incident, Item, Lot, Site, SiteInspection
from secassist.storage.uow import read_only, unit_of_work
from tests.support import run_cli

pytestmark = pytest.mark.usefixtures("demo_db")


def test_delinquency_as_of_today_is_some_but_not_all(app_env: dict[str, str]) -> None:
    today = date.today().isoformat()
    out = run_cli(app_env, "equipment", "delinquency", "--as-of", today, "--format", "json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert Decimal(report["delinquent_value_usd"]) > 0
    assert Decimal("0") < Decimal(report["delinquent_share"]) < Decimal("1")
    countries = {c["country"] for c in report["by_country"]}
    assert {"PL", "PH"} <= countries
    # Overdue items are listed, each with its due date before today.
    items = [i for c in report["by_country"] for i in c["items"]]
    assert items
    assert all(i["due_on"] < today for i in items)


def test_one_open_incident_for_a_lost_item(session_factory: sessionmaker[Session]) -> None:
    with read_only(session_factory) as s:
        incidents = list(s.scalars(select(Incident).where(Incident.status == "open")))
        assert len(incidents) == 1
        assert incidents[0].item_id is not None
        item = s.get_one(Item, incidents[0].item_id)
        assert item.state == "lost"
        assert item.is_demo
        assert item.serial.startswith("DEMO-")


def test_deliveries_stay_within_their_lines_and_some_lines_are_still_in_delivery(
    session_factory: sessionmaker[Session],
) -> None:
    with read_only(session_factory) as s:
        items = dict(s.execute(select(Item.case_line_id, func.count()).group_by(Item.case_line_id)).all())
        lots = dict(
            s.execute(select(Lot.case_line_id, func.sum(Lot.quantity)).group_by(Lot.case_line_id)).all()
        )
        quantities = dict(s.execute(select(CaseLine.id, CaseLine.quantity)).all())
        delivered = {line: items.get(line, 0) + (lots.get(line) or 0) for line in {*items, *lots}}
        assert delivered
        for line, n in delivered.items():
            assert n <= quantities[line], f"line {line}: {n} delivered of {quantities[line]}"
        assert any(n == quantities[line] for line, n in delivered.items()), "no line fully delivered"
        assert any(n < quantities[line] for line, n in delivered.items()), "no line still in delivery"
        # Every site had its physical-security inspection; custody went past delivery.
        assert s.scalar(select(func.count()).select_from(Site)) == s.scalar(
            select(func.count(func.distinct(SiteInspection.site_id)))
        )
        kinds = set(s.scalars(select(CustodyEvent.kind).distinct()))
        assert {"delivered", "received", "issued", "inventoried", "lost"} <= kinds


def test_loading_again_changes_nothing_and_the_audit_log_verifies(
    session_factory: sessionmaker[Session], app_env: dict[str, str]
) -> None:
    with read_only(session_factory) as s:
        before = s.scalar(select(func.count()).select_from(CustodyEvent))
    with unit_of_work(session_factory) as s:
        load_demo(s)
    with read_only(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(CustodyEvent)) == before
    out = run_cli(app_env, "audit", "verify")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "verifies" in out.stdout
