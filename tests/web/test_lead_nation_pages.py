"""Lead-nation pages on the demo dataset (NSPA buying for NL, BE and NO): State sees the
participants, the holdings by nation and every item with a link to its trace; a participant
sees the case it is named on and its own items, never another participant's sites, with the
transfers in its office's inbox linking to the case; a partner not named and congressional
staff get the 404 of a missing case."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.models import Case
from secassist.demo.lead_nation import SITES, TITLE
from secassist.http.deps import SESSION_COOKIE
from secassist.identity import service as identity
from secassist.identity.logins import start_web_session
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import make_org, make_user

pytestmark = pytest.mark.usefixtures("demo_db")


def _login(client: TestClient, factory: sessionmaker[Session], username: str) -> None:
    with unit_of_work(factory) as s:
        raw, _ = start_web_session(s, user_id=identity.user_by_name(s, username).id)
    client.cookies.set(SESSION_COOKIE, raw)


def _case(factory: sessionmaker[Session]) -> tuple[int, str]:
    with read_only(factory) as s:
        case = s.scalars(select(Case).where(Case.title == TITLE)).one()
        return case.id, case.identifier


def test_state_sees_participants_holdings_by_nation_and_every_item(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _, ref = _case(session_factory)
    _login(client, session_factory, "pm.officer")
    assert f'href="/transfers/lead-nation/{ref}"' in client.get("/transfers").text
    assert f'data-testid="mn-{ref}"' in client.get("/transfers/lead-nation").text
    page = client.get(f"/transfers/lead-nation/{ref}").text
    for cc in ("NL", "BE", "NO"):
        assert f'data-testid="participant-{cc}"' in page
        assert f'data-testid="nation-{cc}"' in page
        assert SITES[cc][0] in page  # State sees every site
    assert "Director of Armaments of BE (demo, invented)" in page
    assert 'href="/equipment/items/DEMO-PVS31-NSPA-0001"' in page


def test_a_participant_sees_its_own_items_not_another_participants_sites(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    case_id, ref = _case(session_factory)
    with unit_of_work(session_factory) as s:
        make_user(s, make_org(s, "Belgian Defence (test)", "partner", "BE"), "be.mod")
    _login(client, session_factory, "be.mod")
    page = client.get(f"/transfers/lead-nation/{ref}")
    assert page.status_code == 200
    assert 'data-testid="nation-NL"' in page.text  # the totals by nation are the case's
    assert SITES["BE"][0] in page.text
    assert SITES["NL"][0] not in page.text
    assert SITES["NO"][0] not in page.text
    assert 'data-testid="item-DEMO-PVS31-NSPA-0003"' in page.text  # held by Belgium
    assert 'data-testid="item-DEMO-PVS31-NSPA-0001"' not in page.text  # moved on to Norway
    inbox = client.get("/transfers").text
    assert f'href="/transfers/lead-nation/{case_id}"' in inbox
    assert client.get(f"/transfers/lead-nation/{case_id}").status_code == 200


def test_a_partner_not_named_and_congress_get_404(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _, ref = _case(session_factory)
    for who in ("jp.mod", "hfac.staff"):
        _login(client, session_factory, who)
        assert client.get(f"/transfers/lead-nation/{ref}").status_code == 404
        assert ref not in client.get("/transfers/lead-nation").text or who == "hfac.staff"
