"""Case forms through the app: LOR intake with its checklist, corrections and opening a
case; lines added and edited; moves (forward first, a blocked offer's reason beside the
status); amendments and modifications; the purchaser's acceptance; and what a partner sees
of the offer gates. Each form: success (a redirect and the confirmation on the page it
leads to), refused input (422, the input kept and the error beside its field, nothing
written), and a role that may not (no form, and the post refused)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.cases import service
from secassist.cases.lifecycle import Status
from secassist.cases.models import Case, CaseLine, Lor
from secassist.core.clock import FixedClock
from secassist.http.deps import SESSION_COOKIE
from secassist.identity import service as identity
from secassist.identity.logins import start_web_session
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.offer import WITHHELD
from tests.cases.factories import World, add_lines, drive, make_world, open_case

CLOCK = FixedClock(datetime.now(UTC) - timedelta(days=40))


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    return make_world(session_factory)


@pytest.fixture
def case_id(world: World, session_factory: sessionmaker[Session]) -> int:
    """Poland's case PL-D-AAA with two lines, in development."""
    clock = FixedClock(CLOCK.now())
    with unit_of_work(session_factory) as s:
        cid = open_case(s, None, clock)
        add_lines(s, None, cid, clock, contractor=world.industry_org_id)
    drive(session_factory, cid, Status.in_development, clock)
    return cid


def login(client: TestClient, factory: sessionmaker[Session], who: str) -> str:
    """Log ``user.<who>`` in (a session cookie) and return the session's CSRF token."""
    client.cookies.clear()
    with unit_of_work(factory) as s:
        raw, ws = start_web_session(s, user_id=identity.user_by_name(s, f"user.{who}").id)
        csrf = ws.csrf_token
    client.cookies.set(SESSION_COOKIE, raw)
    return csrf


def post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data=data, follow_redirects=False)


def flash(client: TestClient, url: str) -> str:
    """The confirmation the page a redirect leads to shows."""
    page = client.get(url).text
    m = re.search(r'data-testid="flash">(.*?)</div>', page, re.S)
    assert m, "no flash region"
    return re.sub(r"<[^>]+>", "", m.group(1)).strip()


def error(page: str, field: str) -> str:
    m = re.search(rf'data-testid="error-{field}">(.*?)</p>', page, re.S)
    assert m, f"no error beside {field}"
    return html.unescape(m.group(1))


