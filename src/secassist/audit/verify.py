"""`secassist audit verify`: recompute everything from the entries and compare.

1. Every entry's content hashes to the stored leaf, and every stored node equals the node
   recomputed from the leaves (so proofs served from the store are honest).
2. Every signed checkpoint's signature holds under the trusted key its note names (kept
   outside the database, see :mod:`secassist.audit.keys`), and its root equals the
   recomputed root at its size (so no entry before it was altered, inserted or removed).
3. Every row of every audited table equals its last after-image in the log, and no row
   exists that the log never wrote (so a direct UPDATE behind secassist's back is caught).
The first problem found is reported, naming the entry or the row.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit import checkpoint as cp
from secassist.audit import merkle
from secassist.audit.canonical import (
    EntryFields,
    audited_tables,
    column_json,
    entry_bytes,
    logged_columns,
    pk_key,
)
from secassist.audit.errors import CheckpointError
from secassist.audit.keys import TrustedKeys
from secassist.audit.models import AuditCheckpoint, AuditHead

BATCH = 10_000


@dataclass
class Report:
    entries: int = 0
    nodes: int = 0
    checkpoints: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


_ENTRY_SQL = (
    "SELECT seq, at, actor_user_id, actor_org_id, actor, tag, subject_type, subject_id, payload "
    "FROM audit_entry ORDER BY seq"
)


@contextmanager
def _driver_rows(session: Session, sql: str, params: tuple[Any, ...] = ()) -> Iterator[Iterator[Any]]:
    """Rows of ``sql`` straight from the driver, streamed in batches of BATCH (a named,
    server-side cursor on PostgreSQL), inside the session's transaction. A million rows
    are read once and never changed: SQLAlchemy's per-row result processing would cost
    several times the reading."""
    conn = session.connection()
    dbapi: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cur = dbapi.cursor(name=f"secassist_verify_{next(_cursor_ids)}")
        cur.itersize = BATCH
    else:
        cur = dbapi.cursor()
        cur.arraysize = BATCH
    try:
        cur.execute(sql, params)
        yield iter(cur)
    finally:
        cur.close()


_cursor_ids = itertools.count()


def _sqlite_time(value: Any) -> datetime:
    """SQLite keeps ``at`` as UTC text (see storage.types.UTCDateTime)."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _entries(session: Session) -> Generator[EntryFields]:
    to_time = _sqlite_time if session.connection().dialect.name == "sqlite" else None
    make = EntryFields
    with _driver_rows(session, _ENTRY_SQL) as rows:
        for row in rows:
            seq, at, *rest = row
            yield make(seq, to_time(at) if to_time else at, *rest)


LastImages = dict[str, tuple[int, str, dict[str, Any], dict[str, Any] | None]]


