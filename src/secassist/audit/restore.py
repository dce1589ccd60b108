"""Restoring a backup made by :mod:`secassist.audit.backup` into the configured database.

Everything about the backup is checked first — the manifest's format and schema revision,
each member's SHA-256, the database kind — and the target is refused when it holds data
unless ``force`` is given. The restore itself is all or nothing: on SQLite one step of the
online backup API into the target (through SQLite's own locking, so WAL readers see the
old or the new database, never a mix); on PostgreSQL ``pg_restore``'s script run by
``psql`` in one transaction that first empties the ``public`` schema. Afterwards the
restored log's size and latest checkpoint are compared with the manifest.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from secassist.audit import keys
from secassist.audit.backup import (
    Facts,
    Opened,
    backend_of,
    open_backup,
    pg_conninfo,
    pg_facts,
    pg_program,
    read_facts,
    run_tool,
    sqlite_path,
)
from secassist.audit.errors import BackupError
from secassist.core.config import Settings
from secassist.core.errors import ConflictError
from secassist.storage.engine import engine_from_settings, ping

# Tables a freshly migrated database has whose content says nothing about anyone's data.
_BOOKKEEPING = frozenset({"alembic_version", "audit_head"})


@dataclass(frozen=True)
class Restored:
    """What a restore did: the manifest it checked, the facts of the restored database,
    and what became of the trusted-keys file carried in the backup (if any)."""

    manifest: dict[str, Any]
    facts: Facts
    trusted_keys: str  # "installed", "kept (identical)", "kept (differs)", "not in backup"


def restore(settings: Settings, source: Path, *, force: bool = False) -> Restored:
    """Restore ``source`` into the configured database; see the module docstring."""
    backend = backend_of(settings)
    with open_backup(source) as opened:
        if opened.backend != backend:
            raise BackupError(
                f"{source.name} is a {opened.backend} backup; the configured database is {backend}"
            )
        if not force:
            occupied = _first_occupied_table(settings)
            if occupied is not None:
                raise ConflictError(
                    f"the target database is not empty (table {occupied} has rows); "
                    "restore refuses to overwrite it without --force"
                )
        if backend == "sqlite":
            facts = _restore_sqlite(settings, opened)
        else:
            facts = _restore_postgresql(settings, opened)
        trusted = _install_trusted_keys(settings, opened)
    _check_against_manifest(opened.manifest, facts)
    return Restored(manifest=opened.manifest, facts=facts, trusted_keys=trusted)


def _first_occupied_table(settings: Settings) -> str | None:
    """The first table holding a row (a migrated but unused database has none)."""
    if backend_of(settings) == "sqlite" and not sqlite_path(settings).exists():
        return None
    engine = engine_from_settings(settings)
    try:
        ping(engine)
        with engine.connect() as conn:
            for table in sorted(inspect(conn).get_table_names()):
                if table in _BOOKKEEPING:
                    continue
                quoted = conn.dialect.identifier_preparer.quote(table)
                if conn.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first() is not None:  # noqa: S608
                    return table
    finally:
        engine.dispose()
    return None


def _restore_sqlite(settings: Settings, opened: Opened) -> Facts:
    target_path = sqlite_path(settings)
    source = sqlite3.connect(opened.data)  # our own extracted copy
    try:
        check = source.execute("PRAGMA integrity_check").fetchone()
        if check is None or check[0] != "ok":
            raise BackupError(f"the backup's SQLite database fails its integrity check: {check}")
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(target_path)
        try:
            target.execute("PRAGMA busy_timeout=5000")
            source.backup(target)  # one step: the target changes in one transaction
            target.execute("PRAGMA journal_mode=WAL")
            return read_facts(lambda sql: target.execute(sql).fetchall())
        finally:
            target.close()
    finally:
        source.close()


def _restore_postgresql(settings: Settings, opened: Opened) -> Facts:
    url = make_url(settings.database_url)
    conninfo, env = pg_conninfo(url)
    script = opened.directory / "restore.sql"
    run_tool(
        [pg_program("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(opened.data)],
        env,
        "pg_restore (reading the dump)",
    )
    # One transaction: the old schema is dropped and the backup's created, or neither.
    run_tool(
        [
            pg_program("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            "--command=DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;",
            f"--file={script}",
            f"--dbname={conninfo}",
        ],
        env,
        "psql (restoring the dump)",
    )
    engine = engine_from_settings(settings)
    try:
        with engine.connect() as conn, conn.begin():
            return pg_facts(conn)
    finally:
        engine.dispose()


def _install_trusted_keys(settings: Settings, opened: Opened) -> str:
    """Install the backup's public trusted-keys file where the target has none; never
    replace one (the target's custodian decides which keys it trusts)."""
    carried = opened.trusted_keys
    if carried is None:
        return "not in backup"
    target = keys.trusted_path(settings)
    if target.exists():
        same = target.read_bytes() == carried.read_bytes()
        return "kept (identical)" if same else "kept (differs)"
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    staged.write_bytes(carried.read_bytes())
    staged.replace(target)
    return "installed"


def _check_against_manifest(manifest: dict[str, Any], facts: Facts) -> None:
    expected = Facts(
        schema_revision=manifest.get("schema_revision"),
        tree_size=int(manifest.get("tree_size", 0)),
        checkpoint_size=(manifest.get("checkpoint") or {}).get("tree_size"),
        checkpoint_root=(manifest.get("checkpoint") or {}).get("root_hash"),
        checkpoint_note=(manifest.get("checkpoint") or {}).get("note"),
    )
    if facts != expected:
        raise BackupError(
            "the restored database does not match the backup's manifest "
            f"(tree size {facts.tree_size} vs {expected.tree_size}, latest checkpoint root "
            f"{facts.checkpoint_root} vs {expected.checkpoint_root})"
        )
