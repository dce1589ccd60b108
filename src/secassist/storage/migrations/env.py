"""Alembic environment: always driven from secassist.storage.migrate with a live connection."""

from __future__ import annotations

from alembic import context

from secassist.storage.base import load_all_models

config = context.config
target_metadata = load_all_models()

connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable via the alembic CLI
    raise RuntimeError("run migrations through `secassist db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    # Batch mode: SQLite cannot ALTER most things, so Alembic copies the table; on
    # PostgreSQL the same operations run as plain ALTERs. One history for both.
    render_as_batch=True,
    compare_type=True,
    compare_server_default=False,
)

with context.begin_transaction():
    context.run_migrations()
