"""Migration 0009: the audit tables' SQLite layout for point lookups, on a log with data.

A log written under revision 0008 (the one before) is upgraded in place: every entry and
node survives, the log still verifies, proofs still match, and the append-only triggers
(0002) and the REPLACE guard (0003) hold on the rebuilt tables. Downgrading restores the old layout
with the same content. On PostgreSQL 0009 changes nothing, which the same test shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from secassist.audit import merkle, service
from secassist.audit.keys import TrustedKeys
from secassist.audit.service import SYSTEM
from secassist.audit.verify import verify_log
from secassist.storage.engine import make_engine, make_session_factory
from secassist.storage.migrate import alembic_config, check, upgrade
from secassist.storage.uow import read_only, unit_of_work

BEFORE_LAYOUT = "0008"  # the revision before the layout change (0009)
ENTRIES = 37  # an odd size: the tree has an incomplete right edge


@pytest.fixture
def old_log(empty_db_url: str) -> Iterator[Engine]:
    eng = make_engine(empty_db_url)
    upgrade(eng, BEFORE_LAYOUT)
    factory = make_session_factory(eng)
    with unit_of_work(factory) as s:
        for i in range(ENTRIES):
            service.record(s, actor=SYSTEM, tag="test:thing:happened", subject_type="thing", subject_id=i)
    yield eng
    eng.dispose()


def _content(eng: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with eng.connect() as c:
        entries = [tuple(r) for r in c.execute(text("SELECT * FROM audit_entry ORDER BY seq"))]
        nodes = [
            tuple(r) for r in c.execute(text("SELECT level, idx, hash FROM audit_node ORDER BY level, idx"))
        ]
    return entries, nodes


def _layout(eng: Engine) -> tuple[str, str]:
    """(declared type of audit_entry.seq, audit_node's CREATE statement) on SQLite."""
    with eng.connect() as c:
        seq_type = next(r[2] for r in c.execute(text("PRAGMA table_info(audit_entry)")) if r[1] == "seq")
        node_sql = c.execute(text("SELECT sql FROM sqlite_master WHERE name = 'audit_node'")).scalar_one()
    return seq_type, node_sql


def _refused(eng: Engine, sql: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), eng.begin() as c:
        c.execute(text(sql))


def test_upgrading_a_log_keeps_its_content_and_its_guards(old_log: Engine, backend: str) -> None:
    before = _content(old_log)
    with read_only(make_session_factory(old_log)) as s:
        root_before = service.root(s)
    if backend == "sqlite":
        assert _layout(old_log)[0] == "BIGINT"

    upgrade(old_log)
    check(old_log)  # the models agree with the rebuilt tables
    assert _content(old_log) == before
    if backend == "sqlite":
        seq_type, node_sql = _layout(old_log)
        assert seq_type == "INTEGER"  # the rowid itself
        assert node_sql.rstrip().endswith("WITHOUT ROWID")
    factory = make_session_factory(old_log)
    with read_only(factory) as s:
        assert service.root(s) == root_before
        p = service.inclusion_proof(s, 5)
        path = [bytes.fromhex(h) for h in p["path"]]
        merkle.verify_inclusion(bytes.fromhex(p["leaf_hash"]), 5, ENTRIES, path, root_before)
        report = verify_log(s, keys=TrustedKeys.none(), check_rows=False)
    assert report.ok, report.problems
    assert report.entries == ENTRIES

    for table in ("audit_entry", "audit_node"):
        _refused(
            old_log,
            f"UPDATE {table} SET idx = idx" if table == "audit_node" else f"UPDATE {table} SET tag = tag",
        )
        _refused(old_log, f"DELETE FROM {table}")
    if backend == "sqlite":
        _refused(old_log, "REPLACE INTO audit_entry SELECT * FROM audit_entry WHERE seq = 3")
        _refused(old_log, "REPLACE INTO audit_node SELECT * FROM audit_node WHERE level = 0 AND idx = 3")
    # Appending still works, and continues the tree.
    with unit_of_work(factory) as s:
        assert (
            service.record(
                s, actor=SYSTEM, tag="test:thing:happened", subject_type="thing", subject_id=99
            ).seq
            == ENTRIES
        )
    with read_only(factory) as s:
        assert verify_log(s, keys=TrustedKeys.none(), check_rows=False).ok


def test_downgrading_restores_the_old_layout_with_the_same_content(old_log: Engine, backend: str) -> None:
    before = _content(old_log)
    upgrade(old_log)
    cfg = alembic_config()
    with old_log.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, BEFORE_LAYOUT)
    assert _content(old_log) == before
    if backend == "sqlite":
        assert _layout(old_log)[0] == "BIGINT"
        assert "WITHOUT ROWID" not in _layout(old_log)[1]
        _refused(old_log, "REPLACE INTO audit_entry SELECT * FROM audit_entry WHERE seq = 3")
    _refused(old_log, "DELETE FROM audit_node")
