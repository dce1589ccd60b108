"""GET /api/v1/audit/witness: the latest checkpoint and a consistency proof for a witness.

Committee staff and auditors may fetch it (``checkpoint:read``); partners and contractors
may not. The proof links the size the witness kept to the signed checkpoint, and checks
with the log's public key alone.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit.keys import load_trusted
from secassist.audit.standalone import verify_proof
from secassist.core.config import Settings
from secassist.identity import service as identity
from secassist.storage.uow import unit_of_work
from tests.api.test_errors import assert_problem
from tests.audit import TEST_BUREAU, make_person, seed, token_for

pytestmark = pytest.mark.usefixtures("demo_db")


def _sign(factory: sessionmaker[Session], settings: Settings) -> str:
    with unit_of_work(factory) as s:
        return cp.create(s, settings=settings).note


def _caller(factory: sessionmaker[Session], username: str, org: str, kind: str, role: str) -> dict[str, str]:
    country = "PL" if kind == "partner" else None
    p = make_person(factory, username=username, org=org, kind=kind, roles=[role], country=country)
    return {"Authorization": f"Bearer {token_for(factory, p.user_id)}"}


def test_committee_staff_fetch_a_checkpoint_and_a_proof_that_verifies(
    client: Any, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    seed(session_factory)
    kept = _sign(session_factory, settings)
    with unit_of_work(session_factory) as s:
        org = identity.organization_by_name(s, TEST_BUREAU)
        identity.create_user(
            s,
            actor=None,
            username="bob",
            display_name="Bob",
            organization_id=org.id,
            roles=["admin"],
            password="a long enough password 123",
        )
    latest = _sign(session_factory, settings)
    staff = _caller(session_factory, "hill.staff", "Test Committee", "congress", "congressional_staff")
    old_size = cp.parse(kept).tree_size

    got = client.get(f"/api/v1/audit/witness?from_size={old_size}", headers=staff)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["checkpoint"]["note"] == latest
    summary = verify_proof(
        body["proof"], checkpoint_note=latest, keys=load_trusted(settings), old_checkpoint_note=kept
    )
    assert f"extends the kept checkpoint of {old_size} entries" in summary

    # No kept size: the checkpoint alone. A kept size beyond the log's: no proof exists.
    assert client.get("/api/v1/audit/witness", headers=staff).json()["proof"] is None
    beyond = client.get(f"/api/v1/audit/witness?from_size={cp.parse(latest).tree_size + 1}", headers=staff)
    assert beyond.json()["proof"] is None
    huge = client.get(f"/api/v1/audit/witness?from_size={2**64}", headers=staff)
    assert huge.status_code == 422

    # Committee staff still may not read the entries themselves.
    assert client.get("/api/v1/audit/entries", headers=staff).status_code == 403


@pytest.mark.parametrize(
    ("username", "org", "kind", "role"),
    [
        ("pl.staff", "Test Polish MoD", "partner", "partner_staff"),
        ("prime.contracts", "Test Prime Contractor", "industry", "contractor"),
    ],
)
def test_partners_and_contractors_may_not_witness(
    client: Any,
    session_factory: sessionmaker[Session],
    settings: Settings,
    username: str,
    org: str,
    kind: str,
    role: str,
) -> None:
    seed(session_factory)
    _sign(session_factory, settings)
    headers = _caller(session_factory, username, org, kind, role)
    assert_problem(client.get("/api/v1/audit/witness", headers=headers), 403, "permission.denied")
