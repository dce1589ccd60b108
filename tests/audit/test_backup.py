"""`secassist backup` / `secassist restore` on the backend under test (issue #16, test 5).

A round trip into an empty database gives a log that `audit verify` accepts with the
same signed root; restore refuses a database holding data (unless --force), a backup
that was corrupted or altered (naming the member and the hash), one of a newer schema,
and a file that is not a backup at all. A backup taken while a writer's transaction is
open holds the committed state only.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit import service
from secassist.audit.backup import MANIFEST, backup
from secassist.core.config import Settings
from secassist.identity import service as identity
from secassist.storage.engine import make_engine, make_session_factory
from secassist.storage.uow import read_only, unit_of_work
from tests.audit import seed
from tests.support import run_cli

pytestmark = pytest.mark.usefixtures("demo_db")


def _signed_state(url: str) -> tuple[int, bytes, bytes, str]:
    """(tree size, recomputed root, latest checkpoint root, latest checkpoint note) of the
    database at ``url``."""
    eng = make_engine(url)
    try:
        with read_only(make_session_factory(eng)) as s:
            size = service.tree_size(s)
            latest = cp.latest(s)
            return size, service.root(s, size), bytes(latest.root_hash), latest.note
    finally:
        eng.dispose()


@pytest.fixture
def target_env(app_env: dict[str, str], empty_db_url: str, backend: str, tmp_path: Path) -> dict[str, str]:
    """The environment of an empty target database with its own (empty) key directory."""
    env = {**app_env, "SECASSIST_DATABASE_URL": empty_db_url}
    if backend == "postgresql":
        env["SECASSIST_AUDIT_KEY_PATH"] = str(tmp_path / "target-keys")
    return env


@pytest.fixture
def signed(session_factory: sessionmaker[Session], app_env: dict[str, str]) -> str:
    """The source database with a user added after the demo and a signed checkpoint."""
    seed(session_factory)
    done = run_cli(app_env, "audit", "checkpoint")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_round_trip_keeps_the_signed_root_and_verifies(
    signed: str,
    db_url: str,
    empty_db_url: str,
    app_env: dict[str, str],
    target_env: dict[str, str],
    tmp_path: Path,
) -> None:
    out = tmp_path / "secassist.backup"
    made = run_cli(app_env, "backup", str(out), "--include-trusted-keys")
    assert made.returncode == 0, made.stderr
    with tarfile.open(out) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    # The private signing key never travels; only the public trusted keys, when asked.
    assert names == {MANIFEST, *manifest["content"]}
    assert "trusted-keys.json" in names
    assert not any("signing-key" in n for n in names)
    size, root, signed_root, note = _signed_state(db_url)
    assert manifest["checkpoint"] == {"tree_size": size, "root_hash": signed_root.hex(), "note": note}
    assert manifest["tree_size"] == size
    assert note == signed

    restored = run_cli(target_env, "restore", str(out))
    assert restored.returncode == 0, restored.stderr
    assert "trusted keys: installed" in restored.stdout
    verified = run_cli(target_env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert _signed_state(empty_db_url) == (size, root, signed_root, note)
    assert root == signed_root

    # A second restore into the now-populated database is refused, then forced.
    again = run_cli(target_env, "restore", str(out))
    assert again.returncode == 75
    assert "not empty" in again.stderr
    assert "--force" in again.stderr
    forced = run_cli(target_env, "restore", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "trusted keys: kept (identical)" in forced.stdout
    assert run_cli(target_env, "audit", "verify").returncode == 0
    assert _signed_state(empty_db_url) == (size, root, signed_root, note)


def test_without_the_trusted_keys_the_restored_log_needs_its_keys_supplied(
    signed: str,
    target_env: dict[str, str],
    tmp_path: Path,
    app_env: dict[str, str],
    backend: str,
    db_url: str,
) -> None:
    out = tmp_path / "plain.backup"
    assert run_cli(app_env, "backup", str(out)).returncode == 0
    with tarfile.open(out) as tar:
        assert "trusted-keys.json" not in tar.getnames()
    assert run_cli(target_env, "restore", str(out)).returncode == 0
    refused = run_cli(target_env, "audit", "verify")
    assert refused.returncode != 0
    assert "trusted-keys.json" in refused.stderr
    # The custodian hands over the public key out of band: the log verifies with it.
    key = tmp_path / "log.pub"
    key.write_text(run_cli(app_env, "audit", "public-key").stdout, encoding="utf-8")
    assert run_cli(target_env, "audit", "verify", "--public-key", str(key)).returncode == 0


def _rewrite(out: Path, edit: dict[str, object] | None = None, flip_member: str | None = None) -> Path:
    """A copy of the backup with its manifest edited, or one byte of a member flipped."""
    copy = out.with_name("altered.backup")
    with tarfile.open(out) as src, tarfile.open(copy, "w") as dst:
        for info in src.getmembers():
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == MANIFEST and edit:
                data = json.dumps({**json.loads(data), **edit}).encode()
            if info.name == flip_member:
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return copy


def test_a_corrupted_or_newer_backup_is_refused_naming_the_problem(
    signed: str, app_env: dict[str, str], target_env: dict[str, str], tmp_path: Path, backend: str
) -> None:
    out = tmp_path / "secassist.backup"
    assert run_cli(app_env, "backup", str(out)).returncode == 0
    member = "database.sqlite" if backend == "sqlite" else "database.pgdump"

    corrupted = run_cli(target_env, "restore", str(_rewrite(out, flip_member=member)))
    assert corrupted.returncode == 65
    assert f"content hash mismatch for {member}" in corrupted.stderr

    newer = run_cli(target_env, "restore", str(_rewrite(out, edit={"schema_revision": "9999"})))
    assert newer.returncode == 65
    assert "schema revision '9999' is newer" in newer.stderr

    version = run_cli(target_env, "restore", str(_rewrite(out, edit={"format_version": 2})))
    assert "backup format version 2" in version.stderr

    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"not a backup at all" * 100)
    assert "not a secassist backup" in run_cli(target_env, "restore", str(garbage)).stderr

    # Truncated in transit: the tar ends early.
    cut = tmp_path / "cut.backup"
    cut.write_bytes(out.read_bytes()[: out.stat().st_size // 2])
    truncated = run_cli(target_env, "restore", str(cut))
    assert truncated.returncode == 65, truncated.stderr

    # Nothing was written to the target by any refused restore.
    assert run_cli(target_env, "restore", str(out)).returncode == 0
    assert run_cli(app_env, "backup", str(out)).returncode == 75  # never overwrites


def test_backup_while_a_writer_is_mid_transaction_holds_the_committed_state(
    signed: str,
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
) -> None:
    committed, *_ = _signed_state(db_url)
    with unit_of_work(session_factory) as s:
        org = identity.organization_by_name(s, "Test Bureau (audit tests)")
        identity.create_user(
            s,
            actor=None,
            username="midway",
            display_name="Midway",
            organization_id=org.id,
            roles=["admin"],
            password="a long enough password 123",
        )
        assert service.tree_size(s) == committed + 1
        manifest = backup(settings, tmp_path / "during.backup")
    assert manifest["tree_size"] == committed
    assert _signed_state(db_url)[0] == committed + 1
