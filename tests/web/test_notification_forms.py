"""Notification forms through the app on the demo dataset: opening a case's notification,
the informal review, the formal notification with its statutory review period, an
emergency waiver and a disapproval — each keeping its input with the error beside the
field when refused (422, nothing written), confirming a success on the page it leads to,
offered only to the roles that may act and refused to the others; the §3(d)
certifications listed beside the notifications."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases.models import Case
from secassist.notification import service
from secassist.notification.models import Notification
from secassist.storage.uow import read_only, unit_of_work
from tests.web.test_funds_pages import audit_count, error, login

pytestmark = pytest.mark.usefixtures("demo_db")


@pytest.fixture
def draft_id(session_factory: sessionmaker[Session]) -> int:
    """A draft notification of a sale to Saudi Arabia beside the demo's notified cases."""
    with unit_of_work(session_factory) as s:
        n = service.create_notification(
            s, actor=None, purchaser="Kingdom of Saudi Arabia", purchaser_country="SA",
            mde_value="20000000", other_value="40000000", description="MDE: Eight (8) AN/TPQ-53 radars",
        )  # fmt: skip
        return n.id


def _unnotified_case(factory: sessionmaker[Session]) -> str:
    with read_only(factory) as s:
        notified = select(Notification.case_id).where(Notification.case_id.is_not(None))
        case = s.scalar(select(Case).where(Case.id.not_in(notified)).order_by(Case.id))
        assert case is not None
        return case.identifier


