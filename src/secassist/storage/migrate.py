"""Migrations (Alembic, batch mode) driven programmatically, and the schema checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from secassist.core.errors import (
    DatabaseNotMigratedError,
    DatabaseUnavailableError,
    SchemaDriftError,
)
from secassist.storage.base import load_all_models

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailableError(f"cannot reach the database: {reason}") from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision`` in one transaction. On SQLite, foreign-key enforcement is off
    while the migrations run and checked whole before the commit: a batch migration copies
    a table, drops it and renames the copy, and the DROP of a table other rows point at
    fails with enforcement on (Alembic's advice for SQLite batch mode); the check refuses a
    migration that really leaves a dangling key."""
    cfg = alembic_config()
    try:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
            if driver is not None:  # a no-op inside a transaction: before BEGIN
                driver.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                    if driver is not None:
                        dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                        if dangling is not None:
                            raise DatabaseUnavailableError(
                                f"migration failed: it leaves a foreign key of {dangling[0]} dangling"
                            )
            finally:
                if driver is not None:
                    driver.execute("PRAGMA foreign_keys=ON")
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailableError(f"migration failed, database unavailable: {reason}") from None


def ensure_at_head(engine: Engine) -> None:
    """Refuse to run against a database whose schema is not the code's."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        where = "has no schema yet" if current is None else f"is at revision {current}"
        raise DatabaseNotMigratedError(
            f"the database {where} but this version of secassist needs revision {head}; "
            "run `secassist db upgrade`"
        )


def schema_diff(engine: Engine) -> list[Any]:
    """Differences between the ORM models and the migrated schema (empty when they agree)."""
    metadata = load_all_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    return list(diff)


def check(engine: Engine) -> None:
    ensure_at_head(engine)
    diff = schema_diff(engine)
    if diff:
        lines = "\n".join(f"  {d!r}" for d in diff[:20])
        raise SchemaDriftError(f"the models and the migrations differ ({len(diff)} changes):\n{lines}")


def autogenerate(engine: Engine, message: str, rev_id: str) -> None:
    """Write a new migration from the model changes (developer tool: `make migration`)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
