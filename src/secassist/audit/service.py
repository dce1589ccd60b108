"""Writing the log and reading proofs from it.

:func:`record` is the only way anything enters the log; :func:`add_recorded` is the
"add the rows, flush, record the entry" every service's state change goes through. Both
run inside the caller's session, after the caller's own writes, and never commit: the
unit of work commits the change and its entry together.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from sqlalchemy import Connection, bindparam, insert, inspect, select
from sqlalchemy.orm import Session

from secassist.audit import buffer, merkle
from secassist.audit.canonical import EntryDocument, EntryFields, entry_bytes, entry_document, image_of
from secassist.audit.canonical import payload as canonical_payload
from secassist.audit.models import AuditEntry, AuditHead
from secassist.core.clock import Clock, now
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.storage.base import Base
from secassist.storage.prepared import Prepared

TAG = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Actor:
    """Who did it. ``label`` is human-readable; ids are kept for the access policy."""

    label: str
    user_id: int | None = None
    org_id: int | None = None


SYSTEM = Actor(label="system")


def _locked_size(session: Session) -> int:
    """The tree size, with the head row locked once per transaction (FOR UPDATE on
    PostgreSQL; SQLite's writing units of work hold the write lock from BEGIN IMMEDIATE)."""
    size = buffer.locked_size_known(session)
    if size is None:
        locked = select(AuditHead.size).where(AuditHead.id == 1).with_for_update()
        found = session.connection().execute(locked).scalar_one_or_none()
        if found is None:
            session.connection().execute(insert(AuditHead).values(id=1, size=0))
            found = 0
        size = int(found)
    return size


LOOKUP_CHUNK = 200  # nodes per query: stays far below SQLite's expression-depth limit

# Node lookups go straight to the driver: a proof is two short queries, and building
# SQLAlchemy parameters for ~60 binds cost a third of one. PostgreSQL joins the primary
# key to two arrays (one statement text for any count, so the driver's prepared plan is
# reused); SQLite answers ORed primary-key equalities from its index (a row-value IN list
# would make it scan the table).
_NODES_PG = (
    "SELECT n.level, n.idx, n.hash FROM audit_node n "
    "JOIN unnest(%s::integer[], %s::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx"
)


@functools.cache
def _nodes_sqlite(n: int) -> str:
    terms = " OR ".join(["(level = ? AND idx = ?)"] * n)  # placeholders only; values are bound
    return "SELECT level, idx, hash FROM audit_node WHERE " + terms  # noqa: S608


def _node_rows(conn: Connection, chunk: Sequence[merkle.Node]) -> list[tuple[int, int, bytes]]:
    if conn.dialect.name == "postgresql":
        sql: str = _NODES_PG
        params: Any = ([level for level, _ in chunk], [idx for _, idx in chunk])
    else:
        sql, params = _nodes_sqlite(len(chunk)), [v for node in chunk for v in node]
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return [(int(level), int(idx), bytes(h)) for level, idx, h in rows]


def fetch_nodes(session: Session, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """Load the given perfect-subtree hashes in one query (plus what the session has)."""
    cache = buffer.node_cache(session)
    need = [n for n in set(wanted) if n not in cache]
    if need:
        buffer.write_pending(session)
        conn = session.connection()
        for lo in range(0, len(need), LOOKUP_CHUNK):
            for level, idx, h in _node_rows(conn, need[lo : lo + LOOKUP_CHUNK]):
                cache[(level, idx)] = h
    missing = [n for n in need if n not in cache]
    if missing:
        raise NotFoundError(f"audit tree is missing node {missing[0]}; run `secassist audit verify`")
    return {n: cache[n] for n in wanted}


# Tags that matched TAG: a program writes a few dozen distinct ones, each many times.
_VALID_TAGS: set[str] = set()


def _check_tag(tag: str) -> None:
    if not TAG.match(tag):
        raise ValidationFailedError(f"audit tag {tag!r} is not source:subject:action", field="tag")
    if len(_VALID_TAGS) > 4096:  # a tag built from data would otherwise grow it forever
        _VALID_TAGS.clear()
    _VALID_TAGS.add(tag)


def record(
    session: Session,
    *,
    actor: Actor,
    tag: str,
    subject_type: str,
    subject_id: object,
    rows: Sequence[Base] = (),
    deleted: Sequence[Base] = (),
    note: dict[str, object] | None = None,
    clock: Clock | None = None,
) -> EntryFields:
    """Append one entry recording ``rows`` (after-images) and ``deleted`` rows; returns
    the entry's fields (``seq`` is its leaf index).

    Tags follow ``source:subject:action`` (e.g. ``case:status:offered``). The entry and
    the nodes it completes are buffered in the session (:mod:`secassist.audit.buffer`)
    and written with one statement per table before the next query that may read the
    log, or at commit. ``session`` must come from the project's session factory.
    """
    buffer.require_project_session(session)
    if tag not in _VALID_TAGS:
        _check_tag(tag)
    session.flush()  # primary keys and defaults of the rows being recorded
    images: list[dict[str, Any]] = []
    flat = True
    for obj in rows:
        table, pk, image, plain = image_of(obj)
        images.append({"table": table, "pk": pk, "after": image})
        flat = flat and plain
    for obj in deleted:
        table, pk, _, plain = image_of(obj)
        images.append({"table": table, "pk": pk, "after": None})
        flat = flat and plain
    return record_images(
        session,
        actor=actor,
        tag=tag,
        subject_type=subject_type,
        subject_id=subject_id,
        images=images,
        flat=flat,
        note=note,
        clock=clock,
    )


def record_images(
    session: Session,
    *,
    actor: Actor,
    tag: str,
    subject_type: str,
    subject_id: object,
    images: list[dict[str, Any]],
    flat: bool,
    note: dict[str, object] | None = None,
    clock: Clock | None = None,
) -> EntryFields:
    """:func:`record` for rows whose images the caller has already made: each
    ``{"table", "pk", "after"}`` as :func:`secassist.audit.canonical.image_of` gives them
    (``after`` None for a deleted row), ``flat`` when every image is flat (``image_of``'s
    fourth value). For a batch writer that records many states of one row: it makes the
    row's image once and changes only the columns that moved, rather than setting them on
    the ORM object and reading every column back per entry. The rows themselves must
    already be written in the session's transaction; ``session`` must come from the
    project's session factory."""
    buffer.require_project_session(session)
    if tag not in _VALID_TAGS:
        _check_tag(tag)
    payload = canonical_payload(images, note, flat=flat)

    seq = buffer.locked_size_known(session)
    if seq is None:
        seq = _locked_size(session)
    # In column order: the tuple itself is the row buffered for the INSERT.
    fields = EntryFields(
        seq,
        now(clock),
        actor.user_id,
        actor.org_id,
        actor.label,
        tag,
        subject_type,
        str(subject_id),
        payload,
    )
    h = merkle.leaf_hash(entry_bytes(fields))
    cache = buffer.node_cache(session)
    # The leaf and each parent it completes (merkle.completed_nodes, inlined: this is the
    # hot path of every write). The left siblings are the right edge of the tree, cached
    # in the session; a new session loads them all in one query (which writes the buffer
    # first, so the buffer is only taken after the loop).
    completed = [(0, seq, h)]
    level, i = 0, seq
    while i & 1:
        left = cache.get((level, i - 1))
        if left is None:
            fetch_nodes(session, merkle.right_edge(seq))
            left = cache[(level, i - 1)]
        h = merkle.node_hash(left, h)
        level, i = level + 1, i >> 1
        completed.append((level, i, h))
    for level, i, h in completed:
        cache[(level, i)] = h
    buffer.append(session, fields, completed)
    return fields


def add_recorded(
    session: Session,
    rows: Sequence[Base],
    *,
    actor: Actor,
    tag: str,
    subject_type: str,
    subject_id: object | None = None,
    deleted: Sequence[Base] = (),
    note: dict[str, object] | None = None,
    clock: Clock | None = None,
) -> EntryFields:
    """Add ``rows`` to the session, flush them and :func:`record` the one entry of the change.

    The "add, flush, record" every service does for a state change, in one place. ``rows``
    are the after-images the entry carries: new rows are added; rows already in the session
    (a changed record) are simply flushed. ``subject_id`` defaults to the primary key of
    the first row, known once the flush has given new rows their keys. The entry is exactly
    what :func:`record` would write for the same arguments.
    """
    if subject_id is None:
        if not rows:
            raise ValueError("add_recorded: subject_id is needed when there are no rows")
        if len(inspect(type(rows[0])).primary_key) != 1:
            raise ValueError("add_recorded: subject_id is needed for a row without a one-column key")
    session.add_all(rows)
    session.flush()
    if subject_id is None:
        identity = inspect(rows[0]).identity
        assert identity is not None  # flushed: a persistent row has its key
        subject_id = identity[0]
    return record(
        session,
        actor=actor,
        tag=tag,
        subject_type=subject_type,
        subject_id=subject_id,
        rows=rows,
        deleted=deleted,
        note=note,
        clock=clock,
    )


def tree_size(session: Session) -> int:
    """The number of entries in the log (the Merkle tree's size)."""
    buffer.write_pending(session)
    row = _SIZE.first(session.connection())
    return int(row[0]) if row and row[0] is not None else 0


# Proofs are latency-bound: their reads are compiled once and run on the driver.
_SIZE = Prepared(select(AuditHead.size).where(AuditHead.id == 1))
_ENTRY_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor_user_id,
    AuditEntry.actor_org_id,
    AuditEntry.actor,
    AuditEntry.tag,
    AuditEntry.subject_type,
    AuditEntry.subject_id,
    AuditEntry.payload,
)
# The tree size and one entry in one round trip (the entry's columns are NULL when the
# log has no such entry).
_SIZE_AND_ENTRY = Prepared(
    select(AuditHead.size, *_ENTRY_COLUMNS)
    .select_from(AuditHead)
    .outerjoin(AuditEntry, AuditEntry.seq == bindparam("seq"))
    .where(AuditHead.id == 1)
)


def root(session: Session, size: int | None = None) -> bytes:
    """RFC 9162 root hash of the first ``size`` entries (default: all), from stored nodes."""
    size = _resolve_size(session, size)
    plan = merkle.root_plan(size)
    nodes = fetch_nodes(session, plan)
    return merkle.fold([nodes[n] for n in plan])


def _resolve_size(session: Session, size: int | None) -> int:
    """``size`` checked against the log (or the current size when None); one query."""
    current = tree_size(session)
    if size is None:
        return current
    _check_size(size, current)
    return size


def _check_size(size: int, current: int) -> None:
    if not 0 <= size <= current:
        raise ValidationFailedError(f"tree size {size} is outside 0..{current}", field="tree_size")


class InclusionProofDoc(TypedDict):
    """An RFC 9162 inclusion proof as the log hands it out (hashes in hex)."""

    type: Literal["inclusion"]
    leaf_index: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root_hash: str
    entry: EntryDocument


class ConsistencyProofDoc(TypedDict):
    """An RFC 9162 consistency proof as the log hands it out (hashes in hex)."""

    type: Literal["consistency"]
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]