def test_prepare_a_case_notification(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    ident = _unnotified_case(session_factory)
    csrf = login(client, session_factory, "dsca.case")
    listing = client.get("/notifications")
    assert 'data-testid="prepare-form"' in listing.text
    before = audit_count(session_factory)
    r = client.post("/notifications", data={"csrf": csrf, "case": "XX-Q-ZZZ", "justification": "kept"})
    assert r.status_code == 422
    assert "XX-Q-ZZZ" in error(r.text, "case")
    assert "kept</textarea>" in r.text
    assert audit_count(session_factory) == before
    r = client.post("/notifications", data={"csrf": csrf, "case": ident, "justification": "Supports NATO."})
    assert r.status_code == 200
    assert f"Prepared the notification of case {ident}." in r.text
    assert 'data-testid="status">draft<' in r.text
    again = client.post("/notifications", data={"csrf": csrf, "case": ident})
    assert again.status_code == 422
    assert "already has a notification" in error(again.text, "case")


def test_the_review_forms_refuse_beside_the_field_then_confirm(
    client: TestClient, session_factory: sessionmaker[Session], draft_id: int
) -> None:
    csrf = login(client, session_factory, "pm.officer")
    url = f"/notifications/{draft_id}"
    page = client.get(url).text
    for form in ("informal-form", "formal-form", "waiver-form"):
        assert f'data-testid="{form}"' in page
    assert 'data-testid="disapproval-form"' not in page  # only once formally notified
    before = audit_count(session_factory)
    r = client.post(f"{url}/informal", data={"csrf": csrf, "on": "2025-01-10", "days": "twenty"})
    assert r.status_code == 422
    assert "not a number" in error(r.text, "days")
    assert 'value="twenty"' in r.text
    r = client.post(f"{url}/formal", data={"csrf": csrf, "on": "2025-03-10", "transmittal": "2507"})
    assert r.status_code == 422
    assert "not a transmittal number" in error(r.text, "transmittal")
    assert 'value="2507"' in r.text
    assert 'value="2025-03-10"' in r.text
    r = client.post(f"{url}/waiver", data={"csrf": csrf, "justification": "  "})
    assert r.status_code == 422
    assert "justification" in error(r.text, "justification")
    assert audit_count(session_factory) == before

    r = client.post(f"{url}/informal", data={"csrf": csrf, "on": "2025-01-10", "days": "20"})
    assert "Informal review recorded from 2025-01-10 (20 days)." in r.text
    r = client.post(f"{url}/formal", data={"csrf": csrf, "on": "2025-01-05", "transmittal": "25-07"})
    assert r.status_code == 422
    assert "before the informal review" in error(r.text, "on")
    r = client.post(f"{url}/formal", data={"csrf": csrf, "on": "2025-03-10", "transmittal": "25-07"})
    assert "Formally notified on 2025-03-10; the review period (30 days) ends 2025-04-09." in r.text
    assert 'data-testid="formal-form"' not in r.text
    assert 'data-testid="informal-form"' not in r.text
    r = client.post(
        f"{url}/disapproval", data={"csrf": csrf, "resolution": "S.J.Res. 42", "on": "2025-04-01"}
    )
    assert "Joint resolution of disapproval S.J.Res. 42 recorded." in r.text
    assert 'data-testid="status">disapproved<' in r.text
    assert audit_count(session_factory) == before + 3


def test_roles_that_may_not_act_see_no_form_and_are_refused(
    client: TestClient, session_factory: sessionmaker[Session], draft_id: int
) -> None:
    url = f"/notifications/{draft_id}"
    before = audit_count(session_factory)
    csrf = login(client, session_factory, "dsca.case")  # prepares and starts the informal review only
    page = client.get(url).text
    assert 'data-testid="informal-form"' in page
    assert 'data-testid="formal-form"' not in page
    r = client.post(f"{url}/formal", data={"csrf": csrf, "on": "2025-03-10", "transmittal": "25-07"})
    assert r.status_code == 403
    csrf = login(client, session_factory, "ig.auditor")
    page = client.get(url).text
    assert 'data-testid="informal-form"' not in page
    assert 'data-testid="prepare-form"' not in client.get("/notifications").text
    assert client.post(f"{url}/informal", data={"csrf": csrf, "on": "2025-01-10"}).status_code == 403
    csrf = login(client, session_factory, "hfac.staff")  # the draft does not exist for Congress
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/formal", data={"csrf": csrf, "on": "2025-03-10"}).status_code == 404
    assert audit_count(session_factory) == before


def test_certifications_are_listed_for_state(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    from secassist.transfers import queries as transfers

    with read_only(session_factory) as s:
        needing = [r.id for r in transfers.list_requests(s, actor=None) if r.notification_required]
    login(client, session_factory, "pm.officer")
    text = client.get("/notifications").text
    for rid in needing:
        assert f'data-testid="certification-{rid}"' in text
    login(client, session_factory, "nds.contracts")  # a contractor reads no transfers
    assert 'data-testid="certifications"' not in client.get("/notifications").text


@pytest.fixture
def pl_draft_id(session_factory: sessionmaker[Session]) -> int:
    """A Polish notification not yet formally notified, beside the demo's notified ones."""
    with unit_of_work(session_factory) as s:
        n = service.create_notification(
            s, actor=None, purchaser="Republic of Poland", purchaser_country="PL",
            mde_value="20000000", other_value="0", description="MDE: Two (2) radars",
        )  # fmt: skip
        return n.id


@pytest.mark.parametrize("username", ["pl.mod", "odc.poland"])
def test_a_partner_and_an_sco_read_their_countrys_published_notifications(
    client: TestClient, session_factory: sessionmaker[Session], pl_draft_id: int, username: str
) -> None:
    """Published notifications are public record, of the reader's own country (the owner's
    decision, DESIGN.md "Who uses it"): Poland's notified ones list and open with their
    notice; Japan's and Poland's draft answer 404, the same as a missing one."""
    with read_only(session_factory) as s:
        rows = s.execute(
            select(Notification.id, Notification.purchaser_country, Notification.formally_notified)
        ).all()
    own = {i for i, country, notified in rows if country == "PL" and notified}
    foreign = sorted(i for i, country, notified in rows if country != "PL" and notified)
    assert own
    assert foreign
    login(client, session_factory, username)
    listing = client.get("/notifications", params={"per_page": "200"})
    assert listing.status_code == 200
    shown = {int(i) for i in re.findall(r'<td><a href="/notifications/(\d+)">', listing.text)}
    assert shown
    assert shown <= own
    assert pl_draft_id not in shown
    assert 'data-testid="prepare-form"' not in listing.text
    page = client.get(f"/notifications/{min(own)}")
    assert page.status_code == 200
    assert "(PL" in page.text.split('data-testid="purchaser">', 1)[1].split("</dd>", 1)[0]
    assert 'data-testid="notice-text"' in page.text
    for form in ("informal-form", "formal-form", "waiver-form", "disapproval-form"):
        assert f'data-testid="{form}"' not in page.text  # it reads; it does not act
    for hidden in (pl_draft_id, foreign[0], 10_000_000):
        assert client.get(f"/notifications/{hidden}").status_code == 404
    # The export of the list and the transparency register hold the same rows, no more.
    exported = json.loads(client.get("/exports/notifications.json").text)["rows"]
    assert {r["id"] for r in exported} == own
    register = json.loads(client.get("/reports/trade-register.json").text)["rows"]
    assert register
    assert {r["recipient"] for r in register} == {"Poland"}
