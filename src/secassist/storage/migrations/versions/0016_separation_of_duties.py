"""Separation of duties (issue #16): the vetting review office a State organization is, the
operating-system account the command line maps to a user, and the signed LOA an
implementing agency names when it records a purchaser's acceptance on its behalf.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office", sa.String(length=40), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_identity_organization_office_for_state"),
            "office IS NULL OR (kind = 'state' AND office IN "
            "('political_military', 'human_rights', 'technology_security'))",
        )
    with op.batch_alter_table("identity_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("os_user", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_identity_user_os_user"), ["os_user"])
    with op.batch_alter_table("fms_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acceptance_document", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fms_case", schema=None) as batch_op:
        batch_op.drop_column("acceptance_document")
    with op.batch_alter_table("identity_user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_identity_user_os_user"), type_="unique")
        batch_op.drop_column("os_user")
    with op.batch_alter_table("identity_organization", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_identity_organization_office_for_state"), type_="check")
        batch_op.drop_column("office")
