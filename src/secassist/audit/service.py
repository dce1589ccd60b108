"""Writing the log and reading proofs from it.

:func:`record` is the only way anything enters the log. It runs inside the caller's
session, after the caller's own writes, and never commits: the unit of work commits the
change and its entry together.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, event, insert, or_, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from secassist.audit import merkle
from secassist.audit.canonical import EntryFields, canonical, entry_bytes, entry_document, row_image
from secassist.audit.models import AuditEntry, AuditHead, AuditNode
from secassist.core.clock import Clock, SystemClock
from secassist.core.errors import NotFoundError, ValidationFailedError
from secassist.storage.base import Base

TAG = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")
_CACHE = "secassist.audit.nodes"


@dataclass(frozen=True)
class Actor:
    """Who did it. ``label`` is human-readable; ids are kept for the access policy."""

    label: str
    user_id: int | None = None
    org_id: int | None = None


SYSTEM = Actor(label="system")


_HEAD = "secassist.audit.head"
_PENDING = "secassist.audit.pending"


@event.listens_for(Session, "after_rollback")
def _drop_cache_on_rollback(session: Session) -> None:
    # Nodes appended in a rolled-back transaction no longer exist.
    session.info.pop(_CACHE, None)
    session.info.pop(_HEAD, None)
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_commit")
def _release_head(session: Session) -> None:
    # The head row's lock ends with the transaction; the next one must lock it again.
    session.info.pop(_HEAD, None)


# Entries and nodes are buffered and written with one executemany per table (Core, not
# the ORM's per-object flush): before any query through the session, and before commit.
# The caller's rows are flushed first, so a change and its entry still share the
# transaction; nothing is written when the unit of work rolls back.


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    write_pending(session)


_AUDIT_CLASSES: frozenset[type] = frozenset({AuditEntry, AuditNode, AuditHead})


@event.listens_for(Session, "do_orm_execute")
def _write_before_query(state: ORMExecuteState) -> None:
    # Only a statement that may read the log needs the buffer written first; a query for
    # a domain row between two audited writes leaves the batch intact.
    if _PENDING not in state.session.info:
        return
    mappers = state.all_mappers
    if not mappers or any(m.class_ in _AUDIT_CLASSES for m in mappers):
        write_pending(state.session)


def write_pending(session: Session) -> None:
    """Write buffered audit entries and nodes, and the new tree size, to the database."""
    pending: dict[str, Any] | None = session.info.get(_PENDING)
    if not pending or not pending["entries"]:
        return
    session.info[_PENDING] = {"entries": [], "nodes": []}
    conn = session.connection()
    conn.execute(insert(AuditEntry), pending["entries"])
    conn.execute(insert(AuditNode), pending["nodes"])
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(size=pending["size"]))


def _locked_size(session: Session) -> int:
    """The tree size, with the head row locked once per transaction (FOR UPDATE on
    PostgreSQL; SQLite's writing units of work hold the write lock from BEGIN IMMEDIATE)."""
    size: int | None = session.info.get(_HEAD)
    if size is None:
        locked = select(AuditHead.size).where(AuditHead.id == 1).with_for_update()
        found = session.connection().execute(locked).scalar_one_or_none()
        if found is None:
            session.connection().execute(insert(AuditHead).values(id=1, size=0))
            found = 0
        size = int(found)
    return size


def _node_cache(session: Session) -> dict[merkle.Node, bytes]:
    cache: dict[merkle.Node, bytes] = session.info.setdefault(_CACHE, {})
    return cache


LOOKUP_CHUNK = 200  # nodes per query: stays far below SQLite's expression-depth limit


@functools.cache
def _node_lookup(n: int) -> Select[int, int, bytes]:
    """SELECT of ``n`` nodes by primary key, as (level = ? AND idx = ?) OR ...: one index
    lookup per node on both databases. Built once per ``n`` (a proof needs about
    2·log2 of the tree size) so a proof only binds parameters: building the expression
    tree anew cost more than running the query."""
    terms = (
        and_(AuditNode.level == bindparam(f"l{i}"), AuditNode.idx == bindparam(f"i{i}")) for i in range(n)
    )
    return select(AuditNode.level, AuditNode.idx, AuditNode.hash).where(or_(*terms))


def fetch_nodes(session: Session, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """Load the given perfect-subtree hashes in one query (plus what the session has)."""
    cache = _node_cache(session)
    need = [n for n in set(wanted) if n not in cache]
    if need:
        # A row-value IN list would make SQLite scan the table; ORed primary-key
        # equalities are answered from the index on both databases.
        write_pending(session)
        conn = session.connection()
        for lo in range(0, len(need), LOOKUP_CHUNK):
            chunk = need[lo : lo + LOOKUP_CHUNK]
            params: dict[str, int] = {}
            for i, (level, idx) in enumerate(chunk):
                params[f"l{i}"] = level
                params[f"i{i}"] = idx
            for level, idx, h in conn.execute(_node_lookup(len(chunk)), params):
                cache[(level, idx)] = bytes(h)
    missing = [n for n in need if n not in cache]
    if missing:
        raise NotFoundError(f"audit tree is missing node {missing[0]}; run `secassist audit verify`")
    return {n: cache[n] for n in wanted}


def record(
    session: Session,
    *,
    actor: Actor,
    tag: str,
    subject_type: str,
    subject_id: object,
    rows: Sequence[Base] = (),
    deleted: Sequence[Base] = (),
    note: dict[str, Any] | None = None,
    clock: Clock | None = None,
) -> AuditEntry:
    """Append one entry recording ``rows`` (after-images) and ``deleted`` rows.

    Tags follow ``source:subject:action`` (e.g. ``case:status:offered``).
    """
    if not TAG.match(tag):
        raise ValidationFailedError(f"audit tag {tag!r} is not source:subject:action", field="tag")
    session.flush()  # primary keys and defaults of the rows being recorded
    images: list[dict[str, Any]] = []
    for obj in rows:
        table, pk, image = row_image(obj)
        images.append({"table": table, "pk": pk, "after": image})
    for obj in deleted:
        table, pk, _ = row_image(obj)
        images.append({"table": table, "pk": pk, "after": None})
    payload = canonical({"rows": images, "note": note}).decode()

    seq = _locked_size(session)
    fields = EntryFields(
        seq=seq,
        at=(clock or SystemClock()).now(),
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        actor=actor.label,
        tag=tag,
        subject_type=subject_type,
        subject_id=str(subject_id),
        payload=payload,
    )
    leaf = merkle.leaf_hash(entry_bytes(fields))
    cache = _node_cache(session)

    def left_sibling(node: merkle.Node) -> bytes:
        return fetch_nodes(session, [node])[node]

    completed = merkle.completed_nodes(seq, left_sibling, leaf)
    pending = session.info.setdefault(_PENDING, {"entries": [], "nodes": []})
    pending["entries"].append(dict(fields.__dict__))
    for node, h in completed:
        pending["nodes"].append({"level": node[0], "idx": node[1], "hash": h})
        cache[node] = h
    pending["size"] = seq + 1
    session.info[_HEAD] = seq + 1
    return AuditEntry(**fields.__dict__)


def tree_size(session: Session) -> int:
    """The number of entries in the log (the Merkle tree's size)."""
    write_pending(session)
    # Core on the session's connection: proofs are latency-bound and the ORM layer
    # adds nothing to a one-column read.
    size = session.connection().execute(select(AuditHead.size).where(AuditHead.id == 1)).scalar()
    return int(size or 0)


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


MAX_PAGE = 1000


def list_entries(
    session: Session, *, tag: str | None = None, after: int | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Entries in log order: those whose tag starts with ``tag`` (when given), with
    ``seq > after`` (when given), at most ``limit`` (1..1000)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailedError(f"limit: between 1 and {MAX_PAGE}", field="limit")
    stmt = select(AuditEntry).order_by(AuditEntry.seq).limit(limit)
    if tag:
        stmt = stmt.where(AuditEntry.tag.startswith(tag, autoescape=True))
    if after is not None:
        stmt = stmt.where(AuditEntry.seq > after)
    return list(session.scalars(stmt))


def get_entry(session: Session, seq: int) -> AuditEntry:
    """The entry with sequence number ``seq``, or NotFoundError."""
    entry = session.get(AuditEntry, seq)
    if entry is None:
        raise NotFoundError(f"no audit entry {seq}")
    return entry


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """The entry as the JSON document whose canonical form is hashed into its leaf."""
    return entry_document(_fields(entry))


def _fields(entry: AuditEntry) -> EntryFields:
    return EntryFields(
        seq=entry.seq,
        at=entry.at,
        actor_user_id=entry.actor_user_id,
        actor_org_id=entry.actor_org_id,
        actor=entry.actor,
        tag=entry.tag,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        payload=entry.payload,
    )


def leaf_of(entry: AuditEntry) -> bytes:
    """The entry's RFC 9162 leaf hash, recomputed from its content."""
    return merkle.leaf_hash(entry_bytes(_fields(entry)))


def inclusion_proof(session: Session, seq: int, size: int | None = None) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``seq`` in the tree of ``size`` (default: current)."""
    size = _resolve_size(session, size)
    if not 0 <= seq < size:
        raise ValidationFailedError(f"entry {seq} is not in a tree of size {size}", field="seq")
    ranges = merkle.inclusion_ranges(seq, size)
    plan = merkle.root_plan(size)
    nodes = fetch_nodes(session, merkle.nodes_for(ranges) | set(plan) | {(0, seq)})
    entry = get_entry(session, seq)
    return {
        "type": "inclusion",
        "leaf_index": seq,
        "tree_size": size,
        "leaf_hash": nodes[(0, seq)].hex(),
        "path": [h.hex() for h in merkle.evaluate(ranges, nodes)],
        "root_hash": merkle.fold([nodes[n] for n in plan]).hex(),
        "entry": entry_json(entry),
    }


def consistency_proof(session: Session, old: int, new: int | None = None) -> dict[str, Any]:
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
