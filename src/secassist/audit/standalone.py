"""Checking a proof with no database: what a witness or an overseer runs.

Inputs are what the log hands out — a proof document (``secassist audit prove-…`` or
``GET /api/v1/audit/proofs/…``), a signed checkpoint note and the log's public keys — and,
for consistency proofs, optionally an older checkpoint the witness kept. Nothing here
touches a database: the checkpoint's signature vouches for the tree size and root, the
proof links the entry (or the older tree) to that root.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secassist.audit import checkpoint as cp
from secassist.audit import merkle
from secassist.audit.canonical import canonical
from secassist.audit.errors import ProofInvalidError
from secassist.audit.keys import TrustedKeys


def _int(doc: Mapping[str, Any], name: str) -> int:
    value = doc.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofInvalidError(f"proof field {name!r} must be a non-negative integer")
    return value


def _hash(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != merkle.HASH_SIZE:
        raise ProofInvalidError(f"{what} is not a {merkle.HASH_SIZE}-byte hex hash")
    return raw


def _hashes(doc: Mapping[str, Any], name: str) -> list[bytes]:
    value = doc.get(name)
    if not isinstance(value, list):
        raise ProofInvalidError(f"proof field {name!r} must be a list of hex hashes")
    return [_hash(h, f"{name}[{i}]") for i, h in enumerate(value)]


def verify_inclusion_document(proof: Mapping[str, Any], note: cp.Checkpoint) -> str:
    """Check an inclusion proof against a (signature-checked) checkpoint."""
    index = _int(proof, "leaf_index")
    size = _int(proof, "tree_size")
    leaf = _hash(proof.get("leaf_hash"), "leaf_hash")
    path = _hashes(proof, "path")
    entry = proof.get("entry")
    if not isinstance(entry, dict):
        raise ProofInvalidError("proof has no 'entry' document")
    if entry.get("seq") != index:
        raise ProofInvalidError(f"entry seq {entry.get('seq')!r} is not the proof's leaf index {index}")
    try:
        recomputed = merkle.leaf_hash(canonical(entry))
    except ValueError as exc:  # rfc8785 refuses values JSON cannot carry exactly
        raise ProofInvalidError(f"entry cannot be canonicalized: {exc}") from None
    if recomputed != leaf:
        raise ProofInvalidError(
            f"entry {index} does not hash to the proof's leaf_hash (the entry document was altered)"
        )
    if size != note.tree_size:
        raise ProofInvalidError(
            f"proof is for tree size {size} but the checkpoint is for tree size {note.tree_size}"
        )
    if "root_hash" in proof and _hash(proof["root_hash"], "root_hash") != note.root_hash:
        raise ProofInvalidError("proof's root_hash differs from the checkpoint's root hash")
    try:
        merkle.verify_inclusion(leaf, index, note.tree_size, path, note.root_hash)
    except merkle.ProofError as exc:
        raise ProofInvalidError(f"inclusion proof for entry {index} does not verify: {exc}") from None
    return f"entry {index} ({entry.get('tag')}) is in the log of {note.tree_size} entries"


def verify_consistency_document(
    proof: Mapping[str, Any], note: cp.Checkpoint, old_note: cp.Checkpoint | None = None
) -> str:
    """Check a consistency proof: its new tree is the checkpoint's; its old tree is the
    older checkpoint's when one is given."""
    old = _int(proof, "old_size")
    new = _int(proof, "new_size")
    old_root = _hash(proof.get("old_root"), "old_root")
    new_root = _hash(proof.get("new_root"), "new_root")
    hashes = _hashes(proof, "proof")
    if new != note.tree_size:
        raise ProofInvalidError(f"proof's new size {new} is not the checkpoint's tree size {note.tree_size}")
    if new_root != note.root_hash:
        raise ProofInvalidError("proof's new_root differs from the checkpoint's root hash")
    if old_note is not None:
        if old != old_note.tree_size:
            raise ProofInvalidError(
                f"proof's old size {old} is not the old checkpoint's tree size {old_note.tree_size}"
            )
        if old_root != old_note.root_hash:
            raise ProofInvalidError("proof's old_root differs from the old checkpoint's root hash")
    try:
        merkle.verify_consistency(old, new, old_root, new_root, hashes)
    except merkle.ProofError as exc:
        raise ProofInvalidError(f"consistency proof from {old} to {new} does not verify: {exc}") from None
    witnessed = "the kept checkpoint" if old_note is not None else "the proof's old root (unwitnessed)"
    return f"the log of {new} entries extends {witnessed} of {old} entries"


def verify_proof(
    proof: Mapping[str, Any],
    *,
    checkpoint_note: str,
    keys: TrustedKeys,
    old_checkpoint_note: str | None = None,
) -> str:
    """Verify a proof document against a signed checkpoint; returns a one-line summary.

    Each checkpoint is checked against the key its note names, which must be one of
    ``keys`` (a witness keeps the log's keys from before and after a rotation).

    Raises CheckpointError when a checkpoint's signature fails, ProofInvalidError when the
    proof is malformed or does not link to the checkpoint.
    """
    note = cp.verify(checkpoint_note, keys)
    old_note = cp.verify(old_checkpoint_note, keys) if old_checkpoint_note is not None else None
    kind = proof.get("type")
    if kind == "inclusion":
        if old_note is not None:
            raise ProofInvalidError("an old checkpoint only applies to consistency proofs")
        return verify_inclusion_document(proof, note)
    if kind == "consistency":
        return verify_consistency_document(proof, note, old_note)
    raise ProofInvalidError(f"proof type {kind!r} is neither 'inclusion' nor 'consistency'")
