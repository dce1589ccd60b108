"""Reference tables: countries mirrored from the data files, and the synced file versions.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 01:33:21.092305
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import secassist.storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_country",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("alpha3", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("fms_code", sa.String(length=2), nullable=False),
        sa.Column("territory", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_reference_country")),
        sa.UniqueConstraint("alpha3", name=op.f("uq_reference_country_alpha3")),
    )
    with op.batch_alter_table("reference_country", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reference_country_region"), ["region"], unique=False)

    op.create_table(
        "reference_dataset",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("synced_at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reference_dataset")),
    )


def downgrade() -> None:
    op.drop_table("reference_dataset")
    with op.batch_alter_table("reference_country", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reference_country_region"))

    op.drop_table("reference_country")
