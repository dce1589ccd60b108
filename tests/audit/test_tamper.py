"""Tampering behind secassist's back, on the backend under test, and what catches it.

The triggers refuse casual edits of the log itself. Whoever can drop them (or writes a
domain table directly) is caught by `audit verify`: the leaf hashes catch an altered
entry, the signed checkpoints catch a rewritten tree or a truncated log, and the
after-images catch any domain row that differs from what the log last wrote.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit import merkle, queries, service
from secassist.audit.keys import load_trusted
from secassist.audit.models import AuditEntry
from secassist.audit.verify import Report, verify_log
from secassist.core.config import Settings
from secassist.core.errors import ValidationFailedError
from secassist.identity import service as identity
from secassist.identity.logins import authenticate
from secassist.identity.tokens import issue_token
from secassist.storage.uow import read_only, unit_of_work
from tests.audit import TEST_BUREAU, Person, make_person, seed
from tests.support import run_cli

APPEND_ONLY = ("audit_entry", "audit_node", "audit_checkpoint")


@dataclass(frozen=True)
class World:
    engine: Engine
    factory: sessionmaker[Session]
    settings: Settings
    backend: str
    alice: Person

    def sql(self, statement: str, **params: object) -> None:
        """Run raw SQL in its own transaction, as someone with a database shell would."""
        with self.engine.begin() as c:
            c.execute(text(statement), params)

    def verify(self) -> Report:
        with read_only(self.factory) as s:
            return verify_log(s, keys=load_trusted(self.settings))

    def problem(self) -> str:
        report = self.verify()
        assert not report.ok, "tampering went unnoticed"
        return report.problems[0]

    def checkpoint(self) -> int:
        with unit_of_work(self.factory) as s:
            return cp.create(s, settings=self.settings).tree_size

    def drop_triggers(self, table: str) -> None:
        """What an attacker with DDL rights does first."""
        if self.backend == "postgresql":
            self.sql(f"DROP TRIGGER {table}_append_only ON {table}")
            self.sql(f"DROP TRIGGER {table}_no_truncate ON {table}")
        else:
            self.sql(f"DROP TRIGGER {table}_no_update")
            self.sql(f"DROP TRIGGER {table}_no_delete")

    def created_entry(self) -> int:
        """The entry that created alice (and so last wrote her rows)."""
        with read_only(self.factory) as s:
            return s.scalars(
                select(AuditEntry.seq).where(
                    AuditEntry.tag == "identity:user:created",
                    AuditEntry.subject_id == str(self.alice.user_id),
                )
            ).one()

    def alter_alice_entry(self) -> None:
        """Rewrite alice's creation entry to say failed_logins 4, and her row to match."""
        self.sql(
            "UPDATE audit_entry SET payload = replace(payload, :was, :now) WHERE seq = :seq",
            was='"failed_logins":0',
            now='"failed_logins":4',
            seq=self.created_entry(),
        )
        self.sql("UPDATE identity_user SET failed_logins = 4 WHERE id = :id", id=self.alice.user_id)


@pytest.fixture
def world(
    engine: Engine, session_factory: sessionmaker[Session], settings: Settings, backend: str, demo_db: None
) -> World:
    alice = seed(session_factory)
    w = World(engine, session_factory, settings, backend, alice)
    w.checkpoint()
    report = w.verify()
    assert report.ok, report.problems
    return w


# --- the triggers ------------------------------------------------------------------------------

REFUSED = {
    "audit_entry": [
        "UPDATE audit_entry SET tag = 'x:y:z' WHERE seq = 0",
        "DELETE FROM audit_entry WHERE seq = 0",
    ],
    "audit_node": [
        "UPDATE audit_node SET hash = hash WHERE level = 0",
        "DELETE FROM audit_node WHERE idx = 0",
    ],
    "audit_checkpoint": ["UPDATE audit_checkpoint SET note = 'forged'", "DELETE FROM audit_checkpoint"],
}


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_triggers_refuse_update_delete_and_truncate(world: World, table: str) -> None:
    statements = [*REFUSED[table], f"DELETE FROM {table}"]
    if world.backend == "postgresql":
        statements.append(f"TRUNCATE {table}")
        statements.append(f"TRUNCATE {table} CASCADE")
    # audit_cosignature (migration 0014) references audit_checkpoint: PostgreSQL refuses a
    # plain TRUNCATE of the checkpoints for that foreign key before any trigger runs, and
    # a TRUNCATE … CASCADE reaches the cosignatures' own append-only trigger.
    tables = f"({table}|audit_cosignature)" if table == "audit_checkpoint" else table
    refused = rf"{tables} is append-only \((UPDATE|DELETE|TRUNCATE) refused\)"
    if table == "audit_checkpoint":
        refused += "|cannot truncate a table referenced in a foreign key constraint"
    for statement in statements:
        with pytest.raises(DBAPIError, match=refused):
            world.sql(statement)
    assert world.verify().ok


