"""The log's signing keys: where they live, which ones are trusted, and rotation.

Keys belong to a database, not to a working directory. The *key directory* is

- ``SECASSIST_AUDIT_KEY_PATH`` when set (a directory; required in production, for
  PostgreSQL and for an in-memory SQLite database), otherwise
- for a SQLite file database, ``<database file>-audit-keys/`` beside the file (as SQLite
  keeps its ``-wal`` and ``-shm`` files), so every command that opens the database finds
  the same keys from any working directory.

It holds two kinds of file:

- ``trusted-keys.json`` — the public keys whose checkpoints ``audit verify`` accepts, each
  as a C2SP signed-note verifier key with the time it signed from and (once retired) the
  time it signed until. It is public and lives outside the database on purpose: whoever
  can rewrite the database must not be able to vouch for their own key.
- ``signing-key-<key id>.pem`` — the private key of the current (unretired) key, readable
  by its owner only. Retiring a key deletes its private key, so it can sign nothing more.

Only a command that signs creates a key (``audit init-key``, or the first ``audit
checkpoint`` in development); reading commands never do, and a missing key is a
ConfigurationError naming the path expected.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from secassist.audit.errors import CheckpointError
from secassist.core.clock import Clock, SystemClock
from secassist.core.config import Settings
from secassist.core.errors import ConfigurationError, ConflictError

ED25519_ALG = b"\x01"
TRUSTED_FILE = "trusted-keys.json"
KEY_DIR_SUFFIX = "-audit-keys"
SETTING = "SECASSIST_AUDIT_KEY_PATH"


# --- key ids and the two public forms --------------------------------------------------------


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


# --- the trusted set ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedKey:
    """A public key whose checkpoints are accepted, with the times it signed between
    (None: unbounded — a key given on the command line carries no dates)."""

    public: Ed25519PublicKey
    name: str | None = None
    signed_from: datetime | None = None
    signed_until: datetime | None = None

    def matches(self, name: str, kid: bytes) -> bool:
        """Whether a note's signature line (key name and id) names this key."""
        return (self.name is None or self.name == name) and key_id(name, self.public) == kid

    def covers(self, at: datetime) -> bool:
        """Whether this key was in service at ``at``."""
        return (self.signed_from is None or self.signed_from <= at) and (
            self.signed_until is None or at <= self.signed_until
        )

    @property
    def verifier(self) -> str:
        assert self.name is not None, "a trusted key from the key directory always has a name"
        return verifier_key(self.name, self.public)


@dataclass(frozen=True)
class TrustedKeys:
    """The keys a verifier accepts, and where they came from (named in error messages)."""

    keys: tuple[TrustedKey, ...]
    source: str

    @classmethod
    def given(cls, publics: Iterable[Ed25519PublicKey]) -> TrustedKeys:
        """Keys handed over directly (``--public-key``): trusted at any time, under any name."""
        keys = tuple(TrustedKey(public=p) for p in publics)
        return cls(keys=keys, source="the key given" if len(keys) == 1 else "any of the keys given")

    @classmethod
    def none(cls) -> TrustedKeys:
        """No key at all: enough for a log with no checkpoint (a fresh install)."""
        return cls(keys=(), source="any trusted key (none are configured)")

    def find(self, name: str, kid: bytes) -> TrustedKey | None:
        return next((k for k in self.keys if k.matches(name, kid)), None)

    @property
    def current(self) -> TrustedKey | None:
        """The key that signs now: the one not retired (None when every key is retired)."""
        return next((k for k in self.keys if k.signed_until is None and k.name is not None), None)


# --- the key directory ----------------------------------------------------------------------------


