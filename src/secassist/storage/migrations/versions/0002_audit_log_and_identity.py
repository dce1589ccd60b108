"""Audit log (append-only, enforced by triggers on both databases) and identity.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 01:49:39.507274
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import secassist.storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_entry", "audit_node", "audit_checkpoint")


def _append_only_triggers() -> None:
    """Reject UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the log's tables.

    The triggers stop mistakes and casual edits; a determined superuser can drop them,
    which `secassist audit verify` then detects through the hashes and signed checkpoints.
    """
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION secassist_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'secassist: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION secassist_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION secassist_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'secassist: {table} is append-only ({action} refused)'); END"
                )


def _drop_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS secassist_append_only()")
    else:
        for table in APPEND_ONLY:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    with op.batch_alter_table("audit_checkpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_checkpoint_tree_size"), ["tree_size"], unique=False)

    op.create_table(
        "audit_entry",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_org_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("tag", sa.String(length=120), nullable=False),
        sa.Column("subject_type", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_tag"), ["tag"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_node",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_audit_node")),
    )
    op.create_table(
        "identity_organization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind IN ('sco', 'partner')) = (country_code IS NOT NULL)",
            name=op.f("ck_identity_organization_country_for_kind"),
        ),
        sa.CheckConstraint(
            "kind IN ('state', 'dod', 'sco', 'congress', 'industry', 'partner', 'auditor')",
            name=op.f("ck_identity_organization_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["reference_country.code"],
            name=op.f("fk_identity_organization_country_code_reference_country"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_organization")),
        sa.UniqueConstraint("name", name=op.f("uq_identity_organization_name")),
        info={"audited": True},
    )
    op.create_table(
        "identity_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", secassist.storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.Column("last_login_at", secassist.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["identity_organization.id"],
            name=op.f("fk_identity_user_organization_id_identity_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_user")),
        sa.UniqueConstraint("username", name=op.f("uq_identity_user_username")),
        info={"audited": True},
    )
    with op.batch_alter_table("identity_user", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_user_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "identity_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", secassist.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["identity_user.id"], name=op.f("fk_identity_api_token_user_id_identity_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_identity_api_token_token_hash")),
        info={"audited": True},
    )
    with op.batch_alter_table("identity_api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "identity_user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["identity_user.id"], name=op.f("fk_identity_user_role_user_id_identity_user")
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_identity_user_role")),
        info={"audited": True},
    )
    op.create_table(
        "identity_web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", secassist.storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", secassist.storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["identity_user.id"], name=op.f("fk_identity_web_session_user_id_identity_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_web_session")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_identity_web_session_id_hash")),
    )
    with op.batch_alter_table("identity_web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_web_session_user_id"), ["user_id"], unique=False)

    op.execute("INSERT INTO audit_head (id, size) VALUES (1, 0)")
    _append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("identity_web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_web_session_user_id"))

    op.drop_table("identity_web_session")
    op.drop_table("identity_user_role")
    with op.batch_alter_table("identity_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_api_token_user_id"))

    op.drop_table("identity_api_token")
    with op.batch_alter_table("identity_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_user_organization_id"))

    op.drop_table("identity_user")
    op.drop_table("identity_organization")
    op.drop_table("audit_node")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_tag"))

    op.drop_table("audit_entry")
    with op.batch_alter_table("audit_checkpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_checkpoint_tree_size"))

    op.drop_table("audit_checkpoint")
