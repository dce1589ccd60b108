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
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from secassist.audit import keys, service
from secassist.audit.errors import CheckpointError
from secassist.audit.keys import TrustedKeys, key_id
from secassist.audit.models import AuditCheckpoint
from secassist.core.clock import Clock, SystemClock
from secassist.core.config import Settings
from secassist.core.errors import NotFoundError

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


def verify(note: str, trusted: Ed25519PublicKey | TrustedKeys) -> Checkpoint:
    """Parse and check the signature against the key the note names, which must be one of
    ``trusted`` (a single key, or a set whose dated keys must have been in service at the
    note's time); raises CheckpointError unless it holds."""
    if isinstance(trusted, Ed25519PublicKey):
        trusted = TrustedKeys.given([trusted])
    cp = parse(note)
    key = trusted.find(cp.key_name, cp.key_id)
    if key is None:
        raise CheckpointError(
            f"checkpoint was signed by key {cp.key_name}+{cp.key_id.hex()}, not by {trusted.source}"
        )
    try:
        key.public.verify(cp.signature, cp.body.encode())
    except InvalidSignature:
        raise CheckpointError("checkpoint signature does not verify") from None
    if key.signed_from is not None or key.signed_until is not None:
        at = _note_time(cp)
        if not key.covers(at):
            until = "now" if key.signed_until is None else keys.stamp(key.signed_until)
            raise CheckpointError(
                f"checkpoint is dated {cp.time} but key {cp.key_name}+{cp.key_id.hex()} signed "
                f"only from {keys.stamp(key.signed_from)} until {until} ({trusted.source})"
            )
    return cp


def _note_time(cp: Checkpoint) -> datetime:
    try:
        at = datetime.fromisoformat(cp.time)
    except ValueError:
        raise CheckpointError(f"checkpoint time {cp.time!r} is not an RFC 3339 time") from None
    if at.tzinfo is None:
        raise CheckpointError(f"checkpoint time {cp.time!r} has no time zone")
    return at.astimezone(UTC)


def create(session: Session, *, settings: Settings, clock: Clock | None = None) -> AuditCheckpoint:
    """Sign and store a checkpoint of the log as it stands in ``session``. Never commits.

    The first checkpoint in development makes the database's first key (see
    :mod:`secassist.audit.keys`); in production the key is provisioned first with
    ``secassist audit init-key``.
    """
    clock = clock or SystemClock()
    signer = keys.signing_key(settings, create=True, clock=clock)
    size = service.tree_size(session)
    root_hash = service.root(session, size)
    at = clock.now()
    note = sign(render_body(settings.audit_origin, size, root_hash, at), signer.private, signer.name)
    row = AuditCheckpoint(
        tree_size=size,
        root_hash=root_hash,
        at=at,
        key_id=key_id(signer.name, signer.private.public_key()).hex(),
        note=note,
    )
    session.add(row)
    session.flush()
    return row


def any_signed(session: Session) -> bool:
    """Whether any checkpoint has been signed (a fresh install has none, and needs no key)."""
    return bool(session.scalar(select(exists().where(AuditCheckpoint.id.is_not(None)))))


def latest(session: Session) -> AuditCheckpoint:
    """The most recently signed checkpoint, or NotFoundError when none has been signed."""
    row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    if row is None:
        raise NotFoundError("no checkpoint has been signed yet; run `secassist audit checkpoint`")
    return row


def all_checkpoints(session: Session) -> list[AuditCheckpoint]:
    """Every stored checkpoint, oldest first."""
    return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