@pytest.mark.parametrize("table", ["audit_entry", "audit_node", "audit_checkpoint"])
def test_replacing_a_row_is_refused(world: World, table: str) -> None:
    """SQLite's REPLACE deletes the old row without firing DELETE triggers, so migration
    0003 refuses any insert of an existing key; PostgreSQL's upsert fires the UPDATE
    trigger of 0002."""
    world.checkpoint()
    copies = {
        "audit_entry": (
            "(seq, at, actor, tag, subject_type, subject_id, payload)",
            "SELECT seq, at, 'mallory', tag, subject_type, subject_id, payload "
            "FROM audit_entry WHERE seq = 1",
            "(seq) DO UPDATE SET actor = excluded.actor",
        ),
        "audit_node": (
            "(level, idx, hash)",
            "SELECT level, idx, hash FROM audit_node WHERE level = 0 AND idx = 1",
            "(level, idx) DO UPDATE SET hash = excluded.hash",
        ),
        "audit_checkpoint": (
            "(id, tree_size, root_hash, at, key_id, note)",
            "SELECT id, tree_size + 1, root_hash, at, key_id, note FROM audit_checkpoint LIMIT 1",
            "(id) DO UPDATE SET tree_size = excluded.tree_size",
        ),
    }
    columns, copy, conflict = copies[table]
    if world.backend == "sqlite":
        statement = f"REPLACE INTO {table} {columns} {copy}"
    else:
        statement = f"INSERT INTO {table} {columns} {copy} ON CONFLICT {conflict}"
    with pytest.raises(DBAPIError, match=f"{table} is append-only"):
        world.sql(statement)
    assert world.verify().ok


def test_inserting_is_what_the_log_is_for(world: World) -> None:
    # The triggers leave INSERT alone; a forged entry appended by hand is caught instead.
    n = world.checkpoint()
    world.sql(
        "INSERT INTO audit_entry (seq, at, actor, tag, subject_type, subject_id, payload) "
        "VALUES (:n, '2026-01-01 00:00:00', 'mallory', 'a:b:c', 't', '1', :payload)",
        n=n,
        payload='{"note":null,"rows":[]}',
    )
    assert world.problem() == f"the log head says {n} entries but {n + 1} exist"


# --- domain rows changed behind secassist's back --------------------------------------------------


def test_a_direct_update_of_a_user_row_is_caught(world: World) -> None:
    uid = world.alice.user_id
    world.sql("UPDATE identity_user SET failed_logins = 4 WHERE id = :id", id=uid)
    seq = world.created_entry()
    assert world.problem() == (
        f"row identity_user {{'id': {uid}}}: failed_logins is 4 but the last audit entry for it "
        f"(entry {seq}) says 0"
    )


def test_a_direct_update_of_a_reference_row_is_caught(world: World) -> None:
    world.sql("UPDATE reference_country SET region = 'WHA' WHERE code = 'FR'")
    problem = world.problem()
    assert problem.startswith("row reference_country {'code': 'FR'}: region is 'WHA'")
    assert "(entry 0) says 'EUR'" in problem


def test_a_change_through_the_services_is_not_tampering(world: World) -> None:
    with unit_of_work(world.factory) as s:
        authenticate(s, username="alice", password="not her password")
    assert world.verify().ok  # failed_logins changed, and the log says so


