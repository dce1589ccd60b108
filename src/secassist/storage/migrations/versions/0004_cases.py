"""FMS cases: Letters of Request, cases, lines, events, amendments and modifications.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 18:07:32.215604
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import secassist.storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fms_lor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchaser_code", sa.String(length=8), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("request_type", sa.String(length=16), nullable=False),
        sa.Column("reference_number", sa.String(length=64), nullable=False),
        sa.Column("financing", sa.String(length=16), nullable=False),
        sa.Column("loa_type", sa.String(length=16), nullable=True),
        sa.Column("articles_services", sa.Text(), nullable=False),
        sa.Column("end_users", sa.Text(), nullable=False),
        sa.Column("third_party", sa.Text(), nullable=True),
        sa.Column("desired_value", secassist.storage.types.Money(precision=18, scale=2), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("complete_on", sa.Date(), nullable=True),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.CheckConstraint("financing IN ('national', 'fmf', 'mixed')", name=op.f("ck_fms_lor_financing")),
        sa.CheckConstraint(
            "request_type IN ('pa', 'loa', 'amendment', 'modification')", name=op.f("ck_fms_lor_request_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fms_lor")),
        info={"audited": True},
    )
    with op.batch_alter_table("fms_lor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fms_lor_country_code"), ["country_code"], unique=False)

    op.create_table(
        "fms_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=8), nullable=False),
        sa.Column("purchaser_code", sa.String(length=8), nullable=False),
        sa.Column("purchaser_is_body", sa.Boolean(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("fms_country_code", sa.String(length=2), nullable=False),
        sa.Column("implementing_agency", sa.String(length=1), nullable=False),
        sa.Column("designator", sa.String(length=3), nullable=False),
        sa.Column("loa_type", sa.String(length=16), nullable=False),
        sa.Column("financing", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("end_users", sa.Text(), nullable=False),
        sa.Column("lor_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("aod_group", sa.String(length=1), nullable=True),
        sa.Column("offered_on", sa.Date(), nullable=True),
        sa.Column("offer_expires_on", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("initial_deposit", secassist.storage.types.Money(precision=18, scale=2), nullable=True),
        sa.Column("implemented_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("restatements", sa.Integer(), nullable=False),
        sa.Column("transmittal", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.CheckConstraint("financing IN ('national', 'fmf', 'mixed')", name=op.f("ck_fms_case_financing")),
        sa.CheckConstraint(
            "loa_type IN ('defined_order', 'blanket_order', 'clssa')", name=op.f("ck_fms_case_loa_type")
        ),
        sa.ForeignKeyConstraint(["lor_id"], ["fms_lor.id"], name=op.f("fk_fms_case_lor_id_fms_lor")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fms_case")),
        sa.UniqueConstraint("identifier", name=op.f("uq_fms_case_identifier")),
        info={"audited": True},
    )
    with op.batch_alter_table("fms_case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fms_case_purchaser_status", ["purchaser_code", "status", "id"], unique=False
        )
        batch_op.create_index("ix_fms_case_country_id", ["country_code", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fms_case_financing"), ["financing"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_fms_case_implementing_agency"), ["implementing_agency"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fms_case_lor_id"), ["lor_id"], unique=False)
        batch_op.create_index("ix_fms_case_status_id", ["status", "id"], unique=False)

    op.create_table(
        "fms_amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value_before", secassist.storage.types.Money(precision=18, scale=2), nullable=False),
        sa.Column("value_after", secassist.storage.types.Money(precision=18, scale=2), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("warning", sa.Text(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('amendment', 'modification')", name=op.f("ck_fms_amendment_kind")),
        sa.ForeignKeyConstraint(["case_id"], ["fms_case.id"], name=op.f("fk_fms_amendment_case_id_fms_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fms_amendment")),
        sa.UniqueConstraint("case_id", "kind", "number", name=op.f("uq_fms_amendment_case_id_kind_number")),
        info={"audited": True},
    )
    with op.batch_alter_table("fms_amendment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fms_amendment_case_id"), ["case_id"], unique=False)

    op.create_table(
        "fms_case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["fms_case.id"], name=op.f("fk_fms_case_event_case_id_fms_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fms_case_event")),
        info={"audited": True},
    )
    with op.batch_alter_table("fms_case_event", schema=None) as batch_op:
        batch_op.create_index("ix_fms_case_event_case_on", ["case_id", "occurred_on", "id"], unique=False)

    op.create_table(
        "fms_case_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=3), nullable=False),
        sa.Column("item_type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("usml_category", sa.String(length=5), nullable=True),
        sa.Column("mde", sa.Boolean(), nullable=False),
        sa.Column("sme", sa.Boolean(), nullable=False),
        sa.Column("eeum", sa.Boolean(), nullable=False),
        sa.Column("design_construction", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost", secassist.storage.types.Money(precision=18, scale=2), nullable=False),
        sa.Column("value", secassist.storage.types.Money(precision=18, scale=2), nullable=False),
        sa.Column("contractor_org_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("ssc_on", sa.Date(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'ssc')", name=op.f("ck_fms_case_line_status")),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_fms_case_line_quantity")),
        sa.ForeignKeyConstraint(["case_id"], ["fms_case.id"], name=op.f("fk_fms_case_line_case_id_fms_case")),
        sa.ForeignKeyConstraint(
            ["contractor_org_id"],
            ["identity_organization.id"],
            name=op.f("fk_fms_case_line_contractor_org_id_identity_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fms_case_line")),
        sa.UniqueConstraint("case_id", "number", name=op.f("uq_fms_case_line_case_id_number")),
        info={"audited": True},
    )
    with op.batch_alter_table("fms_case_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fms_case_line_contractor_org_id"), ["contractor_org_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fms_case_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fms_case_line_contractor_org_id"))

    op.drop_table("fms_case_line")
    with op.batch_alter_table("fms_case_event", schema=None) as batch_op:
        batch_op.drop_index("ix_fms_case_event_case_on")

    op.drop_table("fms_case_event")
    with op.batch_alter_table("fms_amendment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fms_amendment_case_id"))

    op.drop_table("fms_amendment")
    with op.batch_alter_table("fms_case", schema=None) as batch_op:
        batch_op.drop_index("ix_fms_case_status_id")
        batch_op.drop_index(batch_op.f("ix_fms_case_lor_id"))
        batch_op.drop_index(batch_op.f("ix_fms_case_implementing_agency"))
        batch_op.drop_index(batch_op.f("ix_fms_case_financing"))
        batch_op.drop_index("ix_fms_case_country_id")
        batch_op.drop_index("ix_fms_case_purchaser_status")

    op.drop_table("fms_case")
    with op.batch_alter_table("fms_lor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fms_lor_country_code"))

    op.drop_table("fms_lor")
