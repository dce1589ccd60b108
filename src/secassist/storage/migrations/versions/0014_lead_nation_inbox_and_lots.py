"""Lead-nation inbox entries and lot transfers: an office inbox entry names a request or,
for a lead-nation transfer (which has none), its multinational case; a lot split off by a
transfer names the lot it came from; a lot request names the lot its recipient received.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 05:01:41.559599
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _add_fk_column(table: str, column: str, target: str) -> None:
    """A nullable column referencing ``target``. On SQLite an ALTER TABLE … ADD COLUMN with an
    inline REFERENCES clause: a batch rebuild would DROP the old table, which other tables'
    rows reference, and the enforced foreign keys refuse that."""
    name = op.f(f"fk_{table}_{column}_{target.split('.')[0]}")
    if op.get_context().dialect.name == "sqlite":
        table_, key = target.split(".")
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES {table_} ({key})"
        )
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
        batch_op.create_foreign_key(name, target.split(".")[0], [column], ["id"])


def upgrade() -> None:
    _add_fk_column("equipment_lot", "parent_lot_id", "equipment_lot.id")
    op.create_index(op.f("ix_equipment_lot_parent_lot_id"), "equipment_lot", ["parent_lot_id"], unique=False)
    _add_fk_column("transfer_request", "received_lot_id", "equipment_lot.id")

    with op.batch_alter_table("transfer_inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.alter_column("request_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_transfer_inbox_case_id"), ["case_id"], unique=False)
        batch_op.create_check_constraint(
            op.f("ck_transfer_inbox_subject"), "request_id IS NOT NULL OR case_id IS NOT NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_transfer_inbox_case_id_fms_case"), "fms_case", ["case_id"], ["id"]
        )


def _drop_fk_column(table: str, column: str, name: str) -> None:
    if op.get_context().dialect.name == "sqlite":
        # SQLite drops no column a foreign key uses, and cannot rebuild a referenced table
        # while its foreign keys are enforced: the column stays, unused (nullable).
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.drop_column(column)


def downgrade() -> None:
    _drop_fk_column(
        "transfer_request", "received_lot_id", op.f("fk_transfer_request_received_lot_id_equipment_lot")
    )

    with op.batch_alter_table("transfer_inbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_transfer_inbox_subject"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_transfer_inbox_case_id_fms_case"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_transfer_inbox_case_id"))
        batch_op.alter_column("request_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("case_id")

    op.drop_index(op.f("ix_equipment_lot_parent_lot_id"), table_name="equipment_lot")
    _drop_fk_column("equipment_lot", "parent_lot_id", op.f("fk_equipment_lot_parent_lot_id_equipment_lot"))
