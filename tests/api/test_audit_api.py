"""/api/v1/audit: who may read the log, and proofs a client can check on its own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit import merkle, queries, service
from secassist.audit.canonical import canonical
from secassist.audit.keys import load_public_key
from secassist.core.config import Settings
from secassist.identity.tokens import issue_token
from secassist.storage.uow import read_only, unit_of_work
from tests.api.test_errors import assert_problem
from tests.audit import make_person, seed, token_for

ENDPOINTS = [
    "/api/v1/audit/entries",
    "/api/v1/audit/entries/0",
    "/api/v1/audit/proofs/inclusion/0",
    "/api/v1/audit/proofs/consistency?old=1",
    "/api/v1/audit/checkpoints/latest",
    "/api/v1/audit/checkpoints/latest.txt",
    "/api/v1/audit/public-key",
]


@pytest.fixture
def filled(session_factory: sessionmaker[Session], demo_db: None) -> sessionmaker[Session]:
    seed(session_factory)
    return session_factory


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auditor(filled: sessionmaker[Session]) -> dict[str, str]:
    p = make_person(
        filled, username="gao.reviewer", org="Test Accountability Office", kind="auditor", roles=["auditor"]
    )
    return bearer(token_for(filled, p.user_id))


def checkpoint(factory: sessionmaker[Session], settings: Settings) -> str:
    with unit_of_work(factory) as s:
        return cp.create(s, settings=settings).note


# --- who may read ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_callers_get_401_problem_json(client: Any, filled: sessionmaker[Session], url: str) -> None:
    assert_problem(client.get(url), 401, "auth.failed")
    assert_problem(client.get(url, headers=bearer("sa_not-a-real-token")), 401, "auth.failed")
    assert_problem(client.get(url, headers={"Authorization": "Basic abc"}), 401, "auth.failed")


@pytest.mark.parametrize(
    ("username", "org", "kind", "role", "country"),
    [
        ("pl.staff", "Test Polish MoD", "partner", "partner_staff", "PL"),
        ("hill.staff", "Test Committee", "congress", "congressional_staff", None),
        ("prime.contracts", "Test Prime Contractor", "industry", "contractor", None),
        ("odc.staff", "Test ODC Poland", "sco", "sco_officer", "PL"),
    ],
)
def test_callers_without_audit_read_get_403(
    client: Any,
    filled: sessionmaker[Session],
    settings: Settings,
    username: str,
    org: str,
    kind: str,
    role: str,
    country: str | None,
) -> None:
    checkpoint(filled, settings)
    p = make_person(filled, username=username, org=org, kind=kind, roles=[role], country=country)
    headers = bearer(token_for(filled, p.user_id))
    for url in ENDPOINTS:
        body = assert_problem(client.get(url, headers=headers), 403, "permission.denied")
        assert "audit:read" in body["detail"]


def test_a_token_scoped_without_audit_read_gets_403(
    client: Any, filled: sessionmaker[Session], settings: Settings
) -> None:
    checkpoint(filled, settings)
    p = make_person(filled, username="ig.narrow", org="Test IG", kind="auditor", roles=["auditor"])
    with unit_of_work(filled) as s:
        raw, _ = issue_token(s, actor=None, user_id=p.user_id, name="narrow", scopes=["case:read"])
    assert_problem(client.get("/api/v1/audit/entries", headers=bearer(raw)), 403, "permission.denied")


@pytest.mark.parametrize(
    ("username", "org", "kind", "role"),
    [
        ("pm.reader", "Test State PM", "state", "policy_officer"),
        ("dod.admin", "Test DSCA", "dod", "admin"),
        ("dod.cases", "Test DSCA", "dod", "case_manager"),
    ],
)
def test_state_and_dod_may_read_the_log(
    client: Any,
    filled: sessionmaker[Session],
    settings: Settings,
    username: str,
    org: str,
    kind: str,
    role: str,
) -> None:
    checkpoint(filled, settings)
    p = make_person(filled, username=username, org=org, kind=kind, roles=[role])
    headers = bearer(token_for(filled, p.user_id))
    for url in ENDPOINTS:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.text)


# --- what an auditor gets ---------------------------------------------------------------------------


def test_entries_are_paged_and_filtered(
    client: Any, filled: sessionmaker[Session], auditor: dict[str, str]
) -> None:
    with read_only(filled) as s:
        n = service.tree_size(s)
    seen: list[int] = []
    after: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 7}
        if after is not None:
            params["after"] = after
        r = client.get("/api/v1/audit/entries", params=params, headers=auditor)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [e["seq"] for e in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == list(range(n))

    r = client.get("/api/v1/audit/entries", params={"tag": "identity:token:"}, headers=auditor)
    items = r.json()["items"]
    assert items
    assert all(e["tag"].startswith("identity:token:") for e in items)
    assert items[-1]["tag"] == "identity:token:issued"  # the auditor's own token, issued last
    assert set(items[0]) == {
        "seq",
        "at",
        "actor",
        "actor_user_id",
        "actor_org_id",
        "tag",
        "subject_type",
        "subject_id",
        "rows",
        "redacted",
    }
    assert not any(e["redacted"] for e in items)  # the inspector general reads every entry
    assert_problem(client.get("/api/v1/audit/entries?limit=0", headers=auditor), 422, "validation.failed")
    assert_problem(client.get("/api/v1/audit/entries?limit=1001", headers=auditor), 422, "validation.failed")


def test_an_entry_is_the_document_its_leaf_covers(
    client: Any, filled: sessionmaker[Session], auditor: dict[str, str]
) -> None:
    r = client.get("/api/v1/audit/entries/0", headers=auditor)
    assert r.status_code == 200
    doc = r.json()
    with read_only(filled) as s:
        entry = queries.get_entry(s, 0)
        assert doc == queries.entry_json(entry)
        assert merkle.leaf_hash(canonical(doc)) == queries.leaf_of(entry)
    assert doc["tag"] == "reference:data:synced"
    assert_problem(client.get("/api/v1/audit/entries/999999", headers=auditor), 404, "not_found")


def test_inclusion_proofs_verify_on_the_client(
    client: Any, filled: sessionmaker[Session], auditor: dict[str, str]
) -> None:
    with read_only(filled) as s:
        n = service.tree_size(s)
        root = service.root(s)
    for seq in range(n):
        r = client.get(f"/api/v1/audit/proofs/inclusion/{seq}", headers=auditor)
        assert r.status_code == 200, r.text
        p = r.json()
        assert (p["type"], p["leaf_index"], p["tree_size"], p["root_hash"]) == (
            "inclusion",
            seq,
            n,
            root.hex(),
        )
        leaf = merkle.leaf_hash(canonical(p["entry"]))  # recomputed from the entry itself
        assert leaf.hex() == p["leaf_hash"]
        merkle.verify_inclusion(leaf, seq, n, [bytes.fromhex(h) for h in p["path"]], root)
    r = client.get("/api/v1/audit/proofs/inclusion/1", params={"tree_size": 3}, headers=auditor)
    p = r.json()
    with read_only(filled) as s:
        merkle.verify_inclusion(
            bytes.fromhex(p["leaf_hash"]), 1, 3, [bytes.fromhex(h) for h in p["path"]], service.root(s, 3)
        )
    body = assert_problem(
        client.get(f"/api/v1/audit/proofs/inclusion/{n}", headers=auditor), 422, "validation.failed"
    )
    assert f"entry {n} is not in a tree of size {n}" in body["detail"]


def test_consistency_proofs_verify_on_the_client(
    client: Any, filled: sessionmaker[Session], auditor: dict[str, str]
) -> None:
    with read_only(filled) as s:
        n = service.tree_size(s)
        roots = {m: service.root(s, m) for m in range(1, n + 1)}
    for old in range(1, n + 1):
        r = client.get("/api/v1/audit/proofs/consistency", params={"old": old}, headers=auditor)
        assert r.status_code == 200, r.text
        p = r.json()
        assert (p["old_size"], p["new_size"]) == (old, n)
        merkle.verify_consistency(old, n, roots[old], roots[n], [bytes.fromhex(h) for h in p["proof"]])
    r = client.get("/api/v1/audit/proofs/consistency", params={"old": 2, "new": 5}, headers=auditor)
    p = r.json()
    merkle.verify_consistency(2, 5, roots[2], roots[5], [bytes.fromhex(h) for h in p["proof"]])
    assert_problem(
        client.get("/api/v1/audit/proofs/consistency", params={"old": 5, "new": 2}, headers=auditor),
        422,
        "validation.failed",
    )
    assert_problem(client.get("/api/v1/audit/proofs/consistency", headers=auditor), 422, "validation.failed")


def test_the_latest_checkpoint_and_the_key_that_signed_it(
    client: Any, filled: sessionmaker[Session], settings: Settings, auditor: dict[str, str]
) -> None:
    body = assert_problem(client.get("/api/v1/audit/checkpoints/latest", headers=auditor), 404, "not_found")
    assert "no checkpoint" in body["detail"]
    assert_problem(client.get("/api/v1/audit/public-key", headers=auditor), 404, "not_found")

    checkpoint(filled, settings)
    note = checkpoint(filled, settings)
    r = client.get("/api/v1/audit/checkpoints/latest", headers=auditor)
    assert r.status_code == 200
    latest = r.json()
    with read_only(filled) as s:
        size, root = service.tree_size(s), service.root(s)
    assert (latest["id"], latest["tree_size"], latest["root_hash"], latest["note"]) == (
        2,
        size,
        root.hex(),
        note,
    )

    r = client.get("/api/v1/audit/checkpoints/latest.txt", headers=auditor)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == note

    r = client.get("/api/v1/audit/public-key", headers=auditor)
    assert r.status_code == 200
    key = r.json()
    assert key["origin"] == settings.audit_origin
    assert key["verifier_key"].startswith(f"{settings.audit_origin}+{key['key_id']}+")
    for text in (key["pem"], key["verifier_key"]):
        public, _ = load_public_key(text)
        signed = cp.verify(note, public)
        assert (signed.tree_size, signed.root_hash) == (size, root)


# --- what each reader may read of an entry (issue #11) -----------------------------------------------

SECRET_NOTE = "pre-decisional: hold the sale until the end-use assurances arrive"


def _note_entry(factory: sessionmaker[Session]) -> int:
    """A pre-decisional vetting note written on a demo proposal; its entry's seq."""
    from secassist.audit.models import AuditEntry
    from secassist.vetting.decisions_models import VettingProposal
    from secassist.vetting.service import add_note

    with unit_of_work(factory) as s:
        proposal_id = s.scalars(select(VettingProposal.id).order_by(VettingProposal.id)).first()
        assert proposal_id is not None
        add_note(s, actor=None, proposal_id=proposal_id, body=SECRET_NOTE)
    with read_only(factory) as s:
        seq = s.scalars(
            select(AuditEntry.seq)
            .where(AuditEntry.subject_type == "vetting_note")
            .order_by(AuditEntry.seq.desc())
        ).first()
        assert seq is not None
        return seq


