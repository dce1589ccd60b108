"""Continuous screening: the alerts a re-screening puts in the responsible office's queue.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import secassist.storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=True),
        sa.Column("office", sa.String(length=200), nullable=True),
        sa.Column("list_name", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("entity_name", sa.String(length=500), nullable=False),
        sa.Column("score", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_screening_alert_status")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["screening_run.id"], name=op.f("fk_screening_alert_run_id_screening_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_alert")),
        info={"audited": True},
    )
    with op.batch_alter_table("screening_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_alert_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_screening_alert_reference"), ["reference"], unique=False)
        batch_op.create_index(batch_op.f("ix_screening_alert_country_code"), ["country_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screening_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_alert_country_code"))
        batch_op.drop_index(batch_op.f("ix_screening_alert_reference"))
        batch_op.drop_index(batch_op.f("ix_screening_alert_run_id"))
    op.drop_table("screening_alert")
