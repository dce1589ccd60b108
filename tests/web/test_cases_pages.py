"""Case pages through the app: login required, scoped (another country's case is a 404
page), filters, the detail page's lines, gates and timeline, and a stale form → 409."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.http.deps import SESSION_COOKIE
from secassist.identity import service as identity
from secassist.identity.logins import start_web_session
from secassist.storage.uow import unit_of_work
from tests.cases.factories import World, add_lines, make_world, open_case


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    w = make_world(session_factory)
    clock = FixedClock(datetime.now(UTC))
    with unit_of_work(session_factory) as s:
        pl = open_case(s, None, clock)
        add_lines(s, None, pl, clock)
        open_case(s, None, clock, purchaser="JP", agency="P", financing="fmf")
    return w


def _login(client: TestClient, factory: sessionmaker[Session], who: str) -> dict[str, str]:
    with unit_of_work(factory) as s:
        raw, ws = start_web_session(s, user_id=identity.user_by_name(s, f"user.{who}").id)
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    return {"csrf": csrf}


def test_case_pages_need_a_login(client: TestClient, world: World) -> None:
    r = client.get("/cases?status=lor_received", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/cases%3Fstatus%3Dlor_received")


def test_list_filters_and_scope(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    _login(client, session_factory, "dod")
    page = client.get("/cases").text
    assert "PL-D-AAA" in page
    assert "JA-P-AAA" in page
    assert "2 visible to you" in page
    fmf = client.get("/cases?financing=fmf&agency=P").text
    assert "JA-P-AAA" in fmf
    assert "PL-D-AAA" not in fmf
    _login(client, session_factory, "pl")
    page = client.get("/cases").text
    assert "PL-D-AAA" in page
    assert "JA-P-AAA" not in page
    missing = client.get("/cases/XX-D-ZZZ")
    other = client.get("/cases/JA-P-AAA")
    assert (other.status_code, missing.status_code) == (404, 404)
    assert "case not found" in other.text


def test_detail_and_a_stale_form(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    form: dict[str, Any] = _login(client, session_factory, "dod")
    page = client.get("/cases/PL-D-AAA").text
    for text in (
        "F-16 Block 70",
        "$100,000,000.00",
        "$101,500,000.00",
        "No vetting proposal has been filed for this case.",
        "National funds: the purchaser pays",  # the funding gate (programs)
        "Congressional notification under AECA §36(b)(1) required; no formal notification recorded.",
        "LOR received",
    ):
        assert text in page
    assert 'name="version" value="3"' in page
    r = client.post(
        "/cases/PL-D-AAA/advance", data={**form, "to": "lor_complete", "version": "3"}, follow_redirects=False
    )
    assert (r.status_code, r.headers["location"]) == (303, "/cases/PL-D-AAA")
    stale = client.post("/cases/PL-D-AAA/advance", data={**form, "to": "cancelled", "version": "3"})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text or "version" in stale.text
    no_csrf = client.post("/cases/PL-D-AAA/advance", data={"to": "cancelled", "version": "4"})
    assert no_csrf.status_code == 403
