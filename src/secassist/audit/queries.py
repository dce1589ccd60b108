"""Reads of the log's entries: the list by tag, one entry, and its document and leaf hash.

Entries are read as stored; who may see an entry whole is the adapter's question
(:func:`secassist.identity.policy.may_read_audit_entry`). The tree's size, its root and
the proofs are in :mod:`secassist.audit.service`, beside the writes that extend the tree.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit import merkle
from secassist.audit.canonical import EntryDocument, EntryFields, entry_bytes, entry_document
from secassist.audit.models import AuditEntry
from secassist.core.errors import NotFoundError, ValidationFailedError

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


def entry_json(entry: AuditEntry) -> EntryDocument:
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
