"""Audit tables laid out for point lookups on SQLite.

``audit_entry.seq`` was ``BIGINT PRIMARY KEY``, which SQLite keeps as a separate unique
index beside the rowid: loading one entry of a large log took two B-tree descents. As
``INTEGER PRIMARY KEY`` it *is* the rowid (SQLite's INTEGER is 64-bit, so nothing is
lost). ``audit_node`` becomes ``WITHOUT ROWID``: the rows live in the ``(level, idx)``
B-tree itself, one descent per node instead of two. Both tables are rebuilt (SQLite
cannot change a key in place); the append-only triggers of 0002 and the REPLACE guard
of 0003 are dropped with the old tables and created again on the new ones.
PostgreSQL is unchanged.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import secassist.storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEYS = {"audit_entry": "seq = NEW.seq", "audit_node": "level = NEW.level AND idx = NEW.idx"}
ENTRY_COLUMNS = "seq, at, actor_user_id, actor_org_id, actor, tag, subject_type, subject_id, payload"


def _drop_triggers(table: str) -> None:
    for suffix in ("no_update", "no_delete", "no_replace"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")


def _create_triggers(table: str) -> None:
    """The SQLite triggers of 0002 (UPDATE, DELETE) and 0003 (REPLACE), unchanged."""
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'secassist: {table} is append-only ({action} refused)'); END"
        )
    op.execute(
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {KEYS[table]}) "
        f"BEGIN SELECT RAISE(ABORT, 'secassist: {table} is append-only (REPLACE refused)'); END"
    )


def _rebuild(*, point_lookups: bool) -> None:
    seq_type: sa.types.TypeEngine[int] = sa.Integer() if point_lookups else sa.BigInteger()
    for table in KEYS:
        _drop_triggers(table)
    op.drop_index("ix_audit_entry_tag", table_name="audit_entry")
    op.create_table(
        "_audit_entry_new",
        sa.Column("seq", seq_type, autoincrement=False, nullable=False),
        sa.Column("at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_org_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("tag", sa.String(length=120), nullable=False),
        sa.Column("subject_type", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entry"),
    )
    op.execute(
        f"INSERT INTO _audit_entry_new ({ENTRY_COLUMNS}) SELECT {ENTRY_COLUMNS} FROM audit_entry ORDER BY seq"
    )
    op.drop_table("audit_entry")
    op.rename_table("_audit_entry_new", "audit_entry")
    op.create_index("ix_audit_entry_tag", "audit_entry", ["tag"], unique=False)
    op.create_table(
        "_audit_node_new",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_audit_node"),
        sqlite_with_rowid=not point_lookups,
    )
    op.execute("INSERT INTO _audit_node_new (level, idx, hash) SELECT level, idx, hash FROM audit_node")
    op.drop_table("audit_node")
    op.rename_table("_audit_node_new", "audit_node")
    for table in KEYS:
        _create_triggers(table)


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _rebuild(point_lookups=True)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _rebuild(point_lookups=False)
