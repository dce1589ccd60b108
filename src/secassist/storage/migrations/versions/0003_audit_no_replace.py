"""Close SQLite's REPLACE loophole on the append-only audit tables.

SQLite's ``REPLACE`` / ``INSERT OR REPLACE`` removes the conflicting row without firing
DELETE triggers (unless recursive_triggers is on, which an attacker's client would not
set), so the triggers of 0002 alone let a row be swapped. A BEFORE INSERT trigger that
refuses a key already present closes it. PostgreSQL's upsert fires the UPDATE trigger
of 0002 and needs nothing more.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEYS = {
    "audit_entry": "seq = NEW.seq",
    "audit_node": "level = NEW.level AND idx = NEW.idx",
    "audit_checkpoint": "id = NEW.id",
}


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for table, match in KEYS.items():
        # Table names and conditions are the constants above.
        sql = (
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {match}) "
            f"BEGIN SELECT RAISE(ABORT, 'secassist: {table} is append-only (REPLACE refused)'); END"
        )
        op.execute(sql)


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for table in KEYS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
