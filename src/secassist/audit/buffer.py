"""The audit write buffer: entries and tree nodes held in the session until written.

:func:`secassist.audit.service.record` appends to the buffer instead of inserting row by
row; the buffer is written with one statement per table (:func:`write_pending`) before
the next query that may read the log, or at commit. The caller's rows are flushed first,
so a change and its entry still share the transaction; nothing is written when the unit
of work rolls back.

The buffer keeps its state in ``session.info`` — the pending rows, the tree size this
transaction has locked (:func:`locked_size_known`), and the cache of tree nodes
(:func:`node_cache`) — and its session hooks listen on
:class:`secassist.storage.engine.ProjectSession` only, the class of every session the
project's sessionmakers make: a plain ``sqlalchemy.orm.Session`` elsewhere in the process
runs none of them.

Public names: :func:`append`, :func:`write_pending`, :func:`node_cache`,
:func:`locked_size_known`, :func:`is_project_session`, :func:`require_project_session`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from secassist.audit import merkle
from secassist.audit.canonical import EntryFields
from secassist.audit.models import AuditEntry, AuditHead, AuditNode
from secassist.storage.engine import ProjectSession
from secassist.storage.types import sqlite_text

_CACHE = "secassist.audit.nodes"
_HEAD = "secassist.audit.head"
_PENDING = "secassist.audit.pending"
_SAVEPOINTS = "secassist.audit.savepoints"


def is_project_session(session: Session) -> bool:
    """Whether ``session`` runs the buffer's hooks (it was made by the project's factory)."""
    return isinstance(session, ProjectSession)


def require_project_session(session: Session) -> None:
    """Refuse a session without the buffer's hooks: its buffered entries would never be
    written, and the change would land without its audit entry."""
    if not isinstance(session, ProjectSession):
        raise TypeError("audit entries need a session from secassist.storage.engine.make_session_factory")


def locked_size_known(session: Session) -> int | None:
    """The tree size as this transaction holds it (after its buffered entries), or None
    before the transaction has locked the log head."""
    size: int | None = session.info.get(_HEAD)
    return size


def node_cache(session: Session) -> dict[merkle.Node, bytes]:
    """Tree nodes this transaction has read or computed, by (level, index)."""
    cache: dict[merkle.Node, bytes] = session.info.setdefault(_CACHE, {})
    return cache


def append(session: Session, fields: EntryFields, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    """Buffer one entry (its ``seq`` the next leaf) and the nodes it completes; the
    session must be a project session (see :func:`require_project_session`)."""
    info = session.info
    pending = info.get(_PENDING)
    if pending is None:
        pending = info[_PENDING] = {"entries": [], "nodes": []}
    pending["nodes"] += nodes
    pending["entries"].append(fields)
    pending["size"] = info[_HEAD] = fields.seq + 1


# A savepoint (``session.begin_nested()``) may roll back while the outer transaction goes
# on. The buffer, the tree size and the node cache are snapshotted when the savepoint
# begins and put back if it rolls back: the entries recorded before it must still land
# (they may have been written inside the savepoint and so been undone with it), those
# recorded inside it must not.


@event.listens_for(ProjectSession, "after_transaction_create")
def _snapshot_at_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if not transaction.nested:
        return
    info = session.info
    pending = info.get(_PENDING)
    snapshot = {
        _PENDING: None
        if pending is None
        else {
            "entries": list(pending["entries"]),
            "nodes": list(pending["nodes"]),
            "size": pending.get("size"),
        },
        _HEAD: info.get(_HEAD),
        _CACHE: dict(info.get(_CACHE, {})),
    }
    info.setdefault(_SAVEPOINTS, {})[id(transaction)] = snapshot


@event.listens_for(ProjectSession, "after_soft_rollback")
def _restore_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    info = session.info
    snapshot = info.get(_SAVEPOINTS, {}).pop(id(previous_transaction), None)
    if previous_transaction.nested and snapshot is not None:
        for key in (_PENDING, _HEAD, _CACHE):
            if snapshot[key] is None:
                info.pop(key, None)
            else:
                info[key] = snapshot[key]
    elif previous_transaction.parent is None:
        # The whole transaction is gone: nothing buffered or cached of it exists.
        for key in (_CACHE, _HEAD, _PENDING, _SAVEPOINTS):
            info.pop(key, None)


@event.listens_for(ProjectSession, "after_transaction_end")
def _forget_savepoints(session: Session, transaction: SessionTransaction) -> None:
    # A savepoint's end comes before its soft rollback, so its snapshot is kept until
    # the outermost transaction ends (a released savepoint's snapshot is simply unused).
    if transaction.parent is None:
        session.info.pop(_SAVEPOINTS, None)


@event.listens_for(ProjectSession, "after_commit")
def _release_head(session: Session) -> None:
    # The head row's lock ends with the transaction; the next one must lock it again.
    session.info.pop(_HEAD, None)


@event.listens_for(ProjectSession, "before_commit")
def _write_before_commit(session: Session) -> None:
    write_pending(session)


_AUDIT_CLASSES: frozenset[type] = frozenset({AuditEntry, AuditNode, AuditHead})


@event.listens_for(ProjectSession, "do_orm_execute")
def _write_before_query(state: ORMExecuteState) -> None:
    # Only a statement that may read the log needs the buffer written first; a query for
    # a domain row between two audited writes leaves the batch intact.
    if _PENDING not in state.session.info:
        return
    mappers = state.all_mappers
    if not mappers or any(m.class_ in _AUDIT_CLASSES for m in mappers):
        write_pending(state.session)


_INSERT_ENTRY = (
    "INSERT INTO audit_entry (seq, at, actor_user_id, actor_org_id, actor, tag, subject_type, "
    "subject_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_NODE = "INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)"
_COPY_ENTRY = (
    "COPY audit_entry (seq, at, actor_user_id, actor_org_id, actor, tag, subject_type, "
    "subject_id, payload) FROM STDIN"
)
_COPY_NODE = "COPY audit_node (level, idx, hash) FROM STDIN"
_SET_SIZE = "UPDATE audit_head SET size = {p} WHERE id = 1"


def write_pending(session: Session) -> None:
    """Write buffered audit entries and nodes, and the new tree size, to the database.

    The values are already in their stored form, so the per-row work of Core's parameter
    processing is skipped: on SQLite one executemany per table (``at`` as the text the
    ORM would store), on PostgreSQL one COPY per table (psycopg takes the aware ``at`` as
    it is; ``record`` has hashed it, which refuses a naive one).
    """
    pending: dict[str, Any] | None = session.info.get(_PENDING)
    if not pending or not pending["entries"]:
        return
    session.info[_PENDING] = {"entries": [], "nodes": []}
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        entries = [(e[0], sqlite_text(e[1]), *e[2:]) for e in pending["entries"]]
        conn.exec_driver_sql(_INSERT_ENTRY, entries)
        conn.exec_driver_sql(_INSERT_NODE, pending["nodes"])
        conn.exec_driver_sql(_SET_SIZE.format(p="?"), (pending["size"],))
        return
    # A pipelined executemany still runs one INSERT per row on the server; COPY takes the
    # batch in one statement, and cost a quarter as much for a batch of 1,000 entries.
    _copy(conn, _COPY_ENTRY, pending["entries"])
    _copy(conn, _COPY_NODE, pending["nodes"])
    conn.exec_driver_sql(_SET_SIZE.format(p="%s"), (pending["size"],))


def _copy(conn: Connection, statement: str, rows: Iterable[Sequence[Any]]) -> None:
    """COPY ``rows`` into a table with psycopg, in the connection's transaction. The
    driver's errors are raised as SQLAlchemy's, as an executed statement's would be."""
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, conn.dialect.loaded_dbapi.Error) from exc
