"""Signed checkpoints in the C2SP signed-note / tlog-checkpoint text format.

A checkpoint says "the log had N entries with root hash R at time T", signed with the
log's Ed25519 key. Anyone can keep the text as a witness and later check, with only the
public key, that a proof or a newer checkpoint is consistent with it.

Body (each line ends with a newline)::

    <origin>
    <tree size>
    <base64 root hash>
    time <RFC 3339 UTC>

then a blank line and ``— <key name> <base64(key id ‖ signature)>``, where the key id is
the first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), as in C2SP signed-note.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit import service
from secassist.audit.errors import CheckpointError as CheckpointError
from secassist.audit.models import AuditCheckpoint
from secassist.core.clock import Clock, SystemClock
from secassist.core.config import Settings
from secassist.core.errors import ConfigurationError, NotFoundError

ED25519_ALG = b"\x01"
SIG_PREFIX = "\u2014 "  # em dash and space, as in signed notes


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    time: str
    key_name: str
    key_id: bytes
    signature: bytes
    body: str


def key_path(settings: Settings) -> Path:
    """Where the signing key lives: SECASSIST_AUDIT_KEY_PATH or <data_dir>/audit-signing-key.pem."""
    return settings.audit_key_path or settings.data_dir / "audit-signing-key.pem"


def load_signing_key(settings: Settings, *, create: bool | None = None) -> Ed25519PrivateKey:
    """The log's signing key. Created on first use in development only."""
    path = key_path(settings)
    if not path.exists():
        if create is False or (create is None and settings.is_production):
            raise ConfigurationError(
                f"audit signing key {path} does not exist; in production provision it "
                "(SECASSIST_AUDIT_KEY_PATH) before signing checkpoints"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return key
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"audit signing key {path} is not a PEM private key: {exc}") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigurationError(f"audit signing key {path} is not an Ed25519 key")
    return loaded


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    """C2SP signed-note key id: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_ALG + raw_public(public)).digest()[:4]


def verifier_key(name: str, public: Ed25519PublicKey) -> str:
    """The public key as a signed-note verifier key: ``name+hexid+base64(0x01‖key)``."""
    return (
        f"{name}+{key_id(name, public).hex()}+{base64.b64encode(ED25519_ALG + raw_public(public)).decode()}"
    )


def public_pem(public: Ed25519PublicKey) -> str:
    """The public key as a PEM SubjectPublicKeyInfo block."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(text: str) -> tuple[Ed25519PublicKey, str | None]:
    """Read a PEM public key or a verifier-key string; returns the key and its name (if any)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise CheckpointError(f"public key is not valid PEM: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise CheckpointError("public key is not an Ed25519 key")
        return key, None
    try:
        name, hex_id, b64 = text.split("+", 2)  # the base64 key may itself contain "+"
        raw = base64.b64decode(b64, validate=True)
    except ValueError:
        raise CheckpointError("public key is neither PEM nor a name+id+key verifier string") from None
    if raw[:1] != ED25519_ALG or len(raw) != 33:
        raise CheckpointError("verifier key is not an Ed25519 key")
    key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, key).hex() != hex_id:
        raise CheckpointError("verifier key id does not match its key")
    return key, name


def render_body(origin: str, size: int, root_hash: bytes, at: datetime) -> str:
    """The signed text of a checkpoint: origin, size, base64 root, time."""
    stamp = at.isoformat().replace("+00:00", "Z")
    return f"{origin}\n{size}\n{base64.b64encode(root_hash).decode()}\ntime {stamp}\n"


def sign(body: str, key: Ed25519PrivateKey, name: str) -> str:
    """Append an Ed25519 signature line to ``body``, making a signed note."""
    sig = key.sign(body.encode())
    blob = base64.b64encode(key_id(name, key.public_key()) + sig).decode()
    return f"{body}\n{SIG_PREFIX}{name} {blob}\n"


def parse(note: str) -> Checkpoint:
    """Parse a checkpoint note (no signature check)."""
    body, sep, sigs = note.partition("\n\n")
    if not sep or not sigs:
        raise CheckpointError("checkpoint has no signature block")
    body += "\n"
    lines = body.splitlines()
    if len(lines) < 3:
        raise CheckpointError("checkpoint body needs origin, size and root hash lines")
    origin, size_text, root_b64 = lines[0], lines[1], lines[2]
    time_line = next((line[5:] for line in lines[3:] if line.startswith("time ")), "")
    if not size_text.isascii() or not size_text.isdigit():
        raise CheckpointError(f"checkpoint tree size {size_text!r} is not a number")
    try:
        root_hash = base64.b64decode(root_b64, validate=True)
    except ValueError:
        raise CheckpointError("checkpoint root hash is not base64") from None
    if len(root_hash) != 32:
        raise CheckpointError("checkpoint root hash is not 32 bytes")
    if base64.b64encode(root_hash).decode() != root_b64:
        raise CheckpointError("checkpoint root hash is not canonical base64")
    first = sigs.splitlines()[0]
    if not first.startswith(SIG_PREFIX):
        raise CheckpointError("checkpoint signature line does not start with an em dash")
    try:
        name, blob = first[len(SIG_PREFIX) :].split(" ")
        raw = base64.b64decode(blob, validate=True)
    except ValueError:
        raise CheckpointError("checkpoint signature line is malformed") from None
    if base64.b64encode(raw).decode() != blob:  # unused padding bits set: one note, one text
        raise CheckpointError("checkpoint signature line is not canonical base64")
    if len(raw) != 4 + 64:
        raise CheckpointError("checkpoint signature has the wrong length")
    return Checkpoint(
        origin=origin,
        tree_size=int(size_text),
        root_hash=root_hash,
        time=time_line,
        key_name=name,
        key_id=raw[:4],
        signature=raw[4:],
        body=body,
    )


def verify(note: str, public: Ed25519PublicKey) -> Checkpoint:
    """Parse and check the signature; raises CheckpointError unless it holds."""
    cp = parse(note)
    if cp.key_id != key_id(cp.key_name, public):
        raise CheckpointError(f"checkpoint was signed by key {cp.key_id.hex()}, not by the key given")
    try:
        public.verify(cp.signature, cp.body.encode())
    except InvalidSignature:
        raise CheckpointError("checkpoint signature does not verify") from None
    return cp


def create(session: Session, *, settings: Settings, clock: Clock | None = None) -> AuditCheckpoint:
    """Sign and store a checkpoint of the log as it stands in ``session``. Never commits."""
    key = load_signing_key(settings)
    size = service.tree_size(session)
    root_hash = service.root(session, size)
    at = (clock or SystemClock()).now()
    note = sign(render_body(settings.audit_origin, size, root_hash, at), key, settings.audit_origin)
    row = AuditCheckpoint(
        tree_size=size,
        root_hash=root_hash,
        at=at,
        key_id=key_id(settings.audit_origin, key.public_key()).hex(),
        note=note,
    )
    session.add(row)
    session.flush()
    return row


def latest(session: Session) -> AuditCheckpoint:
    """The most recently signed checkpoint, or NotFoundError when none has been signed."""
    row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    if row is None:
        raise NotFoundError("no checkpoint has been signed yet; run `secassist audit checkpoint`")
    return row


def all_checkpoints(session: Session) -> list[AuditCheckpoint]:
    """Every stored checkpoint, oldest first."""
    return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