def verify_log(
    session: Session,
    *,
    keys: TrustedKeys,
    check_rows: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Recompute the tree from the entries and check nodes, checkpoints (each against the
    key its note names, which must be one of ``keys``) and (unless ``check_rows`` is
    false) every audited row; the report lists the first problem.

    ``progress(read, expected)``, when given, is told every few thousand entries how many
    were read of the number the log head announces (for a progress bar; reading the
    entries is most of the work)."""
    report = Report()
    leaves: list[bytes] = []
    last_image: LastImages = {}
    expected = (session.scalar(select(AuditHead.size).where(AuditHead.id == 1)) or 0) if progress else 0
    with closing(_entries(session)) as entries:
        problem = _read_entries(entries, leaves, last_image if check_rows else None, progress, expected)
    if progress is not None:
        progress(len(leaves), expected)
    if problem:
        report.problems.append(problem)
        return report
    report.entries = len(leaves)

    head = session.scalar(select(AuditHead.size).where(AuditHead.id == 1)) or 0
    if head != len(leaves):
        report.problems.append(f"the log head says {head} entries but {len(leaves)} exist")
        return report

    if not _check_nodes(session, leaves, report):
        return report
    if not _check_checkpoints(session, leaves, keys, report):
        return report
    if check_rows:
        _check_rows(session, last_image, report)
    return report


LEAF = merkle.LEAF_PREFIX
# How often ``verify_log`` reports progress: rarely enough to cost nothing per entry.
_PROGRESS_EVERY = 2048


def _read_entries(
    entries: Iterator[EntryFields],
    leaves: list[bytes],
    last_image: LastImages | None,
    progress: Callable[[int, int], None] | None = None,
    expected: int = 0,
) -> str | None:
    """Hash every entry into ``leaves`` and note each row's last after-image."""
    for e in entries:
        if e.seq != len(leaves):
            return f"entry {len(leaves)} is missing (next entry found is {e.seq})"
        if progress is not None and not e.seq % _PROGRESS_EVERY:
            progress(e.seq, expected)
        leaves.append(sha256(LEAF + entry_bytes(e)).digest())  # merkle.leaf_hash, inline
        if last_image is not None:
            for img in json.loads(e.payload)["rows"]:
                last_image[pk_key(img["table"], img["pk"])] = (e.seq, img["table"], img["pk"], img["after"])
    return None


_LEVEL_SQL = {
    True: "SELECT idx, hash FROM audit_node WHERE level = ? ORDER BY idx",
    False: "SELECT idx, hash FROM audit_node WHERE level = %s ORDER BY idx",
}


def _stored_level(session: Session, level: int) -> Generator[tuple[int, bytes]]:
    qmark = session.connection().dialect.paramstyle == "qmark"
    with _driver_rows(session, _LEVEL_SQL[qmark], (level,)) as rows:
        for idx, h in rows:
            yield idx, bytes(h)


def _check_nodes(session: Session, leaves: list[bytes], report: Report) -> bool:
    level, current = 0, leaves
    while current:
        with closing(_stored_level(session, level)) as stored:
            if not _check_level(stored, level, current, report):
                return False
        current = [merkle.node_hash(current[i], current[i + 1]) for i in range(0, len(current) - 1, 2)]
        level += 1
    return True


def _check_level(
    stored: Iterator[tuple[int, bytes]], level: int, current: list[bytes], report: Report
) -> bool:
    """Compare one level of stored nodes with the level recomputed from the leaves."""
    for i, want in enumerate(current):
        got = next(stored, None)
        if got is None or got[0] != i:
            report.problems.append(f"audit node ({level}, {i}) is missing")
            return False
        if got[1] != want:
            what = (
                f"entry {i} does not match its leaf hash (the entry was altered)"
                if level == 0
                else f"audit node ({level}, {i}) does not match the entries below it"
            )
            report.problems.append(what)
            return False
        report.nodes += 1
    extra = next(stored, None)
    if extra is not None:
        report.problems.append(f"audit node ({level}, {extra[0]}) has no entries below it")
        return False
    return True


def root_from_leaves(leaves: list[bytes], size: int) -> bytes:
    """RFC 9162 root of the first ``size`` leaves, computed from the leaves alone."""
    # Fold the perfect subtrees of [0, size) computed directly from the leaves.
    hashes = []
    for lvl, idx in merkle.root_plan(size):
        layer = leaves[idx << lvl : (idx + 1) << lvl]
        while len(layer) > 1:
            layer = [merkle.node_hash(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
        hashes.append(layer[0])
    return merkle.fold(hashes)


def _check_checkpoints(session: Session, leaves: list[bytes], keys: TrustedKeys, report: Report) -> bool:
    for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)):
        try:
            note = cp.verify(row.note, keys)
        except CheckpointError as exc:
            report.problems.append(f"checkpoint {row.id}: {exc.message}")
            return False
        if note.tree_size != row.tree_size or note.root_hash != bytes(row.root_hash):
            report.problems.append(f"checkpoint {row.id}: stored size/root differ from its signed note")
            return False
        if note.tree_size > len(leaves):
            report.problems.append(
                f"checkpoint {row.id} signed {note.tree_size} entries but only {len(leaves)} exist"
            )
            return False
        if root_from_leaves(leaves, note.tree_size) != note.root_hash:
            report.problems.append(
                f"checkpoint {row.id} (size {note.tree_size}): recomputed root differs; "
                "an entry before it was altered, inserted or removed"
            )
            return False
        report.checkpoints += 1
    return True


def _check_rows(
    session: Session,
    last_image: LastImages,
    report: Report,
) -> None:
    seen: set[str] = set()
    tables = audited_tables()
    for name, table in tables.items():
        pk_cols = [c.name for c in table.primary_key.columns]
        columns = logged_columns(table)
        for row in session.execute(select(table).order_by(*table.primary_key.columns)).mappings():
            image = {c.name: column_json(c, row[c.name]) for c in columns}
            pk = {c: image[c] for c in pk_cols}
            key = pk_key(name, pk)
            seen.add(key)
            report.rows += 1
            logged = last_image.get(key)
            if logged is None or logged[3] is None:
                state = (
                    "no audit entry wrote it"
                    if logged is None
                    else f"entry {logged[0]} recorded its deletion"
                )
                report.problems.append(f"row {name} {pk} exists but {state}")
                return
            seq, _, _, after = logged
            assert after is not None
            for col, value in image.items():
                if after.get(col) != value:
                    report.problems.append(
                        f"row {name} {pk}: {col} is {value!r} but the last audit entry for it "
                        f"(entry {seq}) says {after.get(col)!r}"
                    )
                    return
    for key, (seq, name, pk, after) in sorted(last_image.items(), key=lambda kv: kv[1][0]):
        if after is not None and key not in seen and name in tables:
            report.problems.append(f"row {name} {pk} was written by entry {seq} but no longer exists")
            return
