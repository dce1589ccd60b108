"""Read shapes of the audit log: entries, proofs, checkpoints and the public key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class EntrySummary(BaseModel):
    """One entry in the list. Past the reader's scope (``redacted``) the actor, subject id
    and row count are null: the tag, time and subject kind remain."""

    seq: int
    at: datetime
    actor: str | None
    actor_user_id: int | None
    actor_org_id: int | None
    tag: str
    subject_type: str
    subject_id: str | None
    rows: int | None
    redacted: bool


class EntryPage(BaseModel):
    items: list[EntrySummary]
    next_after: int | None  # pass as ``after`` for the next page; null on the last page


class InclusionProof(BaseModel):
    type: str
    leaf_index: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root_hash: str
    entry: dict[str, Any]  # the entry document, as hashed (RFC 8785 JSON)


class ConsistencyProof(BaseModel):
    type: str
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]


class CheckpointOut(BaseModel):
    id: int
    tree_size: int
    root_hash: str
    at: datetime
    key_id: str
    note: str


class PublicKeyOut(BaseModel):
    origin: str
    key_id: str
    pem: str
    verifier_key: str


class WitnessView(BaseModel):
    """What a witness fetches: the latest signed checkpoint and the consistency proof from
    the size it kept (null when it kept none, or when the log is now shorter: refuse it)."""

    checkpoint: CheckpointOut
    proof: ConsistencyProof | None