def key_dir(settings: Settings) -> Path:
    """The directory holding this database's keys (see the module docstring)."""
    if settings.audit_key_path is not None:
        path = settings.audit_key_path.expanduser().absolute()
        if path.exists() and not path.is_dir():
            raise ConfigurationError(
                f"{SETTING} {path} is a file; it must name a directory (it holds {TRUSTED_FILE} "
                "and the signing key)"
            )
        return path
    if settings.is_production:
        raise ConfigurationError(f"{SETTING} is not set; in production set it to the audit key directory")
    database = _sqlite_file(settings.database_url)
    if database is None:
        raise ConfigurationError(
            f"{SETTING} is not set; the audit keys of a database that is not a SQLite file "
            "live in the directory it names"
        )
    return database.with_name(database.name + KEY_DIR_SUFFIX)


def _sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, absolute; None for anything else or in-memory."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(f"SECASSIST_DATABASE_URL is not a database URL: {url!r}") from None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or parsed.query.get("mode") == "memory":
        return None
    return Path(database).expanduser().absolute()


def trusted_path(settings: Settings) -> Path:
    return key_dir(settings) / TRUSTED_FILE


def _private_path(directory: Path, key: TrustedKey) -> Path:
    assert key.name is not None
    return directory / f"signing-key-{key_id(key.name, key.public).hex()}.pem"


def stamp(at: datetime | None) -> str | None:
    """A time as RFC 3339 UTC text (None stays None), as the trusted-keys file writes it."""
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ConfigurationError(f"{where} is not an RFC 3339 UTC time")
    return at.astimezone(UTC)


def _parse_trusted(path: Path, text: str) -> TrustedKeys:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path} is not JSON: {exc}") from None
    entries = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(f"{path}: expected an object with a 'keys' list")
    keys = []
    for i, entry in enumerate(entries):
        where = f"{path}: keys[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise ConfigurationError(f"{where}: expected an object with a verifier 'key' string")
        try:
            public, name = load_public_key(entry["key"])
        except CheckpointError as exc:
            raise ConfigurationError(f"{where}.key: {exc.message}") from None
        if name is None:
            raise ConfigurationError(f"{where}.key: expected a name+id+key verifier string")
        keys.append(
            TrustedKey(
                public=public,
                name=name,
                signed_from=_time(entry.get("from"), f"{where}.from"),
                signed_until=_time(entry.get("until"), f"{where}.until"),
            )
        )
    if sum(1 for k in keys if k.signed_until is None) > 1:
        raise ConfigurationError(f"{path}: more than one key is current (has no 'until')")
    return TrustedKeys(keys=tuple(keys), source=f"the trusted keys in {path}")


def find_trusted(settings: Settings) -> TrustedKeys | None:
    """The trusted set of this database's key directory; None when it has none yet."""
    path = trusted_path(settings)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return _parse_trusted(path, text)


def load_trusted(settings: Settings) -> TrustedKeys:
    """The trusted set; a ConfigurationError naming the file when there is none."""
    trusted = find_trusted(settings)
    if trusted is None:
        raise ConfigurationError(
            f"audit key file {trusted_path(settings)} does not exist; run `secassist audit init-key` "
            f"(or point {SETTING} at the directory holding this database's keys)"
        )
    return trusted


def current_key(settings: Settings) -> TrustedKey:
    """The key that signs now; a ConfigurationError naming the file when there is none."""
    trusted = load_trusted(settings)
    current = trusted.current
    if current is None:
        raise ConfigurationError(
            f"every key in {trusted_path(settings)} is retired; run `secassist audit rotate-key`"
        )
    return current


