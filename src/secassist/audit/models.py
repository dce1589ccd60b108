"""Audit tables. ``audit_entry``, ``audit_node`` and ``audit_checkpoint`` are append-only:
database triggers (see migration 0002) reject UPDATE and DELETE on both backends.

On SQLite (migration 0009) ``audit_entry.seq`` is the table's rowid (``INTEGER PRIMARY
KEY``: an entry is found in one B-tree descent, not an index descent and then a rowid
one) and ``audit_node`` is a ``WITHOUT ROWID`` table clustered on ``(level, idx)`` with
the hash stored in the key's B-tree. PostgreSQL keeps ``BIGINT`` keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from secassist.storage.base import Base
from secassist.storage.types import UTCDateTime

# SQLite's INTEGER is 64-bit; only the spelling INTEGER makes a primary key the rowid.
SEQ = BigInteger().with_variant(Integer(), "sqlite")

# The subjects whose entries ``ix_audit_entry_subject`` holds (the item trace's steps:
# funding, case and line, notification, transfer requests of issue #13). A query uses the partial
# index only when its WHERE repeats this predicate with literals (SQLite matches the term
# itself; PostgreSQL cannot prove the implication from a bound parameter), so readers add
# ``text(INDEXED_SUBJECTS_SQL)``. Migration 0010 spells the same predicate.
INDEXED_SUBJECTS = ("case", "notification", "program_entry", "transfer_request")
INDEXED_SUBJECTS_SQL = "subject_type IN ({})".format(", ".join(f"'{s}'" for s in INDEXED_SUBJECTS))


class AuditEntry(Base):
    """One state change. ``seq`` is the entry's leaf index in the Merkle tree (0-based)."""

    __tablename__ = "audit_entry"
    # Entries about one subject, newest last, for the subjects the item trace looks up (its
    # case, line, notification and funding steps). Partial, so the other writes, the bulk
    # ones among them, pay nothing for it (docs/equipment-scale.md). Created in migration 0010.
    __table_args__ = (
        Index(
            "ix_audit_entry_subject",
            "subject_type",
            "subject_id",
            "seq",
            postgresql_where=text(INDEXED_SUBJECTS_SQL),
            sqlite_where=text(INDEXED_SUBJECTS_SQL),
        ),
    )

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_org_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    tag: Mapped[str] = mapped_column(String(120), index=True)
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(128))
    # Canonical JSON (RFC 8785) of {"rows": [...], "note": ...}; text, so the exact bytes
    # that were hashed are what is stored (PostgreSQL jsonb would reorder keys).
    payload: Mapped[str] = mapped_column(Text)


class AuditNode(Base):
    """Hash of the perfect subtree ``(level, idx)``: leaves ``[idx·2^level, (idx+1)·2^level)``."""

    __tablename__ = "audit_node"
    __table_args__ = ({"sqlite_with_rowid": False},)

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    """The one row holding the tree size; appenders lock it, which orders their entries."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


class AuditCheckpoint(Base):
    """A signed statement of (tree size, root hash, time): what a witness keeps."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)


class AuditCosignature(Base):
    """A witness's countersignature of a checkpoint (C2SP tlog-cosignature), append-only
    like the checkpoint itself (migration 0015). Like a checkpoint it is a signed statement
    *about* the log, so it is not an entry in it: its signature, under the witness's key
    that only the witness holds, is what vouches for it."""

    __tablename__ = "audit_cosignature"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("audit_checkpoint.id"), index=True)
    witness: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The signature line as it is appended to the checkpoint note ("— name base64").
    signature: Mapped[str] = mapped_column(Text)
