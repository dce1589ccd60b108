"""Backup and restore of a whole database, with a manifest that ties it to the signed log.

A backup is one tar file holding ``manifest.json`` and the database's content:

- SQLite: ``database.sqlite``, a copy made with SQLite's online backup API, which reads
  one consistent snapshot while the server keeps writing (WAL included);
- PostgreSQL: ``database.pgdump``, ``pg_dump`` in its custom format run on a snapshot
  exported from the transaction that read the manifest's facts, so the facts and the dump
  describe the same instant.

The manifest carries the format version, the schema (Alembic) revision, the log's tree
size, the latest signed checkpoint (size, root, note) at that instant, and the SHA-256 and
length of every other member. Restore checks all of it before touching the target.

The audit key directory is *not* in a backup by default (key custody): the private signing
key must never travel with the data it vouches for — whoever holds a backup could sign a
rewritten log — and the trusted public keys are kept outside the database on purpose, so
that whoever can rewrite the database cannot also vouch for their own key. A backup taken
with ``include_trusted_keys`` carries the public ``trusted-keys.json`` (never a private
key); restore installs it only where the target has none. See docs/operations.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from glob import glob
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL, make_url

from secassist import __version__
from secassist.audit import keys
from secassist.audit.errors import BackupError
from secassist.core.config import Settings
from secassist.core.errors import ConfigurationError, ConflictError
from secassist.storage.engine import engine_from_settings, ping
from secassist.storage.migrate import alembic_config

FORMAT = "secassist-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
TRUSTED_MEMBER = keys.TRUSTED_FILE
CHUNK = 1 << 20


@dataclass(frozen=True)
class Facts:
    """What the manifest says about the database at the backup's instant."""

    schema_revision: str | None
    tree_size: int
    checkpoint_size: int | None
    checkpoint_root: str | None  # hex
    checkpoint_note: str | None

    def as_json(self) -> dict[str, Any]:
        checkpoint = None
        if self.checkpoint_size is not None:
            checkpoint = {
                "tree_size": self.checkpoint_size,
                "root_hash": self.checkpoint_root,
                "note": self.checkpoint_note,
            }
        return {
            "schema_revision": self.schema_revision,
            "tree_size": self.tree_size,
            "checkpoint": checkpoint,
        }


