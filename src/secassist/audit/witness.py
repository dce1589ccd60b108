"""Witnessing the log: an outside party keeps the last checkpoint it saw and countersigns
each newer one only after a consistency proof shows the log merely grew.

``audit verify`` trusts the checkpoints it finds in the database; whoever can rewrite the
database can delete them with the entries they covered, and the next routine checkpoint
then vouches for the rewritten log. A witness (congressional committee staff, an inspector
general) closes that gap with state kept *outside* the database:

1. its state file holds the last checkpoint it accepted (signed by the log's key);
2. for the log's latest checkpoint it checks the log's signature (with the log's public
   keys, which it keeps itself), the origin, that the tree did not shrink and that a
   checkpoint of the same size has the same root;
3. it asks the log for an RFC 9162 consistency proof from its size to the new one and
   checks it against the two *signed* roots — a log rewritten or truncated before the
   witnessed size cannot produce one;
4. it countersigns the new checkpoint with its own Ed25519 key in the C2SP
   tlog-cosignature format (``cosignature/v1``), and only then advances its state.

The witness's private key lives in its own key file (``init_key``), never in secassist's
key directory: its signature means something only while the log's operator cannot make it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from secassist.audit import checkpoint as cp
from secassist.audit import merkle, service
from secassist.audit.errors import CheckpointError, WitnessError
from secassist.audit.keys import TrustedKeys, raw_public
from secassist.audit.models import AuditCosignature
from secassist.core.clock import Clock, now
from secassist.core.errors import ConflictError, NotFoundError, ValidationFailedError

COSIGNATURE_ALG = b"\x04"  # C2SP signed-note algorithm byte for cosignature/v1 (Ed25519)
STATE_FORMAT = "secassist-witness-state"
KEY_FORMAT = "secassist-witness-key"


# --- the witness's own key --------------------------------------------------------------------------


@dataclass(frozen=True)
class WitnessKey:
    name: str
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> bytes:
        return cosignature_key_id(self.name, self.public)

    @property
    def verifier(self) -> str:
        """The public key as a signed-note verifier key (``name+hexid+base64(0x04‖key)``)."""
        blob = base64.b64encode(COSIGNATURE_ALG + raw_public(self.public)).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"


def cosignature_key_id(name: str, public: Ed25519PublicKey) -> bytes:
    """C2SP key id of a cosignature/v1 key: SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_ALG + raw_public(public)).digest()[:4]


def init_key(path: Path, name: str) -> WitnessKey:
    """Create a witness key file at ``path`` (readable by its owner only); refuses to
    replace one, since a witness's key is its identity."""
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise ValidationFailedError(
            f"witness name {name!r} must be non-empty, without spaces or '+'", field="name"
        )
    key = WitnessKey(name=name, private=Ed25519PrivateKey.generate())
    pem = key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConflictError(f"{path} already exists; a witness keeps its key") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"format": KEY_FORMAT, "name": name, "private_key": pem}, f, indent=2)
    return key


def load_key(path: Path) -> WitnessKey:
    """Read a witness key file made by :func:`init_key`."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != KEY_FORMAT:
            raise ValueError("not a witness key file")
        private = serialization.load_pem_private_key(doc["private_key"].encode(), password=None)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WitnessError(
            f"{path} is not a witness key file ({exc}); make one with `audit witness init`"
        ) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise WitnessError(f"{path} does not hold an Ed25519 key")
    return WitnessKey(name=str(doc["name"]), private=private)


# --- cosignatures -------------------------------------------------------------------------------------


def _signed_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, key: WitnessKey, at: datetime) -> str:
    """The cosignature line for a checkpoint ``body``: ``— name base64(id ‖ time ‖ sig)``,
    the time as big-endian seconds since the epoch (C2SP tlog-cosignature)."""
    timestamp = int(at.timestamp())
    sig = key.private.sign(_signed_message(body, timestamp))
    blob = base64.b64encode(key.key_id + timestamp.to_bytes(8, "big") + sig).decode()
    return f"{cp.SIG_PREFIX}{key.name} {blob}"


def verify_cosignature(line: str, body: str, name: str, public: Ed25519PublicKey) -> datetime:
    """Check a cosignature line over ``body`` by the witness ``name``; returns its time."""
    prefix = f"{cp.SIG_PREFIX}{name} "
    if not line.startswith(prefix):
        raise CheckpointError(f"not a cosignature line of witness {name}")
    try:
        raw = base64.b64decode(line[len(prefix) :], validate=True)
    except ValueError:
        raise CheckpointError("cosignature is not base64") from None
    if len(raw) != 4 + 8 + 64 or raw[:4] != cosignature_key_id(name, public):
        raise CheckpointError(f"cosignature is not by the key of witness {name}")
    timestamp = int.from_bytes(raw[4:12], "big")
    try:
        public.verify(raw[12:], _signed_message(body, timestamp))
    except InvalidSignature:
        raise CheckpointError("cosignature does not verify") from None
    return datetime.fromtimestamp(timestamp, UTC)


# --- the witness's state --------------------------------------------------------------------------------


def load_state(path: Path) -> cp.Checkpoint | None:
    """The checkpoint a witness last accepted (None when its state file does not exist)."""
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != STATE_FORMAT:
            raise ValueError(f"format is not {STATE_FORMAT}")
        return cp.parse(doc["checkpoint"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, CheckpointError) as exc:
        raise WitnessError(
            f"witness state {path} is unreadable ({exc}); restore it from your own copy"
        ) from None


def save_state(path: Path, note: str, at: datetime) -> None:
    """Replace the state file atomically: a crash leaves the old state or the new one."""
    staged = path.with_name(path.name + ".new")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": STATE_FORMAT, "checkpoint": note, "accepted_at": at.isoformat().replace("+00:00", "Z")}
    staged.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(staged, path)


# --- witnessing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Witnessed:
    """A checkpoint the witness accepted: the one it saw before (None on first use), the
    new one, and the note with the witness's cosignature appended."""

    previous: cp.Checkpoint | None
    checkpoint: cp.Checkpoint
    checkpoint_id: int
    cosigned_note: str
    cosignature: str


