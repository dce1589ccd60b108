"""Programs: appropriations and the append-only ledger (UPDATE/DELETE refused by triggers).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:09:21.739819
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import secassist.storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APPEND_ONLY = ("program_appropriation", "program_entry")
KEYS = {"program_appropriation": "id = NEW.id", "program_entry": "id = NEW.id"}


def _append_only_triggers() -> None:
    """Reject UPDATE and DELETE (and TRUNCATE on PostgreSQL; REPLACE on SQLite) on the
    program tables, as 0002 and 0003 do for the audit log: a correction is a reversing
    entry, never an edit. PostgreSQL reuses 0002's ``secassist_append_only()``."""
    if op.get_context().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION secassist_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION secassist_append_only()"
            )
        return
    for table in APPEND_ONLY:
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


def _drop_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        return
    for table in APPEND_ONLY:
        for action in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def upgrade() -> None:
    op.create_table(
        "program_appropriation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=8), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.Column("available_until", sa.Date(), nullable=False),
        sa.Column("legal_citation", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('confirmed', 'UNCONFIRMED')", name=op.f("ck_program_appropriation_status")
        ),
        sa.CheckConstraint(
            "available_until >= available_from", name=op.f("ck_program_appropriation_availability_ordered")
        ),
        sa.CheckConstraint(
            "fiscal_year BETWEEN 1950 AND 2200", name=op.f("ck_program_appropriation_fiscal_year_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_appropriation")),
        info={"audited": True},
    )
    with op.batch_alter_table("program_appropriation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_program_appropriation_program"), ["program"], unique=False)

    op.create_table(
        "program_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("appropriation_id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=8), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("obligation_id", sa.Integer(), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=16), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_line_id", sa.Integer(), nullable=True),
        sa.Column("recipient_unit_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.Column("recorded_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'appropriation') = (country_code IS NULL)",
            name=op.f("ck_program_entry_country_for_kind"),
        ),
        sa.CheckConstraint(
            "(kind = 'expenditure') = (obligation_id IS NOT NULL)",
            name=op.f("ck_program_entry_obligation_for_kind"),
        ),
        sa.CheckConstraint(
            "(kind IN ('obligation', 'expenditure')) = (target IS NOT NULL)",
            name=op.f("ck_program_entry_target_for_kind"),
        ),
        sa.CheckConstraint(
            "kind IN ('appropriation', 'allocation', 'obligation', 'expenditure')",
            name=op.f("ck_program_entry_kind"),
        ),
        sa.CheckConstraint(
            "target IS NULL OR target IN ('case', 'training', 'unit')", name=op.f("ck_program_entry_target")
        ),
        sa.CheckConstraint("(reverses_id IS NULL) = (amount_cents > 0)", name=op.f("ck_program_entry_sign")),
        sa.CheckConstraint("amount_cents <> 0", name=op.f("ck_program_entry_nonzero")),
        sa.CheckConstraint(
            "case_line_id IS NULL OR case_id IS NOT NULL", name=op.f("ck_program_entry_line_needs_case")
        ),
        sa.ForeignKeyConstraint(
            ["appropriation_id"],
            ["program_appropriation.id"],
            name=op.f("fk_program_entry_appropriation_id_program_appropriation"),
        ),
        sa.ForeignKeyConstraint(["case_id"], ["fms_case.id"], name=op.f("fk_program_entry_case_id_fms_case")),
        sa.ForeignKeyConstraint(
            ["case_line_id"], ["fms_case_line.id"], name=op.f("fk_program_entry_case_line_id_fms_case_line")
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["reference_country.code"],
            name=op.f("fk_program_entry_country_code_reference_country"),
        ),
        sa.ForeignKeyConstraint(
            ["obligation_id"], ["program_entry.id"], name=op.f("fk_program_entry_obligation_id_program_entry")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["program_entry.id"], name=op.f("fk_program_entry_reverses_id_program_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_entry")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_program_entry_reverses_id")),
        info={"audited": True},
    )
    with op.batch_alter_table("program_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_program_entry_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_program_entry_case_line_id"), ["case_line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_program_entry_entry_date"), ["entry_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_program_entry_obligation_id"), ["obligation_id"], unique=False)
        batch_op.create_index(
            "ix_program_entry_pool", ["appropriation_id", "country_code", "kind"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_program_entry_recipient_unit_id"), ["recipient_unit_id"], unique=False
        )
        batch_op.create_index(
            "ix_program_entry_totals",
            ["program", "fiscal_year", "country_code", "entry_date", "kind", "amount_cents"],
            unique=False,
        )

    _append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("program_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_program_entry_totals")
        batch_op.drop_index(batch_op.f("ix_program_entry_recipient_unit_id"))
        batch_op.drop_index("ix_program_entry_pool")
        batch_op.drop_index(batch_op.f("ix_program_entry_obligation_id"))
        batch_op.drop_index(batch_op.f("ix_program_entry_entry_date"))
        batch_op.drop_index(batch_op.f("ix_program_entry_case_line_id"))
        batch_op.drop_index(batch_op.f("ix_program_entry_case_id"))

    op.drop_table("program_entry")
    with op.batch_alter_table("program_appropriation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_program_appropriation_program"))

    op.drop_table("program_appropriation")
