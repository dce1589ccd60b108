"""The shared web shell (web/forms.py, web/render.py): the flash after a successful post,
"confirm once" for a destructive action, role-aware navigation, names beside codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.models import Case
from secassist.core.clock import FixedClock
from secassist.demo.dataset import DEMO_USERS
from secassist.http.deps import SESSION_COOKIE
from secassist.identity import service as identity
from secassist.identity.logins import start_web_session
from secassist.storage.uow import read_only, unit_of_work
from secassist.web.forms import FLASH_COOKIE
from tests.cases.factories import World, add_lines, make_world, open_case
from tests.web.test_pages import nav_links


def login(client: TestClient, factory: sessionmaker[Session], username: str) -> str:
    """Start a web session for ``username``; the session's CSRF token."""
    with unit_of_work(factory) as s:
        raw, ws = start_web_session(s, user_id=identity.user_by_name(s, username).id)
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    return csrf


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    w = make_world(session_factory)
    clock = FixedClock(datetime.now(UTC))
    with unit_of_work(session_factory) as s:
        add_lines(s, None, open_case(s, None, clock), clock)
    return w


def _status(factory: sessionmaker[Session], ident: str) -> str:
    with read_only(factory) as s:
        return s.scalars(select(Case.status).where(Case.identifier == ident)).one()


def flash_of(page: str) -> str:
    m = re.search(r'<div class="flash-region" role="status"[^>]*>(.*?)</div>', page, re.S)
    assert m, "no flash region"
    return re.sub(r"<[^>]+>", "", m.group(1)).strip()


def test_cancel_asks_once_then_confirms_on_the_next_page(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "user.dod")
    form = {"csrf": csrf, "to": "cancelled", "version": "3", "note": "purchaser withdrew"}
    ask = client.post("/cases/PL-D-AAA/advance", data=form)
    assert ask.status_code == 200
    assert "Cancel case PL-D-AAA" in ask.text
    assert "cannot be reopened" in ask.text
    assert _status(session_factory, "PL-D-AAA") == "lor_received"  # nothing done yet
    token = re.search(r'name="confirmed" value="([0-9a-f]{64})"', ask.text)
    assert token
    for name, value in (("to", "cancelled"), ("version", "3"), ("note", "purchaser withdrew")):
        assert f'name="{name}" value="{value}"' in ask.text

    # The token confirms exactly what was shown: another note is asked about again.
    confirmed = {**form, "confirmed": token.group(1)}
    changed = client.post("/cases/PL-D-AAA/advance", data={**confirmed, "note": "other"})
    assert "Cancel case PL-D-AAA" in changed.text
    assert _status(session_factory, "PL-D-AAA") == "lor_received"

    done = client.post("/cases/PL-D-AAA/advance", data=confirmed, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/cases/PL-D-AAA")
    assert FLASH_COOKIE in done.cookies
    assert _status(session_factory, "PL-D-AAA") == "cancelled"

    shown = client.get("/cases/PL-D-AAA")
    assert flash_of(shown.text) == "Case PL-D-AAA is now Cancelled."
    assert flash_of(client.get("/cases/PL-D-AAA").text) == ""  # one-shot


def test_a_stale_or_unsigned_cancel_is_refused_before_asking(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "user.dod")
    stale = client.post("/cases/PL-D-AAA/advance", data={"csrf": csrf, "to": "cancelled", "version": "2"})
    assert stale.status_code == 409
    no_csrf = client.post("/cases/PL-D-AAA/advance", data={"to": "cancelled", "version": "3"})
    assert no_csrf.status_code == 403
    assert _status(session_factory, "PL-D-AAA") == "lor_received"


def test_a_forged_flash_cookie_is_ignored(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    login(client, session_factory, "user.dod")
    client.cookies.set(FLASH_COOKIE, "WyJzdWNjZXNzIiwgIlBXTkVEIl0=.0000")
    page = client.get("/cases/PL-D-AAA").text
    assert "PWNED" not in page
    assert flash_of(page) == ""


def test_names_beside_codes_on_the_case_page(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    login(client, session_factory, "user.dod")
    page = client.get("/cases/PL-D-AAA").text
    assert "Poland (PL)" in page
    assert "Department of the Air Force (D)" in page
    assert "Defined order" in page or "Blanket order" in page or "CLSSA" in page
    assert "National funds" in page


# --- navigation follows the policy ------------------------------------------------------


@pytest.mark.usefixtures("demo_db")
@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS])
def test_every_nav_link_opens_for_each_demo_user(
    client: TestClient, session_factory: sessionmaker[Session], username: str
) -> None:
    login(client, session_factory, username)
    links = nav_links(client.get("/").text)
    assert links, "no navigation"
    for label, href, _ in links:
        r = client.get(href, follow_redirects=False)
        assert r.status_code == 200, f"{username}: {label} ({href}) answered {r.status_code}"


@pytest.mark.usefixtures("demo_db")
def test_the_nav_shows_only_what_the_role_may_open(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    login(client, session_factory, "pl.mod")
    labels = [label for label, _, _ in nav_links(client.get("/").text)]
    assert not {"Screening", "Vetting"} & set(labels)
    # Published notifications of its own country are public record (the owner's decision).
    assert {"Home", "Cases", "Equipment", "Transfers", "Notifications"} <= set(labels)
    assert client.get("/screening").status_code == 403  # what the nav hides is refused too

    login(client, session_factory, "hfac.staff")
    labels = [label for label, _, _ in nav_links(client.get("/").text)]
    assert {"Notifications", "Transfers"} <= set(labels)
    assert not {"Cases", "Equipment"} & set(labels)
