"""The Alembic migration history (``versions/``), one history for SQLite and PostgreSQL."""
