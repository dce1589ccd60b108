"""Each stakeholder's home (reports/home.py) on the demo data, through the app: the panels
of each role, what they hold, and scoping (a partner never sees another country's data)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.cases.common import participant_cases
from secassist.cases.models import Case
from secassist.core.config import Settings
from secassist.equipment.models import Item
from secassist.storage.uow import read_only, unit_of_work
from tests.web.test_shell import login

pytestmark = pytest.mark.usefixtures("demo_db")

# The panels each demo stakeholder's home shows, in order.
PANELS = {
    "pm.officer": ["vetting", "notifications_soon", "funds", "transfers_pending", "checkpoint"],
    # each review office's own officer (issue #16: a sign-off is by a user of that office)
    "pm.reviewer": ["vetting", "notifications_soon", "funds", "transfers_pending", "checkpoint"],
    "drl.officer": ["vetting", "notifications_soon", "funds", "transfers_pending", "checkpoint"],
    "isn.officer": ["vetting", "notifications_soon", "funds", "transfers_pending", "checkpoint"],
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
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    login(client, session_factory, "ig.auditor")
    assert "No checkpoint has been signed yet" in client.get("/").text
    # The key directory named explicitly (PostgreSQL has no database file to sit beside).
    keyed = settings.model_copy(update={"audit_key_path": tmp_path / "keys"})
    app: Any = client.app
    app.state.settings = keyed
    with unit_of_work(session_factory) as s:
        cp.create(s, settings=keyed)
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


# --- the whole chain: the case page and the country page ----------------------------------


def _delivered_case(factory: sessionmaker[Session], country: str) -> str:
    """A case of ``country`` with delivered items (the demo has some for Poland)."""
    with read_only(factory) as s:
        ident = s.scalars(
            select(Case.identifier)
            .join(Item, Item.case_id == Case.id)
            .where(Case.country_code == country)
            .order_by(Case.identifier)
            .limit(1)
        ).first()
    assert ident, f"no delivered case for {country} in the demo"
    return ident


def test_the_case_page_shows_the_whole_chain(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    ident = _delivered_case(session_factory, "PL")
    login(client, session_factory, "dsca.case")
    page = client.get(f"/cases/{ident}").text
    for part in ("chain-request", "chain-funding", "chain-items"):
        assert f'data-testid="{part}"' in page
    assert 'data-testid="chain-vetting"' in page  # the agency may read vetting findings
    assert re.search(r'data-testid="chain-item-[^"]+"><td><a href="/equipment/items/', page)
    assert 'href="/countries/PL">Poland (PL)</a>' in page  # the holder, linked
    # The partner sees its own case's chain, but not State's vetting deliberation.
    login(client, session_factory, "pl.mod")
    mine = client.get(f"/cases/{ident}").text
    assert 'data-testid="chain-items"' in mine
    assert 'data-testid="chain-vetting"' not in mine
    japan = _identifiers(session_factory, "JP")
    assert client.get(f"/cases/{sorted(japan)[0]}").status_code == 404


def test_the_country_page_is_scoped(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    login(client, session_factory, "pl.mod")
    page = client.get("/countries/PL").text
    assert 'data-testid="country-title">Poland' in page
    for part in ("country-cases", "country-funds", "country-items", "country-transfers"):
        assert f'data-testid="{part}"' in page
    shown = set(re.findall(r'data-testid="case-([A-Z0-9-]+)"', page))
    assert shown
    assert shown <= _identifiers(session_factory, "PL") | _participant_cases(session_factory)
    assert client.get("/countries/JP").status_code == 404  # another country: as if unknown
    assert client.get("/countries/ZZ").status_code == 404
    login(client, session_factory, "dsca.case")
    japan = client.get("/countries/JP").text
    listed = set(re.findall(r'data-testid="case-([A-Z0-9-]+)"', japan))
    assert not listed & _identifiers(session_factory, "PL")
    login(client, session_factory, "hfac.staff")  # no case:read: no country page
    assert client.get("/countries/PL").status_code == 404


def _participant_cases(factory: sessionmaker[Session]) -> set[str]:
    """Multinational cases Poland is named on (it sees them as a participant, issue #13)."""
    with read_only(factory) as s:
        return set(s.scalars(select(Case.identifier).where(Case.id.in_(participant_cases("PL")))))