def inclusion_proof(session: Session, seq: int, size: int | None = None) -> InclusionProofDoc:
    """RFC 9162 inclusion proof of entry ``seq`` in the tree of ``size`` (default: current),
    with the entry: two queries (the tree size with the entry, then every node needed)."""
    buffer.write_pending(session)
    row = _SIZE_AND_ENTRY.first(session.connection(), {"seq": seq})
    current = int(row[0] or 0) if row is not None else 0
    if size is None:
        size = current
    else:
        _check_size(size, current)
    if not 0 <= seq < size:
        raise ValidationFailedError(f"entry {seq} is not in a tree of size {size}", field="seq")
    assert row is not None
    if row[1] is None:
        raise NotFoundError(f"no audit entry {seq}")
    entry = EntryFields._make(row[1:])
    ranges = merkle.inclusion_ranges(seq, size)
    plan = merkle.root_plan(size)
    nodes = fetch_nodes(session, merkle.nodes_for(ranges) | set(plan) | {(0, seq)})
    return {
        "type": "inclusion",
        "leaf_index": seq,
        "tree_size": size,
        "leaf_hash": nodes[(0, seq)].hex(),
        "path": [h.hex() for h in merkle.evaluate(ranges, nodes)],
        "root_hash": merkle.fold([nodes[n] for n in plan]).hex(),
        "entry": entry_document(entry),
    }


