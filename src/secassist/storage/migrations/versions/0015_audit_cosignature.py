"""Witness cosignatures of signed checkpoints, append-only like the checkpoints.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 05:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import secassist.storage.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLE = "audit_cosignature"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["audit_checkpoint.id"],
            name=op.f("fk_audit_cosignature_checkpoint_id_audit_checkpoint"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_cosignature")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_cosignature_checkpoint_id"), ["checkpoint_id"], unique=False
        )
    # The same guards as the log's tables (0002, 0003): stop mistakes and casual edits.
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION secassist_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION secassist_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'secassist: {TABLE} is append-only ({action} refused)'); END"
            )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_replace BEFORE INSERT ON {TABLE} "
            f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, 'secassist: {TABLE} is append-only (REPLACE refused)'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
    else:
        for action in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{action}")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_cosignature_checkpoint_id"))
    op.drop_table(TABLE)