def check_consistency(session: Session, old: cp.Checkpoint | None, new: cp.Checkpoint) -> None:
    """Raise WitnessError unless the log behind ``new`` extends the one behind ``old``,
    using the signed sizes and roots and a consistency proof from the log's tree."""
    if old is None:
        return
    if new.origin != old.origin:
        raise WitnessError(
            f"the log's checkpoint names origin {new.origin!r}; this witness follows {old.origin!r}"
        )
    if new.tree_size < old.tree_size:
        raise WitnessError(
            f"the log shrank: this witness saw a signed checkpoint of {old.tree_size} entries, the log's "
            f"latest checkpoint has {new.tree_size} (entries were removed, or its checkpoints deleted)"
        )
    if old.tree_size == 0:
        return  # the empty tree is a prefix of every tree
    if new.tree_size == old.tree_size:
        if new.root_hash != old.root_hash:
            raise WitnessError(
                f"the log forked: two signed checkpoints of {old.tree_size} entries with different roots "
                "(the log was rewritten)"
            )
        return
    try:
        proof = service.consistency_proof(session, old.tree_size, new.tree_size)
        hashes = [bytes.fromhex(h) for h in proof["proof"]]
        merkle.verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, hashes)
    except (merkle.ProofError, ValidationFailedError, NotFoundError) as exc:
        raise WitnessError(
            f"the log of {new.tree_size} entries is not an extension of the one this witness saw at "
            f"{old.tree_size} entries ({exc}): entries before {old.tree_size} were rewritten or removed"
        ) from None


def witness(
    session: Session,
    *,
    state: Path,
    key: WitnessKey,
    log_keys: TrustedKeys,
    store: bool = True,
    clock: Clock | None = None,
) -> Witnessed:
    """Check the log's latest checkpoint against the witness's state and countersign it
    (stored in ``audit_cosignature`` when ``store``). Never commits and never writes the
    state file: the caller saves it (:func:`save_state`) once the cosignature is committed.

    Raises WitnessError naming what does not hold.
    """
    previous = load_state(state)
    try:
        row = cp.latest(session)
    except NotFoundError:
        if previous is not None:
            raise WitnessError(
                f"the log has no signed checkpoint, but this witness saw one of {previous.tree_size} "
                "entries: its checkpoints were deleted"
            ) from None
        raise
    try:
        new = cp.verify(row.note, log_keys)
    except CheckpointError as exc:
        raise WitnessError(
            f"the log's latest checkpoint is not signed by the log's key: {exc.message}"
        ) from None
    check_consistency(session, previous, new)
    at = now(clock)
    line = cosign(new.body, key, at)
    if store:
        session.add(
            AuditCosignature(
                checkpoint_id=row.id, witness=key.name, key_id=key.key_id.hex(), at=at, signature=line
            )
        )
        session.flush()
    return Witnessed(
        previous=previous,
        checkpoint=new,
        checkpoint_id=row.id,
        cosigned_note=row.note.rstrip("\n") + "\n" + line + "\n",
        cosignature=line,
    )