def read_facts(query: Callable[[str], list[tuple[Any, ...]]]) -> Facts:
    """Read the facts with ``query`` (SQL text → rows), in whatever snapshot it reads."""

    def first(sql: str) -> tuple[Any, ...] | None:
        try:
            rows = query(sql)
        except Exception:
            return None
        return rows[0] if rows else None

    rev = first("SELECT version_num FROM alembic_version")
    head = first("SELECT size FROM audit_head WHERE id = 1")
    cp = first("SELECT tree_size, root_hash, note FROM audit_checkpoint ORDER BY id DESC LIMIT 1")
    return Facts(
        schema_revision=None if rev is None else str(rev[0]),
        tree_size=0 if head is None else int(head[0]),
        checkpoint_size=None if cp is None else int(cp[0]),
        checkpoint_root=None if cp is None else bytes(cp[1]).hex(),
        checkpoint_note=None if cp is None else str(cp[2]),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def backend_of(settings: Settings) -> str:
    """The configured database's kind: ``sqlite`` or ``postgresql``."""
    return make_url(settings.database_url).get_backend_name()


def sqlite_path(settings: Settings) -> Path:
    """The configured SQLite database file, absolute (an in-memory database has none)."""
    database = make_url(settings.database_url).database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise ConfigurationError("backup and restore need a SQLite database file, not an in-memory database")
    return Path(database).expanduser().absolute()


# --- PostgreSQL client programs -----------------------------------------------------------------


def pg_program(name: str) -> str:
    """The newest installed PostgreSQL client program ``name`` (Debian keeps them in
    /usr/lib/postgresql/<major>/bin, as scripts/pg-cluster finds them), else from PATH."""
    for bindir in sorted(
        glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    ):
        candidate = Path(bindir) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ConfigurationError(
            f"{name} is not installed; install the PostgreSQL client (Debian: postgresql-client)"
        )
    return found


def pg_conninfo(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it
    (PGPASSWORD: a password on the command line would show in the process list)."""
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return plain, env


def run_tool(cmd: list[str], env: Mapping[str, str], what: str) -> None:
    """Run a PostgreSQL client program; a failure is a BackupError with its first line."""
    proc = subprocess.run(cmd, env=dict(env), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        reason = (proc.stderr or proc.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {reason[0] if reason else f'exit {proc.returncode}'}")


# --- backup ---------------------------------------------------------------------------------------


def backup(settings: Settings, out: Path, *, include_trusted_keys: bool = False) -> dict[str, Any]:
    """Write a backup of the configured database to ``out`` (which must not exist);
    returns the manifest. Safe while the server runs: the copy is one consistent snapshot."""
    out = out.absolute()
    if out.exists():
        raise ConflictError(f"{out} already exists; a backup never overwrites a file")
    backend = backend_of(settings)
    if backend not in MEMBERS:
        raise ConfigurationError(f"cannot back up a {backend} database")
    trusted: Path | None = None
    if include_trusted_keys:
        trusted = keys.trusted_path(settings)
        if not trusted.is_file():
            raise ConfigurationError(f"--include-trusted-keys: {trusted} does not exist")
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".secassist-backup-") as tmp:
        data = Path(tmp) / MEMBERS[backend]
        facts = _backup_sqlite(settings, data) if backend == "sqlite" else _backup_postgresql(settings, data)
        if facts.schema_revision is None:
            raise BackupError("the database has no schema (no alembic_version); nothing to back up")
        files = {data.name: data}
        if trusted is not None:
            files[TRUSTED_MEMBER] = trusted
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "database": backend,
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "secassist_version": __version__,
            **facts.as_json(),
            "content": {name: {"sha256": _sha256(p), "bytes": p.stat().st_size} for name, p in files.items()},
        }
        staged = Path(tmp) / "backup.tar"
        with tarfile.open(staged, "w", format=tarfile.PAX_FORMAT) as tar:
            blob = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(blob), 0o600, int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(blob))
            for name, path in files.items():
                tar.add(path, arcname=name, recursive=False)
        os.chmod(staged, 0o600)  # a backup holds every record, password hashes included
        os.link(staged, out)  # refuses an existing name, as the check above promised
    return manifest


def _backup_sqlite(settings: Settings, data: Path) -> Facts:
    source_path = sqlite_path(settings)
    if not source_path.is_file():
        raise ConfigurationError(f"no SQLite database at {source_path}")
    # A plain connection: a read-only one cannot open a WAL database whose -shm file it
    # may not create. It only reads.
    source = sqlite3.connect(source_path)
    try:
        target = sqlite3.connect(data)
        try:
            source.backup(target)  # all pages in one step: one read snapshot of the source
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            return read_facts(lambda sql: target.execute(sql).fetchall())
        finally:
            target.close()
    finally:
        source.close()


def _backup_postgresql(settings: Settings, data: Path) -> Facts:
    url = make_url(settings.database_url)
    conninfo, env = pg_conninfo(url)
    engine = engine_from_settings(settings)
    try:
        ping(engine)
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            # pg_dump joins this transaction's snapshot, so the dump holds exactly what
            # the facts were read from, however busy the server is meanwhile.
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            facts = pg_facts(conn)
            run_tool(
                [
                    pg_program("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={data}",
                    conninfo,
                ],
                env,
                "pg_dump",
            )
            return facts
    finally:
        engine.dispose()


def pg_facts(conn: Connection) -> Facts:
    """:func:`read_facts` in ``conn``'s transaction (each query in a savepoint)."""

    def query(sql: str) -> list[tuple[Any, ...]]:
        with conn.begin_nested():  # a missing table must not end the snapshot's transaction
            return [tuple(r) for r in conn.execute(text(sql))]

    return read_facts(query)


# --- reading a backup -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """A backup checked against its manifest, its members extracted to ``directory``."""

    manifest: dict[str, Any]
    directory: Path

    @property
    def backend(self) -> str:
        return str(self.manifest["database"])

    @property
    def data(self) -> Path:
        return self.directory / MEMBERS[self.backend]

    @property
    def trusted_keys(self) -> Path | None:
        path = self.directory / TRUSTED_MEMBER
        return path if path.is_file() else None


def known_revisions() -> set[str]:
    """Every schema revision this version of secassist knows (its migration history)."""
    script = ScriptDirectory.from_config(alembic_config())
    return {s.revision for s in script.walk_revisions()}


@contextlib.contextmanager
def open_backup(path: Path) -> Iterator[Opened]:
    """Read and check a backup: its manifest (format, version, schema revision this code
    knows) and every member's SHA-256. Raises BackupError naming the first problem."""
    name = path.name
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{name} is not a secassist backup (not a readable tar file: {exc})") from None
    with tar, tempfile.TemporaryDirectory(prefix=".secassist-restore-") as tmp:
        try:
            members = {m.name: m for m in tar.getmembers()}
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"{name} is damaged: {exc}") from None
        manifest = _manifest(tar, members, name)
        expected = manifest["content"]
        unknown = set(members) - set(expected) - {MANIFEST}
        if unknown:
            raise BackupError(f"{name} holds {sorted(unknown)[0]!r}, which its manifest does not list")
        for member, meta in expected.items():
            _extract_checked(tar, members, member, meta, Path(tmp), name)
        yield Opened(manifest=manifest, directory=Path(tmp))


def _manifest(tar: tarfile.TarFile, members: Mapping[str, tarfile.TarInfo], name: str) -> dict[str, Any]:
    info = members.get(MANIFEST)
    stream = tar.extractfile(info) if info is not None and info.isfile() else None
    if stream is None:
        raise BackupError(f"{name} has no {MANIFEST}; it is not a secassist backup")
    try:
        manifest = json.loads(stream.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{name}: {MANIFEST} is not JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{name}: {MANIFEST} is not a secassist backup manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            f"{name}: backup format version {version!r} is not {FORMAT_VERSION}, the one this secassist reads"
        )
    backend = manifest.get("database")
    if backend not in MEMBERS:
        raise BackupError(f"{name}: manifest field 'database' is {backend!r}, not sqlite or postgresql")
    content = manifest.get("content")
    if not isinstance(content, dict) or MEMBERS[backend] not in content:
        raise BackupError(f"{name}: manifest field 'content' does not list {MEMBERS[backend]}")
    for member, meta in content.items():
        if member not in (MEMBERS[backend], TRUSTED_MEMBER):
            raise BackupError(f"{name}: manifest lists an unexpected member {member!r}")
        if not isinstance(meta, dict) or not isinstance(meta.get("sha256"), str):
            raise BackupError(f"{name}: manifest entry for {member} has no sha256")
    revision = manifest.get("schema_revision")
    if revision not in known_revisions():
        raise BackupError(
            f"{name}: the backup's schema revision {revision!r} is newer than this version of "
            "secassist knows (or unknown); restore it with the secassist that made it, or a newer one"
        )
    return manifest


def _extract_checked(
    tar: tarfile.TarFile,
    members: Mapping[str, tarfile.TarInfo],
    member: str,
    meta: Mapping[str, Any],
    directory: Path,
    name: str,
) -> None:
    info = members.get(member)
    stream = tar.extractfile(info) if info is not None and info.isfile() else None
    if stream is None:
        raise BackupError(f"{name}: member {member} listed in the manifest is missing")
    digest = hashlib.sha256()
    # The name is the manifest's own constant (checked above), never a path from the archive.
    target = directory / member
    try:
        with target.open("wb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{name}: member {member} cannot be read ({exc})") from None
    if digest.hexdigest() != meta["sha256"]:
        raise BackupError(
            f"{name}: content hash mismatch for {member}: SHA-256 {digest.hexdigest()}, the manifest "
            f"says {meta['sha256']} (the backup is corrupted or was altered)"
        )