def test_a_row_inserted_behind_its_back_is_caught(world: World) -> None:
    world.sql(
        "INSERT INTO identity_organization (name, kind, country_code, created_at) "
        "VALUES ('Shadow Procurement LLC', 'industry', NULL, '2026-01-01 00:00:00')"
    )
    with read_only(world.factory) as s:
        oid = identity.organization_by_name(s, "Shadow Procurement LLC").id
    assert world.problem() == f"row identity_organization {{'id': {oid}}} exists but no audit entry wrote it"


def test_a_row_deleted_behind_its_back_is_caught(world: World) -> None:
    uid = world.alice.user_id
    world.sql("DELETE FROM identity_user_role WHERE user_id = :id", id=uid)
    seq = world.created_entry()
    assert world.problem() == (
        f"row identity_user_role {{'role': 'admin', 'user_id': {uid}}} was written by entry {seq} "
        "but no longer exists"
    )


def test_a_deleted_reference_row_is_caught(world: World) -> None:
    world.sql("DELETE FROM reference_country WHERE code = 'ZW'")
    assert (
        world.problem() == "row reference_country {'code': 'ZW'} was written by entry 0 but no longer exists"
    )


def test_rows_are_skipped_only_when_asked(world: World) -> None:
    world.sql("UPDATE reference_country SET name = 'Gaul' WHERE code = 'FR'")
    with read_only(world.factory) as s:
        report = verify_log(s, keys=load_trusted(world.settings), check_rows=False)
    assert report.ok
    assert report.rows == 0


# --- the log itself, with the triggers dropped ----------------------------------------------------


def test_an_altered_entry_is_caught_naming_it(world: World) -> None:
    seq = world.created_entry()
    world.drop_triggers("audit_entry")
    world.alter_alice_entry()
    assert world.problem() == f"entry {seq} does not match its leaf hash (the entry was altered)"


@pytest.mark.parametrize("column", ["actor", "at", "tag", "subject_id"])
def test_every_field_of_an_entry_is_covered_by_its_hash(world: World, column: str) -> None:
    world.drop_triggers("audit_entry")
    value = {"actor": "'someone else'", "at": "at", "tag": "'identity:user:deleted'", "subject_id": "'999'"}[
        column
    ]
    if column == "at":
        shifted = "datetime(at, '+1 second')" if world.backend == "sqlite" else "at + interval '1 second'"
        value = shifted
    world.sql(f"UPDATE audit_entry SET {column} = {value} WHERE seq = 1")
    assert world.problem() == "entry 1 does not match its leaf hash (the entry was altered)"


