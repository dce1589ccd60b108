"""An audit entry's page (web/audit.py) and the proofs handed to the browser
(reports/proofs.py), on the demo data and both databases: who may open it, whole or
redacted, and that the data the browser checks is a real proof against the signed note
(checked here in Python with the server's own verifier, so the page's data can be trusted
to be what verify.js needs)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit import merkle
from secassist.audit.canonical import canonical
from secassist.audit.keys import find_trusted
from secassist.audit.models import AuditEntry
from secassist.core.config import Settings
from secassist.equipment.models import Item
from secassist.storage.uow import read_only, unit_of_work
from tests.web.test_shell import login

pytestmark = pytest.mark.usefixtures("demo_db")


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The key directory named explicitly (PostgreSQL has no database file to sit beside)."""
    return Settings(database_url=db_url, env="development", audit_key_path=tmp_path / "keys")


def sign(factory: sessionmaker[Session], settings: Settings) -> int:
    """Sign a checkpoint of the log as it stands; its tree size."""
    with unit_of_work(factory) as s:
        return cp.create(s, settings=settings).tree_size


def proof_data(page: str, seq: int) -> dict[str, Any]:
    m = re.search(rf'data-verify-proof="([^"]*)" data-testid="verify-{seq}"', page)
    assert m, f"no browser proof for entry {seq}"
    data: dict[str, Any] = json.loads(html.unescape(m.group(1)))
    return data


def verifier_key(page: str) -> str:
    m = re.search(r'id="verifier-key" name="verifier-key" value="([^"]*)"', page)
    assert m
    return html.unescape(m.group(1))


def _seq_of(factory: sessionmaker[Session], tag: str) -> int:
    with read_only(factory) as s:
        return s.scalars(select(AuditEntry.seq).where(AuditEntry.tag == tag).limit(1)).one()


def test_the_auditor_sees_an_entry_whole_with_a_proof_the_browser_can_check(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    login(client, session_factory, "ig.auditor")
    seq = _seq_of(session_factory, "case:case:created")
    before = client.get(f"/audit/entries/{seq}").text
    assert 'data-testid="proof-none"' in before  # nothing signed yet: nothing to verify against
    assert "data-verify-proof" not in before
    size = sign(session_factory, settings)
    page = client.get(f"/audit/entries/{seq}").text
    assert 'data-testid="entry-payload"' in page
    assert "The server says: included in the signed tree" in page
    assert '<script src="/static/verify.js" defer></script>' in page
    assert "<script>" not in page  # nothing inline: the CSP forbids it
    data = proof_data(page, seq)
    assert data["tree_size"] == size
    # What the browser gets is a proof that holds: the note verifies under the published key,
    # the entry's canonical JSON hashes to the leaf, the path folds to the signed root.
    trusted = find_trusted(settings)
    assert trusted is not None
    assert trusted.current is not None
    assert verifier_key(page) == trusted.current.verifier
    note = cp.verify(data["note"], trusted)
    assert note.tree_size == size
    leaf = merkle.leaf_hash(canonical(json.loads(data["entry"])))
    assert leaf.hex() == data["leaf_hash"]
    path = [bytes.fromhex(h) for h in data["path"]]
    merkle.verify_inclusion(leaf, seq, size, path, note.root_hash)


def test_an_entry_outside_the_readers_scope_is_redacted_but_still_checkable(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    sign(session_factory, settings)
    seq = _seq_of(session_factory, "vetting:note:added")
    login(client, session_factory, "dsca.case")  # DoD does not read pre-decisional notes
    page = client.get(f"/audit/entries/{seq}").text
    assert 'data-testid="entry-redacted"' in page
    assert 'data-testid="entry-payload"' not in page
    data = proof_data(page, seq)
    assert data["entry"] is None
    note = cp.parse(data["note"])
    path = [bytes.fromhex(h) for h in data["path"]]
    merkle.verify_inclusion(bytes.fromhex(data["leaf_hash"]), seq, note.tree_size, path, note.root_hash)


@pytest.mark.parametrize("username", ["pl.mod", "odc.poland", "hfac.staff", "nds.contracts"])
def test_roles_that_do_not_read_the_log_get_not_found(
    client: TestClient, session_factory: sessionmaker[Session], username: str
) -> None:
    login(client, session_factory, username)
    assert client.get("/audit/entries/1").status_code == 404


def test_a_missing_entry_and_an_anonymous_visitor(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    r = client.get("/audit/entries/1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/audit/entries/1"
    login(client, session_factory, "ig.auditor")
    assert client.get("/audit/entries/99999999").status_code == 404


def test_the_home_proof_form_and_the_trace_hand_the_browser_the_same_proof(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    size = sign(session_factory, settings)
    login(client, session_factory, "ig.auditor")
    home = client.get(f"/?entry={size - 1}").text
    assert proof_data(home, size - 1)["tree_size"] == size
    assert 'data-testid="verify-key"' in home
    with read_only(session_factory) as s:
        serial = s.scalars(select(Item.serial).order_by(Item.id).limit(1)).one()
    trace = client.get(f"/equipment/items/{serial}").text
    assert 'data-testid="verify-key"' in trace
    shown = [int(n) for n in re.findall(r'data-testid="verify-(\d+)"', trace)]
    assert shown, "no step of the trace carries a browser proof"
    for seq in shown:
        assert proof_data(trace, seq)["tree_size"] == size


def test_the_trace_offers_no_browser_check_to_who_may_not_read_checkpoints(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    sign(session_factory, settings)
    login(client, session_factory, "pl.mod")
    with read_only(session_factory) as s:
        serial = s.scalars(select(Item.serial).where(Item.holder_country == "PL").limit(1)).one()
    trace = client.get(f"/equipment/items/{serial}").text
    assert 'data-testid="item-serial"' in trace
    assert "data-verify-proof" not in trace
