"""The audit keys: a directory tied to the database, created only by signing, rotated
with the retired keys still trusted for what they signed, and nothing else trusted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit import keys, service
from secassist.audit.errors import CheckpointError
from secassist.audit.models import AuditCheckpoint
from secassist.audit.service import SYSTEM, record
from secassist.audit.standalone import verify_proof
from secassist.audit.verify import verify_log
from secassist.core.clock import FixedClock
from secassist.core.config import Settings
from secassist.core.errors import ConfigurationError, ConflictError
from secassist.storage.uow import read_only, unit_of_work

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _dev(url: str, **extra: object) -> Settings:
    return Settings(database_url=url, env="development", **extra)


# --- where the keys live --------------------------------------------------------------------------


def test_sqlite_keys_live_beside_the_database_file_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    absolute = _dev(f"sqlite:///{tmp_path}/data/x.db")
    relative = _dev("sqlite:///../data/x.db")
    assert keys.key_dir(absolute) == tmp_path / "data" / "x.db-audit-keys"
    assert keys.key_dir(relative).resolve() == (tmp_path / "data" / "x.db-audit-keys").resolve()
    monkeypatch.chdir(tmp_path)
    assert keys.key_dir(absolute) == tmp_path / "data" / "x.db-audit-keys"  # cwd does not matter
    explicit = _dev("sqlite:///x.db", audit_key_path=tmp_path / "k")
    assert keys.key_dir(explicit) == tmp_path / "k"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://u@127.0.0.1:5432/secassist",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:mem?mode=memory&uri=true",
    ],
)
def test_other_databases_need_an_explicit_key_directory(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SECASSIST_AUDIT_KEY_PATH is not set"):
        keys.key_dir(_dev(url))
    assert keys.key_dir(_dev(url, audit_key_path=tmp_path / "k")) == tmp_path / "k"


def test_production_needs_an_explicit_key_directory_and_a_directory_it_must_be(tmp_path: Path) -> None:
    prod = Settings(env="production", secret_key="x" * 40, database_url=f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(ConfigurationError, match="SECASSIST_AUDIT_KEY_PATH is not set; in production"):
        keys.key_dir(prod)
    (tmp_path / "file").write_text("not a directory", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"SECASSIST_AUDIT_KEY_PATH .*file is a file"):
        keys.key_dir(_dev(f"sqlite:///{tmp_path}/x.db", audit_key_path=tmp_path / "file"))


# --- who creates a key ---------------------------------------------------------------------------


def test_reading_never_creates_a_key_and_names_the_path(tmp_path: Path) -> None:
    s = _dev(f"sqlite:///{tmp_path}/x.db")
    expected = tmp_path / "x.db-audit-keys" / "trusted-keys.json"
    for read in (keys.load_trusted, keys.current_key, keys.signing_key):
        with pytest.raises(ConfigurationError) as exc:
            read(s)
        assert str(expected) in exc.value.message
        assert "secassist audit init-key" in exc.value.message
    assert keys.find_trusted(s) is None
    assert not expected.parent.exists()


def test_the_first_signature_in_development_makes_the_key(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with unit_of_work(session_factory) as s:
        row = cp.create(s, settings=settings, clock=FixedClock(T0))
    directory = keys.key_dir(settings)
    assert directory.stat().st_mode & 0o077 == 0
    current = keys.current_key(settings)
    assert (current.name, current.signed_from, current.signed_until) == (settings.audit_origin, T0, None)
    assert row.key_id == keys.key_id(settings.audit_origin, current.public).hex()
    (private,) = directory.glob("signing-key-*.pem")
    assert private.name == f"signing-key-{row.key_id}.pem"
    assert private.stat().st_mode & 0o077 == 0  # readable by its owner only
    doc = json.loads((directory / "trusted-keys.json").read_text(encoding="utf-8"))
    assert doc["keys"] == [{"key": current.verifier, "from": "2026-03-01T12:00:00Z", "until": None}]
    with read_only(session_factory) as s:
        report = verify_log(s, keys=keys.load_trusted(settings))
    assert report.ok, report.problems
    assert report.checkpoints == 1


def test_production_signs_only_with_a_provisioned_key(tmp_path: Path) -> None:
    prod = Settings(
        env="production",
        secret_key="x" * 40,
        database_url=f"sqlite:///{tmp_path}/x.db",
        audit_key_path=tmp_path / "keys",
    )
    with pytest.raises(ConfigurationError, match="run `secassist audit init-key`"):
        keys.signing_key(prod, create=True)
    assert not (tmp_path / "keys").exists()
    made = keys.init_key(prod)
    assert keys.signing_key(prod).name == made.name
    with pytest.raises(ConflictError, match="already exists; use `secassist audit rotate-key`"):
        keys.init_key(prod)
    assert len(list((tmp_path / "keys").glob("signing-key-*.pem"))) == 1


# --- rotation -------------------------------------------------------------------------------------


def _checkpoint(factory: sessionmaker[Session], settings: Settings, at: datetime) -> str:
    with unit_of_work(factory) as s:
        record(s, actor=SYSTEM, tag="test:thing:happened", subject_type="thing", subject_id=at.isoformat())
        return cp.create(s, settings=settings, clock=FixedClock(at)).note


def _verify(factory: sessionmaker[Session], trusted: keys.TrustedKeys) -> list[str]:
    with read_only(factory) as s:
        return verify_log(s, keys=trusted).problems


def test_checkpoints_verify_across_a_rotation(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    old_note = _checkpoint(session_factory, settings, T0)
    old_private = keys.signing_key(settings).private
    retired, new = keys.rotate_key(settings, clock=FixedClock(T0 + timedelta(days=30)))
    new_note = _checkpoint(session_factory, settings, T0 + timedelta(days=31))

    assert retired.signed_until == new.signed_from == T0 + timedelta(days=30)
    trusted = keys.load_trusted(settings)
    assert [(k.verifier, k.signed_until) for k in trusted.keys] == [
        (retired.verifier, T0 + timedelta(days=30)),
        (new.verifier, None),
    ]
    assert trusted.current == new
    assert keys.signing_key(settings).private.public_key().public_bytes_raw() == new.public.public_bytes_raw()
    # The retired private key is gone: it can sign nothing more.
    (private,) = keys.key_dir(settings).glob("signing-key-*.pem")
    assert private.name == f"signing-key-{keys.key_id(new.name or '', new.public).hex()}.pem"
    assert _verify(session_factory, trusted) == []

    # A witness holding both public keys checks a proof against either checkpoint.
    with read_only(session_factory) as s:
        proof = service.inclusion_proof(s, 0, cp.parse(old_note).tree_size)
    both = keys.TrustedKeys.given([old_private.public_key(), new.public])
    assert verify_proof(proof, checkpoint_note=old_note, keys=both).startswith("entry 0 ")
    with pytest.raises(CheckpointError, match="not by the key given"):
        verify_proof(proof, checkpoint_note=old_note, keys=keys.TrustedKeys.given([new.public]))
    assert cp.verify(new_note, new.public).tree_size == cp.parse(old_note).tree_size + 1


def test_a_checkpoint_by_a_key_outside_the_trusted_set_fails(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _checkpoint(session_factory, settings, T0)
    keys.rotate_key(settings, clock=FixedClock(T0 + timedelta(days=1)))
    _checkpoint(session_factory, settings, T0 + timedelta(days=2))
    path = keys.trusted_path(settings)
    doc = json.loads(path.read_text(encoding="utf-8"))
    retired = doc["keys"].pop(0)
    path.write_text(json.dumps(doc), encoding="utf-8")

    problems = _verify(session_factory, keys.load_trusted(settings))
    name, kid, _ = retired["key"].split("+", 2)
    assert problems == [
        f"checkpoint 1: checkpoint was signed by key {name}+{kid}, not by the trusted keys in {path}"
    ]


def test_a_retired_key_cannot_vouch_for_a_later_checkpoint(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _checkpoint(session_factory, settings, T0)
    stolen = keys.signing_key(settings)
    keys.rotate_key(settings, clock=FixedClock(T0 + timedelta(days=1)))
    later = T0 + timedelta(days=5)
    with unit_of_work(session_factory) as s:
        size = service.tree_size(s)
        root_hash = service.root(s, size)
        body = cp.render_body(settings.audit_origin, size, root_hash, later)
        note = cp.sign(body, stolen.private, stolen.name)
        kid = keys.key_id(stolen.name, stolen.private.public_key()).hex()
        s.add(AuditCheckpoint(tree_size=size, root_hash=root_hash, at=later, key_id=kid, note=note))
    (problem,) = _verify(session_factory, keys.load_trusted(settings))
    assert problem.startswith("checkpoint 2: checkpoint is dated 2026-03-06T12:00:00Z but key ")
    assert "signed only from 2026-03-01T12:00:00Z until 2026-03-02T12:00:00Z" in problem


def test_a_broken_trusted_keys_file_is_named_with_its_field(tmp_path: Path) -> None:
    s = _dev(f"sqlite:///{tmp_path}/x.db")
    keys.init_key(s, clock=FixedClock(T0))
    path = keys.trusted_path(s)
    good = json.loads(path.read_text(encoding="utf-8"))
    other = keys.verifier_key("secassist.local/audit", Ed25519PrivateKey.generate().public_key())
    for doc, fragment in [
        ("{", "is not JSON"),
        ({"keys": {}}, "expected an object with a 'keys' list"),
        ({"keys": [{"key": "nope"}]}, "keys[0].key: public key is neither PEM nor"),
        ({"keys": [{**good["keys"][0], "from": "yesterday"}]}, "keys[0].from is not an RFC 3339 UTC time"),
        ({"keys": [good["keys"][0], {"key": other, "from": None}]}, "more than one key is current"),
    ]:
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
        with pytest.raises(ConfigurationError) as exc:
            keys.load_trusted(s)
        assert str(path) in exc.value.message
        assert fragment in exc.value.message, exc.value.message


def test_a_private_key_that_is_not_the_current_one_is_refused(tmp_path: Path) -> None:
    s = _dev(f"sqlite:///{tmp_path}/x.db")
    keys.init_key(s)
    (private,) = keys.key_dir(s).glob("signing-key-*.pem")
    impostor = Ed25519PrivateKey.generate()
    private.write_bytes(
        impostor.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(ConfigurationError, match=r"is not the current key of trusted-keys\.json"):
        keys.signing_key(s)
