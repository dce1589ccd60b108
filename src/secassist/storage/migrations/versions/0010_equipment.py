"""Equipment: sites, inspections, recipient units, items, lots, inventories, incidents,
routine EUM checks and the append-only custody chains of items and lots (UPDATE/DELETE
refused by triggers).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 02:33:42.526823
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import secassist.storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

APPEND_ONLY = ("equipment_custody_event", "equipment_lot_event")


def _append_only_triggers() -> None:
    """Reject UPDATE and DELETE (and TRUNCATE on PostgreSQL; REPLACE on SQLite) on the
    custody chain, as 0006 does for the programs ledger: custody is history, a mistake is
    corrected by a later event. PostgreSQL reuses 0002's ``secassist_append_only()``."""
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
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
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
        "equipment_site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["reference_country.code"],
            name=op.f("fk_equipment_site_country_code_reference_country"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_site")),
        sa.UniqueConstraint("name", name=op.f("uq_equipment_site_name")),
        info={"audited": True},
    )
    with op.batch_alter_table("equipment_site", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_site_country_code"), ["country_code"], unique=False)

    op.create_table(
        "equipment_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("leahy_unit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["reference_country.code"],
            name=op.f("fk_equipment_unit_country_code_reference_country"),
        ),
        sa.ForeignKeyConstraint(
            ["leahy_unit_id"], ["leahy_unit.id"], name=op.f("fk_equipment_unit_leahy_unit_id_leahy_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_unit")),
        sa.UniqueConstraint("country_code", "name", name=op.f("uq_equipment_unit_country_code_name")),
        info={"audited": True},
    )
    with op.batch_alter_table("equipment_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_unit_leahy_unit_id"), ["leahy_unit_id"], unique=False)

    op.create_table(
        "equipment_inventory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("performed_by", sa.String(length=300), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("unexpected", sa.Integer(), nullable=False),
        sa.Column("wrong_site", sa.Integer(), nullable=False),
        sa.Column("gone", sa.Integer(), nullable=False),
        sa.Column("recorded_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["equipment_site.id"], name=op.f("fk_equipment_inventory_site_id_equipment_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_inventory")),
        info={"audited": True},
    )
    with op.batch_alter_table("equipment_inventory", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_equipment_inventory_country_code"), ["country_code"], unique=False
        )
        batch_op.create_index("ix_equipment_inventory_site_on", ["site_id", "performed_on"], unique=False)

    op.create_table(
        "equipment_site_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("inspecting_office", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "result IN ('satisfactory', 'deficient')", name=op.f("ck_equipment_site_inspection_result")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["equipment_site.id"],
            name=op.f("fk_equipment_site_inspection_site_id_equipment_site"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_site_inspection")),
        info={"audited": True},
    )
    with op.batch_alter_table("equipment_site_inspection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_site_inspection_site_id"), ["site_id"], unique=False)

    op.create_table(
        "equipment_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(length=32), nullable=False),
        sa.Column("manufacturer", sa.String(length=100), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_line_id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=8), nullable=False),
        sa.Column("line_number", sa.String(length=3), nullable=False),
        sa.Column("purchaser_country", sa.String(length=8), nullable=False),
        sa.Column("unit_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("eeum_designation", sa.String(length=32), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("holder_country", sa.String(length=8), nullable=True),
        sa.Column("holder_org", sa.String(length=300), nullable=True),
        sa.Column("last_event_on", sa.Date(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("last_found_on", sa.Date(), nullable=True),
        sa.Column("gone_on", sa.Date(), nullable=True),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "state IN ('delivered', 'stored', 'issued', 'loaned', 'demilitarized', "
            "'lost', 'stolen', 'destroyed', 'disposed', 'transferred')",
            name=op.f("ck_equipment_item_state"),
        ),
        sa.CheckConstraint("unit_value_cents >= 0", name=op.f("ck_equipment_item_value")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["fms_case.id"], name=op.f("fk_equipment_item_case_id_fms_case")
        ),
        sa.ForeignKeyConstraint(
            ["case_line_id"], ["fms_case_line.id"], name=op.f("fk_equipment_item_case_line_id_fms_case_line")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["equipment_site.id"], name=op.f("fk_equipment_item_site_id_equipment_site")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["equipment_unit.id"], name=op.f("fk_equipment_item_unit_id_equipment_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_item")),
        sa.UniqueConstraint(
            "item_type",
            "manufacturer",
            "serial",
            name=op.f("uq_equipment_item_item_type_manufacturer_serial"),
        ),
        info={"audited": True},
    )
    with op.batch_alter_table("equipment_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_item_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_equipment_item_case_line_id"), ["case_line_id"], unique=False)
        batch_op.create_index(
            "ix_equipment_item_country_eeum", ["holder_country", "eeum_designation", "id"], unique=False
        )
        batch_op.create_index("ix_equipment_item_serial", ["serial"], unique=False)
        batch_op.create_index("ix_equipment_item_site_state", ["site_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_equipment_item_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "equipment_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(length=32), nullable=False),
        sa.Column("lot_number", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_line_id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=8), nullable=False),
        sa.Column("line_number", sa.String(length=3), nullable=False),
        sa.Column("purchaser_country", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("created_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_equipment_lot_quantity")),
        sa.CheckConstraint("unit_value_cents >= 0", name=op.f("ck_equipment_lot_value")),
        sa.ForeignKeyConstraint(["case_id"], ["fms_case.id"], name=op.f("fk_equipment_lot_case_id_fms_case")),
        sa.ForeignKeyConstraint(
            ["case_line_id"], ["fms_case_line.id"], name=op.f("fk_equipment_lot_case_line_id_fms_case_line")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["equipment_site.id"], name=op.f("fk_equipment_lot_site_id_equipment_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_lot")),
        info={"audited": True},
    )
    with op.batch_alter_table("equipment_lot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_lot_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_equipment_lot_case_line_id"), ["case_line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_equipment_lot_site_id"), ["site_id"], unique=False)

    op.create_table(
        "equipment_custody_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("holder_country", sa.String(length=8), nullable=True),
        sa.Column("holder_org", sa.String(length=300), nullable=True),
        sa.Column("inventory_id", sa.Integer(), nullable=True),
        sa.Column("performed_by", sa.String(length=300), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "(kind = 'inventoried') = (found IS NOT NULL)",
            name=op.f("ck_equipment_custody_event_found_for_inventory"),
        ),
        sa.CheckConstraint(
            "kind IN ('delivered', 'received', 'stored', 'issued', 'loaned', 'returned', "
            "'inventoried', 'transferred', 'lost', 'stolen', 'destroyed', 'demilitarized', 'disposed')",
            name=op.f("ck_equipment_custody_event_kind"),
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_equipment_custody_event_seq")),
        sa.ForeignKeyConstraint(
            ["inventory_id"],
            ["equipment_inventory.id"],
            name=op.f("fk_equipment_custody_event_inventory_id_equipment_inventory"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["equipment_item.id"], name=op.f("fk_equipment_custody_event_item_id_equipment_item")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["equipment_site.id"], name=op.f("fk_equipment_custody_event_site_id_equipment_site")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["equipment_unit.id"], name=op.f("fk_equipment_custody_event_unit_id_equipment_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_custody_event")),
        sa.UniqueConstraint("item_id", "seq", name=op.f("uq_equipment_custody_event_item_id_seq")),
        info={"audited": True},
    )
    with op.batch_alter_table("equipment_custody_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_equipment_custody_event_inventory_id"), ["inventory_id"], unique=False
        )
        batch_op.create_index(
            "ix_equipment_custody_event_kind_item_on", ["kind", "item_id", "occurred_on"], unique=False
        )

    op.create_table(
        "equipment_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("discovered_on", sa.Date(), nullable=False),
        sa.Column("report_due_on", sa.Date(), nullable=False),
        sa.Column("offices", sa.Text(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL)", name=op.f("ck_equipment_incident_closed_on")
        ),
        sa.CheckConstraint(
            "kind IN ('loss', 'theft', 'unauthorized_access', 'unauthorized_use', 'unauthorized_transfer')",
            name=op.f("ck_equipment_incident_kind"),
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_equipment_incident_status")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["equipment_item.id"], name=op.f("fk_equipment_incident_item_id_equipment_item")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["equipment_site.id"], name=op.f("fk_equipment_incident_site_id_equipment_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_incident")),
        info={"audited": True},
    )
    with op.batch_alter_table("equipment_incident", schema=None) as batch_op:
        batch_op.create_index(
            "ix_equipment_incident_country_status", ["country_code", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_equipment_incident_item_id"), ["item_id"], unique=False)

    op.create_table(
        "equipment_custody_entry",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("audit_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["equipment_custody_event.id"],
            name=op.f("fk_equipment_custody_entry_event_id_equipment_custody_event"),
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_equipment_custody_entry")),
        sa.UniqueConstraint("audit_seq", name=op.f("uq_equipment_custody_entry_audit_seq")),
    )

    op.create_table(
        "equipment_lot_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("from_site_id", sa.Integer(), nullable=True),
        sa.Column("from_unit_id", sa.Integer(), nullable=True),
        sa.Column("to_site_id", sa.Integer(), nullable=True),
        sa.Column("to_unit_id", sa.Integer(), nullable=True),
        sa.Column("holder_country", sa.String(length=8), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "from_site_id IS NULL OR from_unit_id IS NULL", name=op.f("ck_equipment_lot_event_one_source")
        ),
        sa.CheckConstraint(
            "to_site_id IS NULL OR to_unit_id IS NULL", name=op.f("ck_equipment_lot_event_one_destination")
        ),
        sa.CheckConstraint(
            "kind IN ('stored', 'issued', 'expended', 'lost', 'destroyed', 'transferred')",
            name=op.f("ck_equipment_lot_event_kind"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_equipment_lot_event_quantity")),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_equipment_lot_event_seq")),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["equipment_lot.id"], name=op.f("fk_equipment_lot_event_lot_id_equipment_lot")
        ),
        sa.ForeignKeyConstraint(
            ["from_site_id"],
            ["equipment_site.id"],
            name=op.f("fk_equipment_lot_event_from_site_id_equipment_site"),
        ),
        sa.ForeignKeyConstraint(
            ["from_unit_id"],
            ["equipment_unit.id"],
            name=op.f("fk_equipment_lot_event_from_unit_id_equipment_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["to_site_id"],
            ["equipment_site.id"],
            name=op.f("fk_equipment_lot_event_to_site_id_equipment_site"),
        ),
        sa.ForeignKeyConstraint(
            ["to_unit_id"],
            ["equipment_unit.id"],
            name=op.f("fk_equipment_lot_event_to_unit_id_equipment_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_lot_event")),
        sa.UniqueConstraint("lot_id", "seq", name=op.f("uq_equipment_lot_event_lot_id_seq")),
        info={"audited": True},
    )

    op.create_table(
        "equipment_routine_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("office", sa.String(length=200), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("recorded_at", secassist.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=300), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["reference_country.code"],
            name=op.f("fk_equipment_routine_check_country_code_reference_country"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_routine_check")),
        info={"audited": True},
    )
    with op.batch_alter_table("equipment_routine_check", schema=None) as batch_op:
        batch_op.create_index(
            "ix_equipment_routine_check_country_on", ["country_code", "checked_on"], unique=False
        )

    _append_only_triggers()

    # The audit log's subject index (issue #12, docs/equipment-scale.md): the item trace
    # finds the case acceptance, line, notification, funding (and, with #13, transfer
    # request) entries by subject, which
    # without it is a scan of the whole log. Partial, so only those subjects' writes pay
    # for it (the predicate is audit.models.INDEXED_SUBJECTS_SQL). It belongs to the audit
    # tables but lives here because the trace is what needs it and nothing is deployed yet.
    # A plain CREATE INDEX, not a batch: SQLite must not rebuild the log (its triggers).
    subjects = sa.text("subject_type IN ('case', 'notification', 'program_entry', 'transfer_request')")
    op.create_index(
        "ix_audit_entry_subject",
        "audit_entry",
        ["subject_type", "subject_id", "seq"],
        postgresql_where=subjects,
        sqlite_where=subjects,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_entry_subject", table_name="audit_entry")
    _drop_append_only_triggers()
    with op.batch_alter_table("equipment_routine_check", schema=None) as batch_op:
        batch_op.drop_index("ix_equipment_routine_check_country_on")

    op.drop_table("equipment_routine_check")
    op.drop_table("equipment_lot_event")
    op.drop_table("equipment_custody_entry")
    with op.batch_alter_table("equipment_incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_incident_item_id"))
        batch_op.drop_index("ix_equipment_incident_country_status")

    op.drop_table("equipment_incident")
    with op.batch_alter_table("equipment_custody_event", schema=None) as batch_op:
        batch_op.drop_index("ix_equipment_custody_event_kind_item_on")
        batch_op.drop_index(batch_op.f("ix_equipment_custody_event_inventory_id"))

    op.drop_table("equipment_custody_event")
    with op.batch_alter_table("equipment_lot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_lot_site_id"))
        batch_op.drop_index(batch_op.f("ix_equipment_lot_case_line_id"))
        batch_op.drop_index(batch_op.f("ix_equipment_lot_case_id"))

    op.drop_table("equipment_lot")
    with op.batch_alter_table("equipment_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_item_unit_id"))
        batch_op.drop_index("ix_equipment_item_site_state")
        batch_op.drop_index("ix_equipment_item_serial")
        batch_op.drop_index("ix_equipment_item_country_eeum")
        batch_op.drop_index(batch_op.f("ix_equipment_item_case_line_id"))
        batch_op.drop_index(batch_op.f("ix_equipment_item_case_id"))

    op.drop_table("equipment_item")
    with op.batch_alter_table("equipment_site_inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_site_inspection_site_id"))

    op.drop_table("equipment_site_inspection")
    with op.batch_alter_table("equipment_inventory", schema=None) as batch_op:
        batch_op.drop_index("ix_equipment_inventory_site_on")
        batch_op.drop_index(batch_op.f("ix_equipment_inventory_country_code"))

    op.drop_table("equipment_inventory")
    with op.batch_alter_table("equipment_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_unit_leahy_unit_id"))

    op.drop_table("equipment_unit")
    with op.batch_alter_table("equipment_site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_site_country_code"))

    op.drop_table("equipment_site")
