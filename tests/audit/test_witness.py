"""`secassist audit witness` on the backend under test (issue #16, test 6).

A witness keeps the last checkpoint it accepted in its own file and countersigns a newer
one only when a consistency proof links the two signed roots. An attacker with database
access who truncates or rewrites the log *and deletes its checkpoints* fools `audit
verify` (every remaining checkpoint is honest about the remaining log), but not the witness.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import service
from secassist.audit import witness as w
from secassist.audit.checkpoint import parse
from secassist.audit.errors import CheckpointError
from secassist.audit.keys import public_pem
from secassist.audit.models import AuditCosignature
from secassist.identity import service as identity
from secassist.storage.uow import read_only, unit_of_work
from tests.audit import TEST_BUREAU, seed
from tests.support import run_cli

pytestmark = pytest.mark.usefixtures("demo_db")

GUARDED = ("audit_entry", "audit_node", "audit_checkpoint", "audit_cosignature")


@dataclass(frozen=True)
class Witness:
    env: dict[str, str]
    state: Path
    key: Path
    engine: Engine
    factory: sessionmaker[Session]
    backend: str

    def checkpoint(self) -> int:
        done = run_cli(self.env, "audit", "checkpoint")
        assert done.returncode == 0, done.stderr
        return parse(done.stdout).tree_size

    def run(self, *extra: str) -> tuple[int, str, str]:
        done = run_cli(
            self.env, "audit", "witness", "--state", str(self.state), "--key", str(self.key), *extra
        )
        return done.returncode, done.stdout, done.stderr

    def add_user(self, username: str) -> None:
        with unit_of_work(self.factory) as s:
            org = identity.organization_by_name(s, TEST_BUREAU)
            identity.create_user(
                s,
                actor=None,
                username=username,
                display_name=username.title(),
                organization_id=org.id,
                roles=["admin"],
                password="a long enough password 123",
            )

    def size(self) -> int:
        with read_only(self.factory) as s:
            return service.tree_size(s)

    def truncate_to(self, size: int, *usernames: str) -> None:
        """What an attacker with DDL rights does: drop the guards, remove the users made after
        ``size`` and every entry, node, checkpoint and cosignature past it, fix the head."""
        with self.engine.begin() as c:
            for table in GUARDED:
                if self.backend == "postgresql":
                    c.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
                else:
                    c.execute(text(f"DROP TRIGGER {table}_no_delete"))
            for name in usernames:
                uid = c.execute(
                    text("SELECT id FROM identity_user WHERE username = :u"), {"u": name}
                ).scalar_one()
                c.execute(text("DELETE FROM identity_user_role WHERE user_id = :i"), {"i": uid})
                c.execute(text("DELETE FROM identity_user WHERE id = :i"), {"i": uid})
            c.execute(text("DELETE FROM audit_cosignature"))
            c.execute(text("DELETE FROM audit_checkpoint"))
            c.execute(text("DELETE FROM audit_entry WHERE seq >= :n"), {"n": size})
            for level in range(64):
                c.execute(
                    text("DELETE FROM audit_node WHERE level = :l AND (idx + 1) * :w > :n"),
                    {"l": level, "w": 1 << level, "n": size},
                )
                if 1 << level > size:
                    break
            c.execute(text("UPDATE audit_head SET size = :n WHERE id = 1"), {"n": size})


@pytest.fixture
def wit(
    session_factory: sessionmaker[Session],
    engine: Engine,
    app_env: dict[str, str],
    tmp_path: Path,
    backend: str,
) -> Witness:
    seed(session_factory)
    key = tmp_path / "witness" / "ig.key"
    made = run_cli(app_env, "audit", "witness", "init", "--key", str(key), "--name", "ig.example")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("ig.example+")
    return Witness(app_env, tmp_path / "witness" / "state.json", key, engine, session_factory, backend)


def test_witness_countersigns_each_consistent_checkpoint(wit: Witness) -> None:
    first = wit.checkpoint()
    code, note, err = wit.run()
    assert code == 0, err
    assert "trusted on first use" in err
    assert parse(json.loads(wit.state.read_text())["checkpoint"]).tree_size == first

    wit.add_user("bob")
    second = wit.checkpoint()
    code, note, err = wit.run()
    assert code == 0, err
    assert f"consistent with the kept checkpoint of {first} entries" in err
    # The note is the log's checkpoint with the witness's cosignature appended, which
    # verifies under the witness's public key; the same line is stored, linked to it.
    body, _, signatures = note.partition("\n\n")
    lines = signatures.splitlines()
    assert len(lines) == 2
    key = w.load_key(wit.key)
    w.verify_cosignature(lines[1], body + "\n", "ig.example", key.public)
    altered = body.replace(str(second), str(second + 1)) + "\n"
    with pytest.raises(CheckpointError, match="does not verify"):
        w.verify_cosignature(lines[1], altered, "ig.example", key.public)
    with read_only(wit.factory) as s:
        stored = s.scalars(select(AuditCosignature).order_by(AuditCosignature.id)).all()
    assert [c.signature for c in stored][-1] == lines[1]
    assert len(stored) == 2
    assert parse(json.loads(wit.state.read_text())["checkpoint"]).tree_size == second
    # Cosignatures are append-only, as the checkpoints they countersign.
    for statement in ("UPDATE audit_cosignature SET witness = 'forged'", "DELETE FROM audit_cosignature"):
        with pytest.raises(DBAPIError, match=r"audit_cosignature is append-only"), wit.engine.begin() as c:
            c.execute(text(statement))

    # Nothing new: the same checkpoint is witnessed again; --no-store writes nothing.
    code, _, err = wit.run("--no-store")
    assert code == 0, err
    with read_only(wit.factory) as s:
        assert len(s.scalars(select(AuditCosignature)).all()) == 2
    # The log's key as the witness keeps it, instead of the database's key directory.
    log_key = wit.state.parent / "log.pub"
    log_key.write_text(run_cli(wit.env, "audit", "public-key").stdout, encoding="utf-8")
    assert wit.run("--log-key", str(log_key))[0] == 0


def test_truncation_with_checkpoints_deleted_fools_verify_but_not_the_witness(wit: Witness) -> None:
    witnessed_before = wit.checkpoint()
    assert wit.run()[0] == 0
    wit.add_user("bob")
    wit.add_user("carol")
    witnessed = wit.checkpoint()
    assert wit.run()[0] == 0
    kept = wit.state.read_text()

    wit.truncate_to(witnessed_before, "bob", "carol")
    signed = wit.checkpoint()  # the operator's next routine checkpoint, over the shorter log
    assert signed == witnessed_before
    fooled = run_cli(wit.env, "audit", "verify")
    assert fooled.returncode == 0, fooled.stderr

    code, _, err = wit.run()
    assert code == 1
    assert f"the log shrank: this witness saw a signed checkpoint of {witnessed} entries" in err
    assert f"latest checkpoint has {witnessed_before}" in err
    assert wit.state.read_text() == kept  # a refused checkpoint never becomes the witness's state

    # The log is rewritten back to the witnessed length with other content: a fork.
    wit.add_user("mallory")
    wit.add_user("trent")
    assert wit.size() == witnessed
    wit.checkpoint()
    assert run_cli(wit.env, "audit", "verify").returncode == 0
    code, _, err = wit.run()
    assert code == 1
    assert f"the log forked: two signed checkpoints of {witnessed} entries with different roots" in err

    # And grown past it: no consistency proof reproduces the witnessed root.
    wit.add_user("oscar")
    grown = wit.checkpoint()
    assert run_cli(wit.env, "audit", "verify").returncode == 0
    code, _, err = wit.run()
    assert code == 1
    assert f"the log of {grown} entries is not an extension of the one this witness saw at {witnessed}" in err
    assert "rewritten or removed" in err
    assert wit.state.read_text() == kept


def test_deleting_every_checkpoint_is_caught(wit: Witness) -> None:
    wit.checkpoint()
    wit.add_user("bob")
    seen = wit.checkpoint()
    assert wit.run()[0] == 0
    wit.truncate_to(wit.size())  # keep the entries, delete the checkpoints and cosignatures
    assert run_cli(wit.env, "audit", "verify").returncode == 0
    code, _, err = wit.run()
    assert code == 1
    assert f"no signed checkpoint, but this witness saw one of {seen} entries" in err


def test_a_broken_state_or_key_file_is_named(wit: Witness) -> None:
    wit.checkpoint()
    wit.state.parent.mkdir(parents=True, exist_ok=True)
    wit.state.write_text("{not json", encoding="utf-8")
    code, _, err = wit.run()
    assert code == 1
    assert f"witness state {wit.state} is unreadable" in err
    again = run_cli(wit.env, "audit", "witness", "init", "--key", str(wit.key), "--name", "ig.example")
    assert again.returncode == 75
    assert "already exists" in again.stderr


def test_a_checkpoint_not_signed_by_the_log_key_the_witness_keeps_is_refused(wit: Witness) -> None:
    wit.checkpoint()
    other = wit.state.parent / "other.pub"
    other.write_text(public_pem(Ed25519PrivateKey.generate().public_key()), encoding="utf-8")
    code, _, err = wit.run("--log-key", str(other))
    assert code == 1
    assert "the log's latest checkpoint is not signed by the log's key" in err
    assert not wit.state.exists()
