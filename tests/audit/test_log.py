"""The audit log on the backend under test: appending, atomicity, concurrency, proofs,
checkpoints and a clean verification."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit import keys, merkle, queries, service
from secassist.audit.canonical import canonical, entry_bytes, entry_document, json_value
from secassist.audit.errors import CheckpointError
from secassist.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from secassist.audit.service import SYSTEM, Actor, record
from secassist.audit.verify import verify_log
from secassist.core.config import Settings
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.identity import service as identity
from secassist.identity.logins import authenticate
from secassist.identity.models import Organization, User, UserRole
from secassist.identity.tokens import issue_token
from secassist.storage.uow import read_only, unit_of_work
from tests.audit import PASSWORD, seed


def append(factory: sessionmaker[Session], n: int, *, tag: str = "test:thing:happened") -> list[int]:
    """``n`` entries, one unit of work each; returns their seqs."""
    seqs = []
    for i in range(n):
        with unit_of_work(factory) as s:
            seqs.append(record(s, actor=SYSTEM, tag=tag, subject_type="thing", subject_id=i).seq)
    return seqs


def size(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return service.tree_size(s)


# --- appending ------------------------------------------------------------------------------


def test_record_assigns_contiguous_seqs(session_factory: sessionmaker[Session]) -> None:
    assert append(session_factory, 5) == [0, 1, 2, 3, 4]
    with unit_of_work(session_factory) as s:  # several entries in one unit of work
        seqs = [
            record(s, actor=SYSTEM, tag="test:thing:batched", subject_type="t", subject_id=i).seq
            for i in range(3)
        ]
    assert seqs == [5, 6, 7]
    with read_only(session_factory) as s:
        assert list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq))) == list(range(8))
        assert service.tree_size(s) == 8
        # one leaf per entry; interior nodes for each completed perfect subtree of 8 leaves
        assert s.scalar(select(func.count()).select_from(AuditNode)) == 8 + 4 + 2 + 1


@pytest.mark.parametrize(
    "tag",
    [
        "",
        "case:status",
        "case:status:offered:again",
        "Case:status:offered",
        "case::offered",
        "case:status:",
        "case:status:offered ",
        "1case:status:offered",
        "case-x:status:offered",
    ],
)
def test_record_rejects_a_malformed_tag(session_factory: sessionmaker[Session], tag: str) -> None:
    with (
        pytest.raises(ValidationFailedError, match="source:subject:action") as exc,
        unit_of_work(session_factory) as s,
    ):
        record(s, actor=SYSTEM, tag=tag, subject_type="t", subject_id=1)
    assert exc.value.field == "tag"
    assert size(session_factory) == 0


def test_record_stores_after_images_and_deletions(
    session_factory: sessionmaker[Session], demo_db: None
) -> None:
    person = seed(session_factory)
    with read_only(session_factory) as s:
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.tag == "identity:user:created", AuditEntry.subject_id == str(person.user_id)
            )
        ).one()
        user = s.get(User, person.user_id)
        assert user is not None
        payload = json.loads(entry.payload)
        assert entry.payload == canonical(payload).decode()  # stored as the exact hashed bytes
        images = {img["table"]: img for img in payload["rows"]}
        assert set(images) == {"identity_user", "identity_user_role"}
        assert images["identity_user"]["pk"] == {"id": user.id}
        assert images["identity_user"]["after"] == {
            "id": user.id,
            "username": "alice",
            "display_name": "Alice",
            "organization_id": person.org_id,
            # Secret columns are logged as a digest, never the credential itself.
            "password_hash": "sha256:" + hashlib.sha256(json.dumps(user.password_hash).encode()).hexdigest(),
            "is_active": True,
            "failed_logins": 0,
            "locked_until": None,
            "created_at": json_value(user.created_at),
            "last_login_at": None,
            "os_user": None,
        }
        assert images["identity_user_role"]["pk"] == {"user_id": user.id, "role": "admin"}
        assert entry.subject_type == "user"
        assert entry.subject_id == str(user.id)
        assert entry.actor == "system"

    with unit_of_work(session_factory) as s:
        role = s.get(UserRole, (person.user_id, "admin"))
        assert role is not None
        s.delete(role)
        gone = record(
            s, actor=SYSTEM, tag="identity:role:revoked", subject_type="user", subject_id=1, deleted=[role]
        )
    assert json.loads(gone.payload)["rows"] == [
        {"table": "identity_user_role", "pk": {"user_id": person.user_id, "role": "admin"}, "after": None}
    ]


def test_actor_is_recorded(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        e = record(
            s,
            actor=Actor(label="bob (DSCA)", user_id=7, org_id=3),
            tag="a:b:c",
            subject_type="t",
            subject_id="x",
        )
    doc = queries.entry_json(e)
    assert doc["actor"] == {"user": 7, "org": 3, "label": "bob (DSCA)"}
    assert doc["subject"] == {"type": "t", "id": "x"}


@pytest.mark.parametrize(
    "text", ["tab\there", "line\nbreak\r", "back\\slash", "\\N", "\\.", "\\.\n", "", "é ✓ \U0001f600"]
)
def test_an_entry_is_stored_as_it_was_hashed(session_factory: sessionmaker[Session], text: str) -> None:
    # PostgreSQL takes the buffer by COPY, whose text format escapes tabs, newlines and
    # backslashes and reads \N as NULL: what comes back must be what was hashed.
    with unit_of_work(session_factory) as s:
        fields = record(
            s,
            actor=Actor(label=text, user_id=1),
            tag="a:b:c",
            subject_type="t",
            subject_id=text,
            note={"text": text},
        )
    with read_only(session_factory) as s:
        entry = queries.get_entry(s, fields.seq)
        assert (entry.actor, entry.subject_id) == (text, text)
        assert queries.entry_json(entry) == entry_document(fields)
        stored = s.scalar(select(AuditNode.hash).where(AuditNode.level == 0, AuditNode.idx == fields.seq))
        assert stored == queries.leaf_of(entry) == merkle.leaf_hash(entry_bytes(fields))


# --- atomicity -------------------------------------------------------------------------------


class BoomError(Exception):
    pass


def _create_org_then_fail(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as s:
        org = identity.create_organization(
            s, actor=None, name="Defense Security Cooperation Agency", kind="dod"
        )
        assert org.id is not None
        assert service.tree_size(s) == 4  # written, inside the transaction
        raise BoomError


def test_a_change_and_its_entry_land_together_or_not_at_all(session_factory: sessionmaker[Session]) -> None:
    append(session_factory, 3)
    with read_only(session_factory) as s:
        nodes_before = s.scalar(select(func.count()).select_from(AuditNode))
    with pytest.raises(BoomError):
        _create_org_then_fail(session_factory)
    with read_only(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(Organization)) == 0
        assert service.tree_size(s) == 3
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 3
        assert s.scalar(select(func.count()).select_from(AuditNode)) == nodes_before
    # The seq the failed change would have used is taken by the next one: no gap.
    with unit_of_work(session_factory) as s:
        identity.create_organization(s, actor=None, name="Defense Security Cooperation Agency", kind="dod")
    with read_only(session_factory) as s:
        assert (
            s.scalars(select(AuditEntry.seq).where(AuditEntry.tag == "identity:organization:created")).one()
            == 3
        )


def test_a_session_reused_after_a_rollback_forgets_the_rolled_back_nodes(
    session_factory: sessionmaker[Session],
) -> None:
    append(session_factory, 1)
    s = session_factory()
    try:
        record(s, actor=SYSTEM, tag="a:b:c", subject_type="t", subject_id=1)  # leaf 1 and node (1, 0)
        s.rollback()
        record(s, actor=SYSTEM, tag="a:b:d", subject_type="t", subject_id=2)
        s.commit()
    finally:
        s.close()
    with read_only(session_factory) as s:
        leaves = [queries.leaf_of(e) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        assert service.root(s) == merkle.node_hash(leaves[0], leaves[1])


# --- concurrency ------------------------------------------------------------------------------


def test_concurrent_appenders_get_contiguous_seqs_and_a_verifying_tree(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    threads, per_thread = 4, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with unit_of_work(session_factory) as s:
                    if i % 5 == 0:  # some with domain rows, some bare
                        identity.create_organization(
                            s, actor=None, name=f"Contractor {t}-{i}", kind="industry"
                        )
                    else:
                        record(s, actor=SYSTEM, tag="test:thread:wrote", subject_type="thread", subject_id=t)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors, errors
    total = threads * per_thread
    with read_only(session_factory) as s:
        assert list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq))) == list(range(total))
        assert service.tree_size(s) == total
        by_thread = s.execute(
            select(AuditEntry.subject_id, func.count())
            .where(AuditEntry.tag == "test:thread:wrote")
            .group_by(AuditEntry.subject_id)
        ).all()
        assert sorted(by_thread) == [(str(t), per_thread - 3) for t in range(threads)]
    with unit_of_work(session_factory) as s:
        cp.create(s, settings=settings)
    with read_only(session_factory) as s:
        report = verify_log(s, keys=keys.load_trusted(settings))
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints, report.rows) == (total, 1, threads * 3)


# --- proofs from the store ----------------------------------------------------------------------


def test_proofs_from_the_store_verify_against_the_root(session_factory: sessionmaker[Session]) -> None:
    n = 37
    append(session_factory, n)
    with read_only(session_factory) as s:
        root = service.root(s)
        builder = merkle.TreeBuilder()
        for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
            builder.append(queries.leaf_of(e))
        assert builder.root() == root
        for seq in range(n):
            p = service.inclusion_proof(s, seq)
            leaf = bytes.fromhex(p["leaf_hash"])
            assert leaf == merkle.leaf_hash(canonical(p["entry"]))
            assert (p["tree_size"], p["leaf_index"], p["root_hash"]) == (n, seq, root.hex())
            merkle.verify_inclusion(leaf, seq, n, [bytes.fromhex(h) for h in p["path"]], root)
            for older in (seq + 1, (seq + n) // 2 + 1):  # against earlier tree sizes too
                q = service.inclusion_proof(s, seq, older)
                merkle.verify_inclusion(
                    leaf, seq, older, [bytes.fromhex(h) for h in q["path"]], service.root(s, older)
                )
        for old in range(1, n + 1):
            c = service.consistency_proof(s, old)
            assert (c["old_root"], c["new_root"]) == (service.root(s, old).hex(), root.hex())
            merkle.verify_consistency(
                old, n, service.root(s, old), root, [bytes.fromhex(h) for h in c["proof"]]
            )
        c = service.consistency_proof(s, 5, 20)
        merkle.verify_consistency(
            5, 20, service.root(s, 5), service.root(s, 20), [bytes.fromhex(h) for h in c["proof"]]
        )


def test_batched_proofs_equal_the_proofs_one_at_a_time(session_factory: sessionmaker[Session]) -> None:
    n = 37
    append(session_factory, n)
    with read_only(session_factory) as s:
        for size in (None, 1, 20, n):
            in_tree = n if size is None else size
            picked = [seq for seq in (0, 3, 3, 19, 20, 36, 11) if seq < in_tree]
            batch = service.inclusion_proofs(s, picked, size)
            assert batch == [service.inclusion_proof(s, seq, size) for seq in sorted(set(picked))]
        # A trace against an older checkpoint leaves out the steps recorded after it.
        older = service.inclusion_proofs(s, [2, 30, 9], 10, skip_outside=True)
        assert [p["leaf_index"] for p in older] == [2, 9]
        assert service.inclusion_proofs(s, []) == []
        with pytest.raises(ValidationFailedError, match="entry 30 is not in a tree of size 10"):
            service.inclusion_proofs(s, [2, 30], 10)
        with pytest.raises(ValidationFailedError, match=r"tree size 99 is outside 0\.\.37"):
            service.inclusion_proofs(s, [2], 99)


def test_proof_requests_outside_the_tree_are_clear_errors(session_factory: sessionmaker[Session]) -> None:
    append(session_factory, 4)
    with read_only(session_factory) as s:
        with pytest.raises(ValidationFailedError, match="entry 4 is not in a tree of size 4"):
            service.inclusion_proof(s, 4)
        with pytest.raises(ValidationFailedError, match=r"tree size 9 is outside 0\.\.4"):
            service.inclusion_proof(s, 0, 9)
        with pytest.raises(ValidationFailedError, match="no consistency proof from size 0"):
            service.consistency_proof(s, 0)
        with pytest.raises(ValidationFailedError, match="no consistency proof from size 4 to 3"):
            service.consistency_proof(s, 4, 3)
        with pytest.raises(NotFoundError, match="no audit entry 99"):
            queries.get_entry(s, 99)
        assert service.root(s, 0) == merkle.EMPTY_ROOT


def test_listing_entries_by_tag_prefix_and_page(session_factory: sessionmaker[Session]) -> None:
    append(session_factory, 3, tag="case:status:offered")
    append(session_factory, 2, tag="case_line:item:added")
    append(session_factory, 2, tag="identity:user:created")
    with read_only(session_factory) as s:
        assert [e.seq for e in queries.list_entries(s, tag="case:")] == [0, 1, 2]
        assert [e.seq for e in queries.list_entries(s, tag="case")] == [0, 1, 2, 3, 4]
        assert [e.seq for e in queries.list_entries(s, tag="case_")] == [3, 4]  # "_" is not a wildcard
        assert [e.seq for e in queries.list_entries(s, tag="ca%")] == []  # nor is "%"
        assert [e.seq for e in queries.list_entries(s, after=2, limit=3)] == [3, 4, 5]
        assert queries.list_entries(s, tag="identity:user:created", after=6) == []
        for bad in (0, 1001):
            with pytest.raises(ValidationFailedError, match="limit"):
                queries.list_entries(s, limit=bad)


# --- checkpoints ---------------------------------------------------------------------------------


def test_a_checkpoint_verifies_with_the_public_key_only(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with read_only(session_factory) as s, pytest.raises(NotFoundError, match="no checkpoint"):
        cp.latest(s)
    append(session_factory, 6)
    with unit_of_work(session_factory) as s:
        row = cp.create(s, settings=settings)
    key = keys.signing_key(settings).private
    with read_only(session_factory) as s:
        assert cp.latest(s).id == row.id
        root = service.root(s)
    note = cp.verify(row.note, key.public_key())
    assert (note.tree_size, note.root_hash, note.origin) == (6, root, settings.audit_origin)
    assert note.body.splitlines()[3].startswith("time ")
    # the public key round-trips through both published forms
    public = key.public_key()
    for text in (keys.public_pem(public), keys.verifier_key(settings.audit_origin, public)):
        loaded, _ = keys.load_public_key(text)
        assert cp.verify(row.note, loaded).root_hash == root

    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(CheckpointError, match="not by the key given"):
        cp.verify(row.note, other)

    raw = row.note.encode()
    for i in range(len(raw)):
        if raw[i : i + 1] in (b"\n",) or raw[i] >= 0x80:
            continue  # keep the line structure and the em dash; change every other byte
        changed = bytearray(raw)
        changed[i] ^= 0x01
        try:
            text = changed.decode()
        except UnicodeDecodeError:
            continue
        with pytest.raises(CheckpointError):
            cp.verify(text, key.public_key())


def test_malformed_checkpoints_are_checkpoint_errors() -> None:
    key = Ed25519PrivateKey.generate()
    from datetime import UTC, datetime

    good = cp.sign(cp.render_body("o", 3, b"\x01" * 32, datetime.now(UTC)), key, "o")
    cases = {
        "no signature block": good.split("\n\n")[0],
        "needs origin": "o\n3\n\n" + good.split("\n\n")[1],
        "not a number": good.replace("\n3\n", "\n3²\n", 1),
        "not base64": good.replace(good.splitlines()[2], "!!!", 1),
        "not 32 bytes": good.replace(good.splitlines()[2], "AAAA", 1),
        "em dash": good.replace("\u2014", "-"),
        "malformed": good.replace("\u2014 o ", "\u2014 o x "),
    }
    for what, text in cases.items():
        with pytest.raises(CheckpointError, match=what):
            cp.verify(text, key.public_key())


def test_checkpoints_are_listed_oldest_first(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    for n in (1, 2):
        append(session_factory, n)
        with unit_of_work(session_factory) as s:
            cp.create(s, settings=settings)
    with read_only(session_factory) as s:
        assert [c.tree_size for c in cp.all_checkpoints(s)] == [1, 3]
        assert s.scalar(select(func.count()).select_from(AuditCheckpoint)) == 2


def test_a_clean_log_verifies(
    session_factory: sessionmaker[Session], settings: Settings, demo_db: None
) -> None:
    person = seed(session_factory)
    with unit_of_work(session_factory) as s:
        cp.create(s, settings=settings)
        authenticate(s, username="alice", password="wrong password!!")
        authenticate(s, username="alice", password=PASSWORD)
        issue_token(s, actor=None, user_id=person.user_id, name="ci")
    with unit_of_work(session_factory) as s:
        cp.create(s, settings=settings)
    with read_only(session_factory) as s:
        report = verify_log(s, keys=keys.load_trusted(settings))
        entries = service.tree_size(s)
    assert report.ok, report.problems
    assert report.entries == entries
    assert report.checkpoints == 2
    assert report.rows > 250  # the countries, the dataset versions, the identity rows
