"""A PostgreSQL server for benchmarks, and fresh migrated databases on SQLite or PostgreSQL.

``SECASSIST_BENCH_PG_URL`` names an existing server (its role needs CREATEDB); otherwise a
throwaway cluster is started with ``scripts/pg-cluster`` and stopped afterwards. When the
PostgreSQL binaries are missing, :func:`server` yields ``None`` with the reason.
"""

from __future__ import annotations

import glob
import itertools
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from secassist.storage.engine import make_engine
from secassist.storage.migrate import upgrade

PG_CLUSTER = Path(__file__).resolve().parent.parent / "scripts" / "pg-cluster"
_names = itertools.count()


@contextmanager
def server() -> Iterator[tuple[str | None, str]]:
    """Yield (server URL or None, description of where it came from / why it is missing)."""
    url = os.environ.get("SECASSIST_BENCH_PG_URL")
    if url:
        yield url, "SECASSIST_BENCH_PG_URL"
        return
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        yield None, "PostgreSQL server binaries not found (scripts/bootstrap installs them)"
        return
    data_dir = tempfile.mkdtemp(prefix="secassist-bench-pg-")
    try:
        out = subprocess.run(
            [str(PG_CLUSTER), "start", data_dir], check=True, capture_output=True, text=True
        ).stdout
        yield out.strip().splitlines()[-1], "throwaway cluster (scripts/pg-cluster: fsync=off)"
    finally:
        subprocess.run([str(PG_CLUSTER), "stop", data_dir], check=False, capture_output=True)


@contextmanager
def fresh_database(backend: str, pg_server: str | None, workdir: Path) -> Iterator[Engine]:
    """A new, migrated, empty database (SQLite file under ``workdir`` or a PostgreSQL database)."""
    n = next(_names)
    if backend == "sqlite":
        path = workdir / f"bench-{n}.db"
        engine = make_engine(f"sqlite:///{path}")
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    assert pg_server is not None
    name = f"secassist_bench_{os.getpid()}_{n}"
    admin = make_engine(pg_server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(pg_server).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
