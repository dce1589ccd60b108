"""What a browser needs to check an audit entry's inclusion itself (issue #15: "verify an
audit inclusion proof against the signed checkpoint with a small script, so an auditor
need not trust the server's 'verified'").

For an entry inside the latest signed checkpoint's tree this gathers the RFC 9162 inclusion
proof *at that checkpoint's size* (so the path folds up to the root the checkpoint signs),
the checkpoint's signed note (C2SP signed-note: the script checks its Ed25519 signature and
reads size and root from the signed text, not from anything else the server says), and the
published verifier key of the key that signed it. The page lets the reader replace that key
with the one they hold. ``web/static/verify.js`` does the checking.

The entry's content goes along only to a reader who may read the entry whole
(:func:`secassist.identity.policy.may_read_audit_entry`); the script then recomputes the leaf
hash from it (RFC 8785 canonical JSON). Anyone else gets the leaf hash alone, as the API gives
them, and the script says the check started from the leaf hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from secassist.audit import checkpoint as cp
from secassist.audit import service as audit_service
from secassist.audit.canonical import canonical
from secassist.audit.keys import find_trusted
from secassist.audit.models import AuditCheckpoint
from secassist.core.config import Settings
from secassist.core.errors import SecassistError
from secassist.identity.policy import Principal, may_read_audit_entry

# Who may be handed a checkpoint and proofs: the log's readers and its witnesses.
MAY_CHECK = ("audit:read", "checkpoint:read")


@dataclass(frozen=True)
class Signed:
    """The latest signed checkpoint and the published key that signed it ("" when the key
    directory names no such key: the script then asks for one)."""

    row: AuditCheckpoint
    verifier_key: str


@dataclass(frozen=True)
class BrowserProof:
    """One entry's inclusion proof in a signed checkpoint's tree, for the browser to check."""

    seq: int
    tree_size: int
    leaf_hash: str
    path: tuple[str, ...]
    entry: str | None  # the entry's canonical JSON, when the reader may read it whole
    note: str
    verifier_key: str

    def data(self) -> str:
        """The proof as the JSON the page hands to ``verify.js`` (in a data attribute)."""
        return json.dumps(
            {
                "leaf_index": self.seq,
                "tree_size": self.tree_size,
                "leaf_hash": self.leaf_hash,
                "path": list(self.path),
                "entry": self.entry,
                "note": self.note,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )


def may_check(p: Principal) -> bool:
    return any(perm in p.permissions for perm in MAY_CHECK)


def signed_checkpoint(session: Session, settings: Settings | None) -> Signed | None:
    """The latest signed checkpoint with its signer's published verifier key (None: none
    signed yet)."""
    if not cp.any_signed(session):
        return None
    row = cp.latest(session)
    key = ""
    try:
        trusted = find_trusted(settings) if settings is not None else None
        note = cp.parse(row.note)
        found = trusted.find(note.key_name, note.key_id) if trusted is not None else None
        key = found.verifier if found is not None and found.name is not None else ""
    except SecassistError:
        key = ""  # no key directory here: the reader supplies the key they hold
    return Signed(row, key)


def browser_proofs(
    session: Session, *, actor: Principal, seqs: Iterable[int], signed: Signed
) -> dict[int, BrowserProof]:
    """Each of ``seqs`` inside the checkpoint's tree, with its proof at that size; entries
    appended after the checkpoint are left out (no signed root covers them yet)."""
    size = signed.row.tree_size
    out: dict[int, BrowserProof] = {}
    for seq in sorted({s for s in seqs if 0 <= s < size}):
        doc = audit_service.inclusion_proof(session, seq, size)
        entry = doc["entry"]
        tables = frozenset(str(r["table"]) for r in entry["payload"]["rows"])
        readable = may_read_audit_entry(actor, entry["subject"]["type"], tables)
        out[seq] = BrowserProof(
            seq=seq,
            tree_size=size,
            leaf_hash=doc["leaf_hash"],
            path=tuple(doc["path"]),
            entry=canonical(entry).decode() if readable else None,
            note=signed.row.note,
            verifier_key=signed.verifier_key,
        )
    return out