def _rewrite_tree(world: World) -> None:
    """The thorough attacker: recompute every node from the (altered) entries."""
    world.drop_triggers("audit_node")
    with read_only(world.factory) as s:
        leaves = [queries.leaf_of(e) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    builder = merkle.TreeBuilder()
    nodes = [n for leaf in leaves for n in builder.append(leaf)]
    with world.engine.begin() as c:
        c.execute(text("DELETE FROM audit_node"))
        for (level, idx), h in nodes:
            c.execute(
                text("INSERT INTO audit_node (level, idx, hash) VALUES (:l, :i, :h)"),
                {"l": level, "i": idx, "h": h},
            )


def test_an_altered_entry_with_a_recomputed_tree_is_caught_by_the_checkpoint(world: World) -> None:
    size = world.checkpoint()
    world.drop_triggers("audit_entry")
    world.alter_alice_entry()
    _rewrite_tree(world)
    with read_only(world.factory) as s:  # the tree now agrees with the altered entries
        assert service.root(s) != cp.parse(cp.latest(s).note).root_hash
    assert world.problem() == (
        f"checkpoint 1 (size {size}): recomputed root differs; "
        "an entry before it was altered, inserted or removed"
    )


def test_deleting_the_last_entries_after_a_checkpoint_is_caught(world: World) -> None:
    before = world.checkpoint()
    bob = make_person(
        world.factory,
        username="bob",
        org=TEST_BUREAU,
        kind="state",
        roles=["policy_officer"],
    )
    with unit_of_work(world.factory) as s:
        issue_token(s, actor=None, user_id=bob.user_id, name="bob's token")
    after = world.checkpoint()
    assert after == before + 2

    # Remove bob and every trace of him from the log: his rows, entries, tree nodes, head.
    world.drop_triggers("audit_entry")
    world.drop_triggers("audit_node")
    for table in ("identity_api_token", "identity_user_role"):
        world.sql(f"DELETE FROM {table} WHERE user_id = :id", id=bob.user_id)
    world.sql("DELETE FROM identity_user WHERE id = :id", id=bob.user_id)
    world.sql("DELETE FROM audit_entry WHERE seq >= :n", n=before)
    with world.engine.begin() as c:
        stale = [
            (level, idx)
            for level, idx in c.execute(text("SELECT level, idx FROM audit_node"))
            if (idx + 1) << level > before
        ]
        for level, idx in stale:
            c.execute(text("DELETE FROM audit_node WHERE level = :l AND idx = :i"), {"l": level, "i": idx})
        c.execute(text("UPDATE audit_head SET size = :n"), {"n": before})

    with read_only(world.factory) as s:
        assert service.root(s) == service.root(s, before)  # the store itself is consistent again
    problem = world.problem()
    assert problem == f"checkpoint 3 signed {after} entries but only {before} exist"

    # If the attacker also deletes the log's own checkpoints, only a witness can tell:
    # the log can no longer prove that it extends the checkpoint the witness kept.
    world.drop_triggers("audit_checkpoint")
    world.sql("DELETE FROM audit_checkpoint WHERE tree_size > :n", n=before)
    assert world.verify().ok
    with (
        read_only(world.factory) as s,
        pytest.raises(ValidationFailedError, match=f"no consistency proof from size {after} to {before}"),
    ):
        service.consistency_proof(s, after)


def test_a_forged_checkpoint_row_is_caught(world: World) -> None:
    world.drop_triggers("audit_checkpoint")
    world.sql("UPDATE audit_checkpoint SET tree_size = tree_size - 1")
    assert world.problem() == "checkpoint 1: stored size/root differ from its signed note"
    world.sql(
        "UPDATE audit_checkpoint SET tree_size = tree_size + 1, note = replace(note, 'time ', 'time  ')"
    )
    assert world.problem() == "checkpoint 1: checkpoint signature does not verify"


# --- with the real database shells ----------------------------------------------------------------


def shell(db_url: str, statement: str) -> None:
    """Run SQL through the sqlite3 or psql binary, the way an insider would."""
    url = make_url(db_url)
    if url.get_backend_name() == "postgresql":
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", plain, "-c", statement]
    elif shutil.which("sqlite3"):
        assert url.database
        cmd = ["sqlite3", url.database, statement]
    else:
        assert url.database
        code = (
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()"
        )
        cmd = [sys.executable, "-c", code, url.database, statement]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(env, *args)


def _drop_entry_trigger(backend: str) -> str:
    if backend == "postgresql":
        return "DROP TRIGGER audit_entry_append_only ON audit_entry; "
    return "DROP TRIGGER audit_entry_no_update; "


TAMPERS: dict[str, tuple[Callable[[World], str], Callable[[World], str]]] = {
    "user row": (
        lambda w: f"UPDATE identity_user SET failed_logins = 3 WHERE id = {w.alice.user_id}",
        lambda w: f"row identity_user {{'id': {w.alice.user_id}}}: failed_logins is 3",
    ),
    "country row": (
        lambda w: "UPDATE reference_country SET fms_code = 'XX' WHERE code = 'DE'",
        lambda w: "row reference_country {'code': 'DE'}: fms_code is 'XX'",
    ),
    "entry": (
        lambda w: _drop_entry_trigger(w.backend) + "UPDATE audit_entry SET actor = 'nobody' WHERE seq = 0",
        lambda w: "entry 0 does not match its leaf hash",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERS))
def test_tampering_with_a_database_shell_fails_audit_verify(
    world: World, app_env: dict[str, str], db_url: str, case: str
) -> None:
    ok = cli(app_env, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("audit log verifies:")

    statement, expected = TAMPERS[case]
    shell(db_url, statement(world))

    failed = cli(app_env, "audit", "verify")
    assert failed.returncode == 1, (failed.stdout, failed.stderr)
    assert failed.stdout == ""
    assert failed.stderr.startswith("error [audit.verification_failed]: ")
    assert expected(world) in failed.stderr
