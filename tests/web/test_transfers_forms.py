"""Transfer forms through the app, on the demo dataset: a partner files a request for units
of a bulk lot and sees only its own country's items beside the form; a refused lot request
and a refused execution keep their input beside the field and write nothing; the lead-nation
transfer form moves an item of the NSPA case among its participants (a confirmation on the
case page), refuses a recipient outside the case, and is offered only to roles that may."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.cases.models import Case
from secassist.demo.lead_nation import SERIALS, TITLE
from secassist.equipment.models import Item, Lot
from secassist.storage.uow import read_only
from secassist.transfers.models import TransferRequest
from tests.web.test_transfers_pages import _login

pytestmark = pytest.mark.usefixtures("demo_db")
DEMO_LOT = "DEMO-LOT-556-01"


def _audit(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _errors(text: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'data-testid="error-([\w-]+)">([^<]*)<', text)}


def _flash(client: TestClient, location: str) -> str:
    m = re.search(r'<p class="flash success">([^<]*)</p>', client.get(location).text)
    assert m, "no confirmation on the page the form led to"
    return html.unescape(m.group(1))


def test_a_partner_files_a_lot_request_from_its_own_holdings(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with read_only(session_factory) as s:
        lot = s.scalars(select(Lot).where(Lot.lot_number == DEMO_LOT)).one()
        polish = set(s.scalars(select(Item.serial).where(Item.holder_country == "PL")))
        other = set(s.scalars(select(Item.serial).where(Item.holder_country != "PL")))
    csrf = _login(client, session_factory, "pl.mod")
    form = client.get("/transfers/new").text
    shown = set(re.findall(r'data-testid="held-([^"]+)"', form))
    assert shown  # the partner sees what it holds beside the form …
    assert shown <= polish  # … and nothing another country holds
    assert not shown & other
    body = {
        "csrf": csrf,
        "from": "PL",
        "to": "DE",
        "kind": "retransfer",
        "on": "2026-01-10",
        "return_by": "",
        "end_use": "Training ammunition for a Bundeswehr range (test)",
        "end_user": "Bundeswehr",
        "serials": "",
        "lot": str(lot.id),
        "quantity": "120001",
    }
    before = _audit(session_factory)
    more = client.post("/transfers/new", data=body)
    assert more.status_code == 422
    assert any("120000" in e for e in _errors(more.text).values())  # what the lot holds
    assert 'value="120001"' in more.text
    assert f'value="{lot.id}"' in more.text
    both = client.post("/transfers/new", data={**body, "serials": sorted(shown)[0]})
    assert both.status_code == 422
    assert "not both" in _errors(both.text)["serials"]
    none = client.post("/transfers/new", data={**body, "quantity": ""})
    assert none.status_code == 422
    assert "how many" in _errors(none.text)["quantity"]
    assert _audit(session_factory) == before
    done = client.post("/transfers/new", data={**body, "quantity": "500"}, follow_redirects=False)
    assert done.status_code == 303
    rid = int(done.headers["location"].rsplit("/", 1)[1])
    assert _flash(client, done.headers["location"]) == f"Transfer request {rid} filed; its checks ran."
    with read_only(session_factory) as s:
        req = s.get_one(TransferRequest, rid)
        assert (req.from_country, req.lot_id, req.lot_quantity, req.status) == (
            "PL",
            lot.id,
            500,
            "requested",
        )
    # Not approved: its execution is refused beside the form, the site typed kept, nothing written.
    before = _audit(session_factory)
    refused = client.post(
        f"/transfers/{rid}/execution",
        data={"csrf": csrf, "on": "2026-02-01", "site": "Kaiserslautern (test)"},
    )
    assert refused.status_code == 422
    assert "not approved" in " ".join(_errors(refused.text).values()) or "requested" in refused.text
    assert _audit(session_factory) == before
    # Another partner sees none of Poland's holdings, and its form offers none of them.
    _login(client, session_factory, "jp.mod")
    assert not set(re.findall(r'data-testid="held-([^"]+)"', client.get("/transfers/new").text)) & polish
    # Congress staff read transfers but may not file one.
    csrf = _login(client, session_factory, "hfac.staff")
    assert client.get("/transfers/new").status_code == 404
    assert client.post("/transfers/new", data={**body, "csrf": csrf, "quantity": "5"}).status_code == 403
    with read_only(session_factory) as s:
        assert (
            s.scalar(
                select(func.count()).select_from(TransferRequest).where(TransferRequest.lot_id == lot.id)
            )
            == 1
        )


def test_the_lead_nation_transfer_form(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    with read_only(session_factory) as s:
        ref = s.scalars(select(Case.identifier).where(Case.title == TITLE)).one()
        rows = s.execute(select(Item.serial, Item.holder_country).where(Item.serial.in_(SERIALS)))
        held = {serial: holder for serial, holder in rows}
    serial = next(x for x in SERIALS if held[x] == "NL")
    today = datetime.now(UTC).date().isoformat()  # the demo's dates are relative to today
    csrf = _login(client, session_factory, "pm.officer")
    case_page = client.get(f"/transfers/lead-nation/{ref}").text
    assert 'data-testid="lead-nation-transfer"' in case_page
    url = f"/transfers/lead-nation/{ref}/transfer"
    assert client.get(url).status_code == 200
    before = _audit(session_factory)
    outside = client.post(url, data={"csrf": csrf, "to": "JP", "on": today, "serials": serial})
    assert outside.status_code == 422
    assert _errors(outside.text)  # the refusal is shown on the form …
    assert f"{serial}</textarea>" in outside.text  # … with what was typed
    assert 'value="JP"' in outside.text
    assert _audit(session_factory) == before
    done = client.post(
        url, data={"csrf": csrf, "to": "BE", "on": today, "serials": serial}, follow_redirects=False
    )
    assert done.status_code == 303, _errors(done.text)
    assert done.headers["location"] == f"/transfers/lead-nation/{ref}"
    message = _flash(client, done.headers["location"])
    assert message.startswith(f"Case {ref}: 1 item(s) to Belgium under lead-nation:{ref}:")
    with read_only(session_factory) as s:
        assert s.scalar(select(Item.holder_country).where(Item.serial == serial)) == "BE"
    # Roles that may not transfer: no link, no form, and a post is refused.
    csrf = _login(client, session_factory, "ig.auditor")
    assert 'data-testid="lead-nation-transfer"' not in client.get(f"/transfers/lead-nation/{ref}").text
    assert client.get(url).status_code == 404
    back = {"csrf": csrf, "to": "NL", "on": today, "serials": serial}
    assert client.post(url, data=back).status_code == 403
    # A partner outside the case does not see it at all.
    _login(client, session_factory, "jp.mod")
    assert client.get(url).status_code == 404
    with read_only(session_factory) as s:
        assert s.scalar(select(Item.holder_country).where(Item.serial == serial)) == "BE"
