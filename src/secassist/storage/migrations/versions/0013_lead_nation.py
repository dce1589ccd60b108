"""Lead-nation (multinational) cases: participating nations with their signed assurances
and whether the §36(b) notification named them, and the initial-transfer notices to State.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import secassist.storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fms_case_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("assurances_signed_on", sa.Date(), nullable=True),
        sa.Column("assurances_signatory", sa.String(length=300), nullable=True),
        sa.Column("named_in_notification", sa.Boolean(), nullable=False),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(assurances_signed_on IS NULL) = (assurances_signatory IS NULL)",
            name=op.f("ck_fms_case_participant_assurances_signed"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["fms_case.id"], name=op.f("fk_fms_case_participant_case_id_fms_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fms_case_participant")),
        sa.UniqueConstraint(
            "case_id", "country_code", name=op.f("uq_fms_case_participant_case_id_country_code")
        ),
        info={"audited": True},
    )
    with op.batch_alter_table("fms_case_participant", schema=None) as batch_op:
        batch_op.create_index("ix_fms_case_participant_country", ["country_code", "case_id"], unique=False)

    op.create_table(
        "transfer_lead_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=8), nullable=False),
        sa.Column("from_country", sa.String(length=8), nullable=False),
        sa.Column("to_country", sa.String(length=8), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("serials", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["fms_case.id"], name=op.f("fk_transfer_lead_notice_case_id_fms_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_lead_notice")),
        sa.UniqueConstraint("case_id", "to_country", name=op.f("uq_transfer_lead_notice_case_id_to_country")),
        info={"audited": True},
    )


def downgrade() -> None:
    op.drop_table("transfer_lead_notice")
    with op.batch_alter_table("fms_case_participant", schema=None) as batch_op:
        batch_op.drop_index("ix_fms_case_participant_country")
    op.drop_table("fms_case_participant")