def _render_trusted(keys: Iterable[TrustedKey]) -> str:
    doc = {
        "comment": "Public keys whose audit checkpoints `secassist audit verify` accepts. "
        "Keep a copy outside the database's host.",
        "keys": [
            {"key": k.verifier, "from": stamp(k.signed_from), "until": stamp(k.signed_until)} for k in keys
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


# --- signing keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """The current key's private half and its name in signed notes."""

    name: str
    private: Ed25519PrivateKey


def signing_key(settings: Settings, *, create: bool = False, clock: Clock | None = None) -> SigningKey:
    """The current signing key. When the key directory has none and ``create`` is true
    (a signing command in development), the first key is made."""
    if create and not settings.is_production and find_trusted(settings) is None:
        with contextlib.suppress(ConflictError):  # another command made it meanwhile
            init_key(settings, clock=clock)
    current = current_key(settings)
    directory = key_dir(settings)
    assert current.name is not None
    if current.name != settings.audit_origin:
        raise ConfigurationError(
            f"the current audit key is named {current.name!r} but SECASSIST_AUDIT_ORIGIN is "
            f"{settings.audit_origin!r}; run `secassist audit rotate-key` to start a key for the new origin"
        )
    path = _private_path(directory, current)
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise ConfigurationError(f"audit signing key {path} (the current key) does not exist") from None
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"audit signing key {path} is not a PEM private key: {exc}") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigurationError(f"audit signing key {path} is not an Ed25519 key")
    if raw_public(loaded.public_key()) != raw_public(current.public):
        raise ConfigurationError(f"audit signing key {path} is not the current key of {TRUSTED_FILE}")
    return SigningKey(name=current.name, private=loaded)


def _write_private(directory: Path, key: TrustedKey, private: Ed25519PrivateKey) -> Path:
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = _private_path(directory, key)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return path


def _staged(directory: Path, keys: Iterable[TrustedKey]) -> Path:
    """The trusted set written to a temporary file beside its final name."""
    tmp = directory / f".{TRUSTED_FILE}.{os.getpid()}.tmp"
    tmp.write_text(_render_trusted(keys), encoding="utf-8")
    return tmp


def _new_key(settings: Settings, at: datetime) -> tuple[TrustedKey, Ed25519PrivateKey]:
    private = Ed25519PrivateKey.generate()
    return TrustedKey(public=private.public_key(), name=settings.audit_origin, signed_from=at), private


def init_key(settings: Settings, *, clock: Clock | None = None) -> TrustedKey:
    """Create the key directory's first key; a ConflictError when it already has keys."""
    directory = key_dir(settings)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = directory / TRUSTED_FILE
    if target.exists():
        raise ConflictError(f"{target} already exists; use `secassist audit rotate-key` for a new key")
    key, private = _new_key(settings, (clock or SystemClock()).now())
    private_file = _write_private(directory, key, private)
    tmp = _staged(directory, [key])
    try:
        # Linking refuses an existing name: of two commands creating the first key at
        # once, one wins and the other's key is discarded before anyone trusts it.
        os.link(tmp, target)
    except FileExistsError:
        private_file.unlink()
        raise ConflictError(f"{target} was created meanwhile; use its key") from None
    finally:
        tmp.unlink()
    return key


def rotate_key(settings: Settings, *, clock: Clock | None = None) -> tuple[TrustedKey, TrustedKey]:
    """Retire the current key (it signed until now; its private key is deleted) and start
    a new one; returns (retired, new). Checkpoints the retired key signed keep verifying."""
    trusted = load_trusted(settings)
    current = current_key(settings)
    directory = key_dir(settings)
    at = (clock or SystemClock()).now()
    if current.signed_from is not None and at < current.signed_from:
        raise ConflictError(f"the current key signs from {stamp(current.signed_from)}, after now")
    retired = TrustedKey(
        public=current.public, name=current.name, signed_from=current.signed_from, signed_until=at
    )
    new, private = _new_key(settings, at)
    _write_private(directory, new, private)
    keys = [retired if k.signed_until is None else k for k in trusted.keys] + [new]
    # The rename is the moment of rotation; a crash before it leaves an unused private
    # key file, after it a retired one, neither of which is trusted to sign.
    os.replace(_staged(directory, keys), directory / TRUSTED_FILE)
    with contextlib.suppress(FileNotFoundError):
        _private_path(directory, current).unlink()
    return retired, new
