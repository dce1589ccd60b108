"""Each stakeholder's home (reports/home.py) on the demo data, through the app: the panels
of each role, what they hold, and scoping (a partner never sees another country's data)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.cases.models import Case
from secassist.core.config import Settings
from secassist.storage.uow import read_only, unit_of_work
from tests.web.test_shell import login

pytestmark = pytest.mark.usefixtures("demo_db")

# The panels each demo stakeholder's home shows, in order.
PANELS = {
    "pm.officer": ["vetting", "notifications_soon", "funds", "transfers_pending", "checkpoint"],
    "pm.admin": ["checkpoint"],  # an administrator of State: users and the log, no case work
    "dsca.case": ["pipeline", "late_cases", "notifications_soon"],
    "army.eum": ["pipeline", "late_cases"],
    "odc.poland": ["inventories", "incidents", "cases"],
    "pl.mod": ["cases", "offers", "transfers"],
    "jp.mod": ["cases", "offers", "transfers"],
    "hfac.staff": ["notifications_review", "certifications"],
    "sfrc.staff": ["notifications_review", "certifications"],
    "nds.contracts": ["lines"],
    "ig.auditor": ["checkpoint", "pipeline", "notifications_soon"],
}


def panels_of(page: str) -> list[str]:
    return re.findall(r'data-testid="panel-([a-z_]+)"', page)


def home(client: TestClient, factory: sessionmaker[Session], username: str) -> str:
    login(client, factory, username)
    r = client.get("/")
    assert r.status_code == 200, r.text[-2000:]
    return r.text


def test_anonymous_visitors_keep_the_public_overview(client: TestClient) -> None:
    page = client.get("/").text
    assert "<title>Overview · secassist</title>" in page
    assert 'data-testid="nato-count"' in page
    assert not panels_of(page)


@pytest.mark.parametrize(("username", "panels"), PANELS.items())
def test_each_stakeholder_sees_its_work(
    client: TestClient, session_factory: sessionmaker[Session], username: str, panels: list[str]
) -> None:
    page = home(client, session_factory, username)
    assert 'data-testid="home-title"' in page
    assert panels_of(page) == panels


def _identifiers(factory: sessionmaker[Session], country: str) -> set[str]:
    with read_only(factory) as s:
        return set(s.scalars(select(Case.identifier).where(Case.country_code == country)))


def test_a_partner_home_holds_only_its_country(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    poland, japan = _identifiers(session_factory, "PL"), _identifiers(session_factory, "JP")
    assert poland
    assert japan
    pl = home(client, session_factory, "pl.mod")
    shown = set(re.findall(r'data-testid="(?:case|offer)-([A-Z0-9-]+)"', pl))
    assert shown
    assert not shown & japan
    assert "Japan" not in pl
    jp = home(client, session_factory, "jp.mod")
    shown_jp = set(re.findall(r'data-testid="(?:case|offer)-([A-Z0-9-]+)"', jp))
    assert not shown_jp & poland
    for r in re.findall(r'data-testid="transfer-\d+">(.*?)</tr>', jp, re.S):
        assert "Japan" in r  # a request it sent or receives


def test_state_sees_funds_by_program_and_the_queue(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    page = home(client, session_factory, "pm.officer")
    assert 'data-testid="funds-FMF"' in page
    assert "Foreign Military Financing (FMF)" in page
    assert "The vetting queue" in page


def test_the_contractor_sees_the_lines_it_supplies(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    page = home(client, session_factory, "nds.contracts")
    assert re.search(r'data-testid="line-[A-Z0-9-]+-\d+"', page), "no line supplied by the demo contractor"


def test_the_auditor_checks_an_entry_proof(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    login(client, session_factory, "ig.auditor")
    assert "No checkpoint has been signed yet" in client.get("/").text
    with unit_of_work(session_factory) as s:
        cp.create(s, settings=settings)
    page = client.get("/").text
    assert 'data-testid="checkpoint-signature">verified<' in page
    size = re.search(r'data-testid="checkpoint-size">(\d+) entries', page)
    assert size
    last = int(size.group(1)) - 1
    ok = client.get(f"/?entry={last}").text
    assert re.search(r'data-testid="proof-result">Entry \d+: included in the signed tree', ok)
    outside = client.get(f"/?entry={last + 1000000}").text
    assert "is not in the checkpoint&#39;s tree" in outside
    bad = client.get("/?entry=abc")
    assert bad.status_code == 422