def count(factory: sessionmaker[Session], model: type[Any]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def version(factory: sessionmaker[Session], cid: int) -> str:
    with read_only(factory) as s:
        return str(service.get_case(s, actor=None, case_id=cid).version)


# --- Letters of Request -------------------------------------------------------------------


def test_lor_intake_checklist_correction_and_opening_a_case(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "dod")
    form = client.get("/lors/new").text
    assert 'data-testid="lor-form"' in form
    today = datetime.now(UTC).date().isoformat()
    data = {"csrf": csrf, "purchaser": "", "request_type": "loa", "financing": "fmf", "received_on": today,
            "reference_number": "PL-2026-17", "articles_services": "", "end_users": "",
            "loa_type": "blanket_order", "desired_value": ""}  # fmt: skip
    refused = post(client, "/lors/new", data)
    assert refused.status_code == 422
    assert "name the purchaser" in error(refused.text, "purchaser")
    assert 'value="PL-2026-17"' in refused.text  # what was typed is kept
    assert count(session_factory, Lor) == 0
    future = post(client, "/lors/new", {**data, "purchaser": "PL", "received_on": "2999-01-01"})
    assert future.status_code == 422
    assert "future" in error(future.text, "received_on")

    r = post(client, "/lors/new", {**data, "purchaser": "PL"})
    assert r.status_code == 303
    url = r.headers["location"]
    lor_id = int(url.rsplit("/", 1)[1])
    assert "still missing: articles_services, end_users, desired_value" in flash(client, url)
    page = client.get(url).text
    for item, state in (("reference_number", "done"), ("articles_services", "missing"),
                        ("end_users", "missing"), ("desired_value", "missing")):  # fmt: skip
        assert f'data-testid="check-{item}" data-state="{state}"' in page
    assert 'data-testid="open-case-form"' in page  # DoD opens cases

    edit = {"csrf": csrf, "reference_number": "PL-2026-17", "articles_services": "AH-64E sustainment",
            "end_users": "Land Forces\nAviation Brigade", "loa_type": "blanket_order",
            "desired_value": "abc"}  # fmt: skip
    bad = post(client, f"/lors/{lor_id}", edit)
    assert bad.status_code == 422
    assert "desired_value" in error(bad.text, "desired_value")
    assert "AH-64E sustainment" in bad.text
    ok = post(client, f"/lors/{lor_id}", {**edit, "desired_value": "25000000"})
    assert ok.status_code == 303
    assert "nothing is missing" in flash(client, f"/lors/{lor_id}")
    assert 'data-testid="lor-complete"' in client.get(f"/lors/{lor_id}").text

    opening = {"csrf": csrf, "implementing_agency": "B", "loa_type": "blanket_order",
               "title": "Apache support", "designator": "A!", "aod_group": ""}  # fmt: skip
    bad = post(client, f"/lors/{lor_id}/case", opening)
    assert bad.status_code == 422
    assert "not 3 letters or digits" in error(bad.text, "designator")
    assert 'value="Apache support"' in bad.text
    assert count(session_factory, Case) == 0
    r = post(client, f"/lors/{lor_id}/case", {**opening, "designator": "QQA"})
    assert (r.status_code, r.headers["location"]) == (303, "/cases/PL-B-QQA")
    assert "Case PL-B-QQA opened for Letter of Request" in flash(client, "/cases/PL-B-QQA")
    assert 'data-testid="lor-case"><a href="/cases/PL-B-QQA"' in client.get(f"/lors/{lor_id}").text
    again = post(client, f"/lors/{lor_id}/case", {**opening, "designator": "QQB"})
    assert again.status_code == 422
    assert "this LOR already has a case" in error(again.text, "form")


def test_lor_forms_by_role(client: TestClient, world: World, session_factory: sessionmaker[Session]) -> None:
    today = datetime.now(UTC).date().isoformat()
    data = {"purchaser": "JP", "request_type": "loa", "financing": "national", "received_on": today,
            "reference_number": "R-1", "articles_services": "x", "end_users": "Navy"}  # fmt: skip
    csrf = login(client, session_factory, "pl")  # Poland's MoD files its own requests only
    assert post(client, "/lors/new", {**data, "csrf": csrf}).status_code == 403
    r = post(client, "/lors/new", {**data, "purchaser": "PL", "csrf": csrf})
    assert r.status_code == 303
    lor_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/lors/{lor_id}").text
    assert 'data-testid="open-case-form"' not in page  # a purchaser does not open cases
    opening = {"csrf": csrf, "implementing_agency": "B", "loa_type": "defined_order", "title": "T"}
    assert post(client, f"/lors/{lor_id}/case", opening).status_code == 403
    csrf = login(client, session_factory, "jp")
    assert client.get(f"/lors/{lor_id}").status_code == 404  # another country's LOR
    csrf = login(client, session_factory, "congress")
    assert client.get("/lors/new").status_code == 403
    assert post(client, "/lors/new", {**data, "csrf": csrf}).status_code == 403
    assert count(session_factory, Lor) == 1


# --- lines --------------------------------------------------------------------------------


def test_lines_added_and_edited(
    client: TestClient, world: World, case_id: int, session_factory: sessionmaker[Session]
) -> None:
    csrf = login(client, session_factory, "dod")
    page = client.get("/cases/PL-D-AAA").text
    assert 'data-testid="line-form"' in page
    assert "Northwind" in page  # the contractor choices
    line = {"csrf": csrf, "version": version(session_factory, case_id), "item_type": "missile",
            "description": "AGM-114 Hellfire", "quantity": "40", "unit_cost": "150000", "usml_category": "IV",
            "mde": "on"}  # fmt: skip
    bad = post(client, "/cases/PL-D-AAA/lines", line)
    assert bad.status_code == 422
    assert "an MDE line must also be SME" in error(bad.text, "sme")
    assert 'value="AGM-114 Hellfire"' in bad.text
    assert count(session_factory, CaseLine) == 2
    r = post(client, "/cases/PL-D-AAA/lines", {**line, "sme": "on"})
    assert r.status_code == 303
    assert "Line 003 added: $6,000,000.00." in flash(client, "/cases/PL-D-AAA")

    edit_page = client.get("/cases/PL-D-AAA/lines/003").text
    assert 'data-testid="line-edit-form"' in edit_page
    edit = {"csrf": csrf, "version": version(session_factory, case_id), "quantity": "forty", "unit_cost": "",
            "description": "AGM-114R Hellfire", "contractor": ""}  # fmt: skip
    bad = post(client, "/cases/PL-D-AAA/lines/003", edit)
    assert bad.status_code == 422
    assert "quantity" in error(bad.text, "quantity")
    assert 'value="AGM-114R Hellfire"' in bad.text
    r = post(client, "/cases/PL-D-AAA/lines/003", {**edit, "quantity": "50"})
    assert r.status_code == 303
    assert "Line 003 updated: $7,500,000.00." in flash(client, "/cases/PL-D-AAA")
    stale = post(client, "/cases/PL-D-AAA/lines/003", {**edit, "quantity": "60"})  # the version read before
    assert stale.status_code == 409

    csrf = login(client, session_factory, "pl")
    page = client.get("/cases/PL-D-AAA").text
    assert 'data-testid="line-form"' not in page
    assert 'data-testid="line-edit-form"' not in client.get("/cases/PL-D-AAA/lines/003").text
    v = version(session_factory, case_id)
    assert (
        post(client, "/cases/PL-D-AAA/lines", {**line, "sme": "on", "csrf": csrf, "version": v}).status_code
        == 403
    )
    assert count(session_factory, CaseLine) == 3


# --- moves, the offer and acceptance ---------------------------------------------------------


def test_moves_forward_first_and_a_blocked_offer_beside_the_status(
    client: TestClient, world: World, case_id: int, session_factory: sessionmaker[Session]
) -> None:
    drive(session_factory, case_id, Status.written, FixedClock(CLOCK.now() + timedelta(days=5)))
    csrf = login(client, session_factory, "dod")
    page = client.get("/cases/PL-D-AAA").text
    options = re.findall(
        r'<option value="([a-z_]+)"', page.split('data-testid="advance-form"')[1].split("</select>")[0]
    )
    assert options == ["reviewed", "in_development", "cancelled"]  # forward, back, then the exit
    drive(session_factory, case_id, Status.proposed, FixedClock(CLOCK.now() + timedelta(days=8)))
    oed = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    offer = {"csrf": csrf, "version": version(session_factory, case_id), "to": "offered",
             "offer_expires_on": oed, "note": "ready"}  # fmt: skip
    r = post(client, "/cases/PL-D-AAA/advance", offer)
    assert r.status_code == 422
    reason = error(r.text, "to")
    assert "offer refused" in reason
    assert "No vetting proposal has been filed for this case." in reason
    assert 'value="ready"' in r.text
    with read_only(session_factory) as s:
        assert service.get_case(s, actor=None, case_id=case_id).status == "proposed"
    back = post(client, "/cases/PL-D-AAA/advance", {**offer, "to": "reviewed"})
    assert back.status_code == 303
    assert "Case PL-D-AAA is now Reviewed (R)." in flash(client, "/cases/PL-D-AAA")


def test_a_partner_accepts_and_does_not_see_internal_reasons(
    client: TestClient, world: World, case_id: int, session_factory: sessionmaker[Session]
) -> None:
    drive(session_factory, case_id, Status.offered, FixedClock(CLOCK.now() + timedelta(days=5)))
    csrf = login(client, session_factory, "dod")
    page = client.get("/cases/PL-D-AAA").text
    assert "No vetting proposal has been filed for this case." in page
    assert WITHHELD not in page
    csrf = login(client, session_factory, "pl")
    page = client.get("/cases/PL-D-AAA").text
    assert "No vetting proposal has been filed for this case." not in page
    assert "Congressional notification under AECA" not in page
    assert page.count(WITHHELD) == 2  # vetting and notification; the funds are Poland's own to see
    assert "National funds: the purchaser pays" in page
    form = page.split('data-testid="advance-form"')[1].split("</form>")[0]
    assert re.findall(r'<option value="([a-z_]+)"', form) == ["accepted"]
    accept = {
        "csrf": csrf,
        "version": version(session_factory, case_id),
        "to": "accepted",
        "initial_deposit": "",
    }
    bad = post(client, "/cases/PL-D-AAA/advance", accept)
    assert bad.status_code == 422
    assert "initial_deposit" in error(bad.text, "initial_deposit")
    r = post(client, "/cases/PL-D-AAA/advance", {**accept, "initial_deposit": "1010000.00"})
    assert r.status_code == 303
    assert "Case PL-D-AAA is now Accepted." in flash(client, "/cases/PL-D-AAA")
    csrf = login(client, session_factory, "pl.sco")  # the SCO reads its country's cases, moves none
    page = client.get("/cases/PL-D-AAA").text
    assert 'data-testid="advance-form"' not in page
    assert WITHHELD in page
    implement = {"csrf": csrf, "version": version(session_factory, case_id), "to": "implemented"}
    assert post(client, "/cases/PL-D-AAA/advance", implement).status_code == 403


def test_amendments_and_modifications(
    client: TestClient, world: World, case_id: int, session_factory: sessionmaker[Session]
) -> None:
    drive(session_factory, case_id, Status.accepted, FixedClock(CLOCK.now() + timedelta(days=5)))
    csrf = login(client, session_factory, "dod")
    page = client.get("/cases/PL-D-AAA").text
    assert 'data-testid="amendment-form"' in page
    assert 'data-testid="modification-form"' in page
    amend = {"csrf": csrf, "version": version(session_factory, case_id), "description": "Two more aircraft",
             "quantities": "001 6"}  # fmt: skip
    bad = post(client, "/cases/PL-D-AAA/amendments", amend)
    assert bad.status_code == 422
    assert "is not LINE=QUANTITY" in error(bad.text, "quantities")
    assert "Two more aircraft" in bad.text
    r = post(client, "/cases/PL-D-AAA/amendments", {**amend, "quantities": "001=6"})
    assert r.status_code == 303
    assert "Amendment 1 proposed (total after: $151,500,000.00); it applies when the purchaser" in flash(
        client, "/cases/PL-D-AAA"
    )
    mod = {"csrf": csrf, "version": version(session_factory, case_id), "description": "Price update",
           "unit_costs": "002=200000"}  # fmt: skip
    r = post(client, "/cases/PL-D-AAA/modifications", mod)
    assert r.status_code == 303
    assert "Modification 1 issued" in flash(client, "/cases/PL-D-AAA")

    csrf = login(client, session_factory, "pl")  # the purchaser accepts its amendment
    page = client.get("/cases/PL-D-AAA").text
    assert 'data-testid="accept-amendment-1"' in page
    assert 'data-testid="amendment-form"' not in page
    accept = {"csrf": csrf, "version": version(session_factory, case_id), "on": "2999-01-01"}
    bad = post(client, "/cases/PL-D-AAA/amendments/1/accept", accept)
    assert bad.status_code == 422
    assert 'value="2999-01-01"' in bad.text
    mine = {**amend, "csrf": csrf, "quantities": "001=8", "version": version(session_factory, case_id)}
    assert post(client, "/cases/PL-D-AAA/amendments", mine).status_code == 403  # the USG's to propose
    r = post(client, "/cases/PL-D-AAA/amendments/1/accept", {**accept, "on": ""})
    assert r.status_code == 303
    assert "Amendment 1 accepted and applied." in flash(client, "/cases/PL-D-AAA")
    with read_only(session_factory) as s:
        assert service.lines_of(s, case_id)[0].quantity == 6


def test_an_amendment_adds_a_line_and_a_modification_records_a_schedule_change(
    client: TestClient, world: World, case_id: int, session_factory: sessionmaker[Session]
) -> None:
    """An amendment adds a new line (item, quantity, unit cost) that applies on the
    purchaser's acceptance; a refused new line keeps its input with the error beside its
    field; a modification with no cost change (a delivery delay) is recorded with its reason."""
    drive(session_factory, case_id, Status.accepted, FixedClock(CLOCK.now() + timedelta(days=5)))
    csrf = login(client, session_factory, "dod")
    page = client.get("/cases/PL-D-AAA").text
    assert 'data-testid="amendment-new-line"' in page
    assert 'name="reason"' in page
    amend = {"csrf": csrf, "version": version(session_factory, case_id), "description": "Add spares",
             "new_item_type": "spare_parts", "new_description": "Spare engines", "new_quantity": "2",
             "new_unit_cost": "lots"}  # fmt: skip
    lines_before, audit_before = count(session_factory, CaseLine), count(session_factory, AuditEntry)
    bad = post(client, "/cases/PL-D-AAA/amendments", amend)
    assert bad.status_code == 422
    assert error(bad.text, "new_unit_cost").startswith("unit_cost:")
    assert 'value="Spare engines"' in bad.text  # the input is kept
    bad = post(
        client, "/cases/PL-D-AAA/amendments", {**amend, "new_unit_cost": "3000000", "quantities": "001=x"}
    )
    assert bad.status_code == 422
    assert "line 001" in error(bad.text, "quantities")
    assert count(session_factory, AuditEntry) == audit_before  # nothing written
    r = post(client, "/cases/PL-D-AAA/amendments", {**amend, "new_unit_cost": "3000000"})
    assert r.status_code == 303
    assert "Amendment 1 proposed (1 new line, total after: $107,500,000.00)" in flash(
        client, "/cases/PL-D-AAA"
    )
    assert count(session_factory, CaseLine) == lines_before  # not until the purchaser accepts
    assert count(session_factory, AuditEntry) == audit_before + 1

    mod = {"csrf": csrf, "version": version(session_factory, case_id), "reason": "delivery_schedule",
           "description": "Line 001 delivery slips to FY2028 Q2", "unit_costs": ""}  # fmt: skip
    bad = post(client, "/cases/PL-D-AAA/modifications", {**mod, "reason": "cost"})
    assert bad.status_code == 422
    assert "at least one unit cost" in error(bad.text, "unit_costs")
    r = post(client, "/cases/PL-D-AAA/modifications", mod)
    assert r.status_code == 303
    assert "Modification 1 issued (delivery delay or schedule change)." in flash(client, "/cases/PL-D-AAA")
    assert count(session_factory, AuditEntry) == audit_before + 2

    csrf = login(client, session_factory, "pl")
    accept = {"csrf": csrf, "version": version(session_factory, case_id), "on": ""}
    assert post(client, "/cases/PL-D-AAA/amendments/1/accept", accept).status_code == 303
    with read_only(session_factory) as s:
        added = service.lines_of(s, case_id)[-1]
        assert (added.number, added.description, added.quantity) == ("003", "Spare engines", 2)
        assert added.value == Decimal("6000000.00")


def test_a_line_is_completed_and_the_last_one_completes_the_case(
    client: TestClient, world: World, case_id: int, session_factory: sessionmaker[Session]
) -> None:
    """On an implemented case the case manager marks a line supply/services complete from
    its page; a future date is refused beside the field; the last line makes the case SSC.
    Before implementation, and for the purchaser, no such form."""
    csrf = login(client, session_factory, "dod")
    assert 'data-testid="line-complete-form"' not in client.get("/cases/PL-D-AAA/lines/001").text
    drive(session_factory, case_id, Status.implemented, FixedClock(CLOCK.now() + timedelta(days=5)))
    page = client.get("/cases/PL-D-AAA/lines/001").text
    assert 'data-testid="line-complete-form"' in page
    done = {"csrf": csrf, "version": version(session_factory, case_id), "on": "2999-01-01"}
    bad = post(client, "/cases/PL-D-AAA/lines/001/complete", done)
    assert bad.status_code == 422
    assert "future" in error(bad.text, "on")
    assert 'value="2999-01-01"' in bad.text
    r = post(client, "/cases/PL-D-AAA/lines/001/complete", {**done, "on": ""})
    assert r.status_code == 303
    assert "Line 001 is supply/services complete" in flash(client, "/cases/PL-D-AAA")
    assert 'data-testid="line-complete-form"' not in client.get("/cases/PL-D-AAA/lines/001").text
    again = {**done, "on": "", "version": version(session_factory, case_id)}
    r = post(client, "/cases/PL-D-AAA/lines/002/complete", again)
    assert r.status_code == 303
    assert "case PL-D-AAA is now" in flash(client, "/cases/PL-D-AAA")
    with read_only(session_factory) as s:
        assert (
            service.get_case(s, actor=None, case_id=case_id).status == Status.supply_services_complete.value
        )
    csrf = login(client, session_factory, "pl")
    assert 'data-testid="line-complete-form"' not in client.get("/cases/PL-D-AAA/lines/001").text


def test_an_agency_records_acceptance_naming_the_signed_loa(
    client: TestClient, world: World, case_id: int, session_factory: sessionmaker[Session]
) -> None:
    drive(session_factory, case_id, Status.offered, FixedClock(CLOCK.now() + timedelta(days=5)))
    csrf = login(client, session_factory, "state")  # State may not record the purchaser's act
    accept = {"csrf": csrf, "version": version(session_factory, case_id), "to": "accepted",
              "initial_deposit": "1010000.00", "acceptance_document": ""}  # fmt: skip
    refused = post(client, "/cases/PL-D-AAA/advance", accept)
    assert refused.status_code == 422
    assert "may not record the purchaser's acceptance" in error(refused.text, "to")
    csrf = login(client, session_factory, "dod")
    page = client.get("/cases/PL-D-AAA").text
    assert "Signed LOA (accepting on the purchaser&#39;s behalf)" in page
    refused = post(client, "/cases/PL-D-AAA/advance", {**accept, "csrf": csrf})
    assert refused.status_code == 422
    assert "names the signed LOA" in error(refused.text, "acceptance_document")
    assert 'value="1010000.00"' in refused.text
    with read_only(session_factory) as s:
        assert service.get_case(s, actor=None, case_id=case_id).status == "offered"
    signed = {
        **accept,
        "csrf": csrf,
        "acceptance_document": "PL-D-AAA LOA signed 2026-11-30, MoD letter 4411",
    }
    r = post(client, "/cases/PL-D-AAA/advance", signed)
    assert r.status_code == 303
    assert "Case PL-D-AAA is now Accepted." in flash(client, "/cases/PL-D-AAA")
    assert "MoD letter 4411" in client.get("/cases/PL-D-AAA").text