def _case_entry(factory: sessionmaker[Session]) -> int:
    from secassist.audit.models import AuditEntry

    with read_only(factory) as s:
        seq = s.scalars(
            select(AuditEntry.seq).where(AuditEntry.tag.startswith("case:")).order_by(AuditEntry.seq)
        ).first()
        assert seq is not None
        return seq


def _reader(factory: sessionmaker[Session], username: str, kind: str, role: str) -> dict[str, str]:
    p = make_person(factory, username=username, org=f"Test {kind} readers", kind=kind, roles=[role])
    return bearer(token_for(factory, p.user_id))


def _assert_redacted(client: Any, headers: dict[str, str], seq: int, secret: str | None = None) -> None:
    r = client.get(f"/api/v1/audit/entries/{seq}", headers=headers)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert set(doc) == {"seq", "at", "tag", "leaf_hash", "redacted"}
    assert doc["redacted"] is True
    # Still verifiable: the leaf hash is the entry's, and the proof starts from it.
    p = client.get(f"/api/v1/audit/proofs/inclusion/{seq}", headers=headers).json()
    assert p["entry"] == doc
    assert p["leaf_hash"] == doc["leaf_hash"]
    merkle.verify_inclusion(
        bytes.fromhex(p["leaf_hash"]), seq, p["tree_size"], [bytes.fromhex(h) for h in p["path"]],
        bytes.fromhex(p["root_hash"]),
    )  # fmt: skip
    listed = client.get(
        "/api/v1/audit/entries", params={"after": seq - 1, "limit": 1}, headers=headers
    ).json()
    summary = listed["items"][0]
    assert summary["redacted"] is True
    assert (summary["actor"], summary["actor_user_id"], summary["subject_id"], summary["rows"]) == (None,) * 4
    if secret is not None:
        for body in (r.text, client.get(f"/api/v1/audit/proofs/inclusion/{seq}", headers=headers).text):
            assert secret not in body