@functools.lru_cache(maxsize=64)
def _size_and_entries(n: int) -> Prepared:
    """The tree size with the entries of ``n`` sequence numbers (binds ``s0``..``s{n-1}``),
    one row per entry found (one row of NULL entry columns when none is): compiled once
    per count, like :data:`_SIZE_AND_ENTRY` for one."""
    return Prepared(
        select(AuditHead.size, *_ENTRY_COLUMNS)
        .select_from(AuditHead)
        .outerjoin(AuditEntry, AuditEntry.seq.in_([bindparam(f"s{i}") for i in range(n)]))
        .where(AuditHead.id == 1)
    )


def inclusion_proofs(
    session: Session, seqs: Iterable[int], size: int | None = None, *, skip_outside: bool = False
) -> list[InclusionProofDoc]:
    """:func:`inclusion_proof` of each of ``seqs`` (ascending, once each) in one tree size
    (default: current), in two queries whatever their number: the size with the entries,
    then the union of the nodes every proof needs (proofs in one tree share their upper
    nodes: a trace's dozen proofs need about twice the nodes of one). An entry outside the
    tree is refused, or left out with ``skip_outside`` (a trace checked against an older
    checkpoint has steps recorded after it)."""
    wanted = sorted(set(seqs))
    buffer.write_pending(session)
    current = 0 if wanted else tree_size(session)
    entries: dict[int, tuple[Any, ...]] = {}
    for lo in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[lo : lo + LOOKUP_CHUNK]
        for row in _size_and_entries(len(chunk)).all(session, {f"s{i}": v for i, v in enumerate(chunk)}):
            current = int(row[0] or 0)
            if row[1] is not None:
                entries[int(row[1])] = row[1:]
    if size is None:
        size = current
    else:
        _check_size(size, current)
    if skip_outside:
        wanted = [seq for seq in wanted if 0 <= seq < size]
    for seq in wanted:
        if not 0 <= seq < size:
            raise ValidationFailedError(f"entry {seq} is not in a tree of size {size}", field="seq")
        if seq not in entries:
            raise NotFoundError(f"no audit entry {seq}")
    if not wanted:
        return []
    plan = merkle.root_plan(size)
    ranges = merkle.inclusion_ranges_many(wanted, size)
    # The proofs share their upper ranges: decompose and fold each distinct range once.
    parts = {r: merkle.decompose(*r) for r in {r for path in ranges.values() for r in path}}
    need: set[merkle.Node] = set(plan).union(*parts.values(), ((0, seq) for seq in wanted))
    nodes = fetch_nodes(session, need)
    hashes = {r: merkle.fold([nodes[n] for n in p]).hex() for r, p in parts.items()}
    root_hash = merkle.fold([nodes[n] for n in plan]).hex()
    return [
        {
            "type": "inclusion",
            "leaf_index": seq,
            "tree_size": size,
            "leaf_hash": nodes[(0, seq)].hex(),
            "path": [hashes[r] for r in ranges[seq]],
            "root_hash": root_hash,
            "entry": entry_document(EntryFields._make(entries[seq])),
        }
        for seq in wanted
    ]


def consistency_proof(session: Session, old: int, new: int | None = None) -> ConsistencyProofDoc:
    """RFC 9162 consistency proof between tree sizes ``old`` and ``new``."""
    new = _resolve_size(session, new)
    if not 0 < old <= new:
        raise ValidationFailedError(f"no consistency proof from size {old} to {new}", field="old_size")
    ranges = merkle.consistency_ranges(old, new)
    old_plan, new_plan = merkle.root_plan(old), merkle.root_plan(new)
    nodes = fetch_nodes(session, merkle.nodes_for(ranges) | set(old_plan) | set(new_plan))
    return {
        "type": "consistency",
        "old_size": old,
        "new_size": new,
        "old_root": merkle.fold([nodes[n] for n in old_plan]).hex(),
        "new_root": merkle.fold([nodes[n] for n in new_plan]).hex(),
        "proof": [h.hex() for h in merkle.evaluate(ranges, nodes)],
    }
