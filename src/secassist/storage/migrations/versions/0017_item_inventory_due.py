"""Equipment items keep their next EEUM inventory due date (issue #12: delinquency at 10^6
items as one SQL aggregate), indexed by holder country for the held EEUM items.

The backfill computes the column for the items already registered with the inventory
schedule of the catalog at this revision, frozen here as migrations freeze data (and the
storage layer may not read the equipment catalog): every designation then used the default
schedule, the initial serial-number inventory 90 days after delivery and then one every 12
months after the last inventory that found the item (SAMM C8.4, DoD Golden Sentry EEUM
[S76][S77]; ``equipment/data/eeum.yaml``). A later change of the schedules is a backfill
of its own. Only held items (delivered, stored, issued, loaned, demilitarized) of an EEUM
designation get a date, as :func:`secassist.equipment.monitoring.next_inventory_due` gives
it. The column is derived, not in the audit images, so the log is unchanged.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 06:00:00.000000
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

INITIAL_INVENTORY_DAYS = 90
INVENTORY_INTERVAL_MONTHS = 12
HELD = "('delivered', 'stored', 'issued', 'loaned', 'demilitarized')"


def _add_months(d: date, months: int) -> date:
    """As ``equipment.catalog.add_months``: clamped to the month's last day."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def upgrade() -> None:
    op.add_column("equipment_item", sa.Column("inventory_due_on", sa.Date(), nullable=True))
    _backfill()
    op.create_index(
        "ix_equipment_item_country_due",
        "equipment_item",
        [
            "holder_country",
            "inventory_due_on",
            "serial",
            "id",
            "item_type",
            "unit_value_cents",
            "last_event_on",
        ],
        unique=False,
        postgresql_where=sa.text("inventory_due_on IS NOT NULL"),
        sqlite_where=sa.text("inventory_due_on IS NOT NULL"),
    )

    op.create_index(
        "ix_equipment_item_eeum_last_event",
        "equipment_item",
        ["last_event_on"],
        unique=False,
        postgresql_where=sa.text("eeum_designation IS NOT NULL"),
        sqlite_where=sa.text("eeum_designation IS NOT NULL"),
    )


def _backfill() -> None:
    """One due date per distinct (never found, delivered on) and (found, last found on): a
    few thousand days, however many items; then two correlated UPDATEs through a temporary
    table (a million items move in seconds, not in a million statements)."""
    conn = op.get_bind()
    held = f"eeum_designation IS NOT NULL AND state IN {HELD}"
    dues = sa.Table(
        "tmp_equipment_due",
        sa.MetaData(),
        sa.Column("found", sa.Integer, primary_key=True),
        sa.Column("base", sa.Date, primary_key=True),
        sa.Column("due", sa.Date),
        prefixes=["TEMPORARY"],
    )
    dues.create(conn)
    never = conn.execute(
        sa.select(sa.column("delivered_on", sa.Date))
        .select_from(sa.table("equipment_item"))
        .where(sa.text(f"{held} AND last_found_on IS NULL"))
        .distinct()
    ).scalars()
    rows = [{"found": 0, "base": d, "due": d + timedelta(days=INITIAL_INVENTORY_DAYS)} for d in never]
    found = conn.execute(
        sa.select(sa.column("last_found_on", sa.Date))
        .select_from(sa.table("equipment_item"))
        .where(sa.text(f"{held} AND last_found_on IS NOT NULL"))
        .distinct()
    ).scalars()
    rows += [{"found": 1, "base": d, "due": _add_months(d, INVENTORY_INTERVAL_MONTHS)} for d in found]
    if rows:
        conn.execute(sa.insert(dues), rows)
        for flag, column, test in ((0, "delivered_on", "IS NULL"), (1, "last_found_on", "IS NOT NULL")):
            conn.execute(
                sa.text(
                    "UPDATE equipment_item SET inventory_due_on = (SELECT d.due FROM tmp_equipment_due d "
                    f"WHERE d.found = {flag} AND d.base = equipment_item.{column}) "
                    f"WHERE {held} AND last_found_on {test}"
                )
            )
    dues.drop(conn)


def downgrade() -> None:
    op.drop_index("ix_equipment_item_eeum_last_event", table_name="equipment_item")
    op.drop_index("ix_equipment_item_country_due", table_name="equipment_item")
    # Plain ALTER TABLE on both (SQLite 3.35+): a batch copy of the table would trip its
    # incoming foreign keys on SQLite, and would copy a million rows for one column.
    op.execute("ALTER TABLE equipment_item DROP COLUMN inventory_due_on")
