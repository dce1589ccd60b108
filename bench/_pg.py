"""A PostgreSQL server for benchmarks, and fresh migrated databases on SQLite or PostgreSQL.

``SECASSIST_BENCH_PG_URL`` names an existing server (its role needs CREATEDB); otherwise a
throwaway cluster is started with ``scripts/pg-cluster`` and stopped afterwards. When the
PostgreSQL binaries are missing, :func:`server` yields ``None`` with the reason.
:func:`persistent_server` runs a cluster kept on disk between runs (benchmark caches).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
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


class UnavailableError(RuntimeError):
    """No PostgreSQL to run on (the reason is the message)."""


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


def _as_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its tools as ``postgres``."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def persistent_server(directory: Path) -> Iterator[str]:
    """A PostgreSQL cluster kept in ``directory`` across runs (made by ``initdb`` the first
    time), started on a free loopback port for the ``with`` block and stopped cleanly after,
    so its databases survive for the next run. Durability is traded for speed as in
    ``scripts/pg-cluster`` (``fsync=off``): a crash may lose the cluster, and the caller's
    completion marker is what says a database in it is whole. Yields the server's URL."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        raise UnavailableError("PostgreSQL server binaries not found (scripts/bootstrap installs them)")
    bindir = Path(bins[-1])
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    data = directory / "data"
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run(
            _as_owner([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                       "--locale=C.UTF-8"]),
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={directory} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB -c checkpoint_timeout=30min "
        "-c maintenance_work_mem=512MB -c shared_buffers=512MB"
    )
    subprocess.run(
        _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"), "-w",
                   "-t", "120", "-o", options, "start"]),
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "300", "stop"]),
            check=False, capture_output=True,
        )  # fmt: skip