def _assert_whole(
    client: Any, headers: dict[str, str], seq: int, factory: sessionmaker[Session]
) -> dict[str, Any]:
    r = client.get(f"/api/v1/audit/entries/{seq}", headers=headers)
    assert r.status_code == 200, r.text
    with read_only(factory) as s:
        assert r.json() == queries.entry_json(queries.get_entry(s, seq))
    p = client.get(f"/api/v1/audit/proofs/inclusion/{seq}", headers=headers).json()
    assert p["entry"] == r.json()
    summary = client.get(
        "/api/v1/audit/entries", params={"after": seq - 1, "limit": 1}, headers=headers
    ).json()
    assert summary["items"][0]["redacted"] is False
    assert summary["items"][0]["subject_id"] is not None
    doc: dict[str, Any] = r.json()
    return doc


def test_dod_reads_cases_in_the_log_but_not_pre_decisional_vetting_notes(
    client: Any, filled: sessionmaker[Session]
) -> None:
    note, case = _note_entry(filled), _case_entry(filled)
    dod = _reader(filled, "dod.cases", "dod", "case_manager")
    _assert_redacted(client, dod, note, SECRET_NOTE)
    _assert_whole(client, dod, case, filled)


def test_an_administrator_reads_identity_entries_but_not_cases_or_vetting(
    client: Any, filled: sessionmaker[Session]
) -> None:
    note, case = _note_entry(filled), _case_entry(filled)
    admin = _reader(filled, "state.admin", "state", "admin")
    _assert_redacted(client, admin, case)
    _assert_redacted(client, admin, note, SECRET_NOTE)
    with read_only(filled) as s:
        user_seq = queries.list_entries(s, tag="identity:user:")[0].seq
    _assert_whole(client, admin, user_seq, filled)


@pytest.mark.parametrize(("kind", "role"), [("auditor", "auditor"), ("state", "policy_officer")])
def test_the_inspector_general_and_state_read_every_entry_whole(
    client: Any, filled: sessionmaker[Session], kind: str, role: str
) -> None:
    note, case = _note_entry(filled), _case_entry(filled)
    headers = _reader(filled, f"{kind}.reader", kind, role)
    assert SECRET_NOTE in str(_assert_whole(client, headers, note, filled))
    _assert_whole(client, headers, case, filled)
    page = client.get("/api/v1/audit/entries", params={"limit": 1000}, headers=headers).json()
    assert not any(e["redacted"] for e in page["items"])
