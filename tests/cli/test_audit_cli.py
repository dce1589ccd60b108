"""``secassist audit``, run as a real subprocess against the backend under test.

The log is filled in-process through the services (cheap password hashing); the CLI
only signs checkpoints, serves proofs and verifies, as an operator and a witness would.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit import keys, queries, service
from secassist.audit.errors import ProofInvalidError
from secassist.audit.standalone import verify_proof
from secassist.core.config import Settings
from secassist.storage.uow import read_only, unit_of_work
from tests.audit import TEST_BUREAU, make_person, seed
from tests.support import run_cli

EX_USAGE = 2
EX_DATAERR = 65
EX_NOINPUT = 66
EX_CONFIG = 78


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(env, *args)


def ok(env: dict[str, str], *args: str) -> str:
    proc = run(env, *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def fails(env: dict[str, str], *args: str, code: int = 1) -> str:
    proc = run(env, *args)
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    return proc.stderr


def size_of(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return service.tree_size(s)


@pytest.fixture
def filled(session_factory: sessionmaker[Session], demo_db: None) -> sessionmaker[Session]:
    seed(session_factory)
    return session_factory


@pytest.fixture
def witness(filled: sessionmaker[Session], app_env: dict[str, str], tmp_path: Path) -> dict[str, Path]:
    """What a witness keeps: a checkpoint note, the public key (PEM and note form)."""
    files = {
        "checkpoint": tmp_path / "checkpoint.txt",
        "pem": tmp_path / "log.pem",
        "note_key": tmp_path / "log.vkey",
    }
    files["checkpoint"].write_text(ok(app_env, "audit", "checkpoint"), encoding="utf-8")
    files["pem"].write_text(ok(app_env, "audit", "public-key"), encoding="utf-8")
    files["note_key"].write_text(ok(app_env, "audit", "public-key", "--format", "note"), encoding="utf-8")
    return files


# --- checkpoint and verify ------------------------------------------------------------------


def test_checkpoint_prints_a_signed_note_and_verify_passes(
    filled: sessionmaker[Session], app_env: dict[str, str]
) -> None:
    note = ok(app_env, "audit", "checkpoint")
    parsed = cp.parse(note)
    n = size_of(filled)
    assert parsed.tree_size == n
    assert parsed.origin == "secassist.local/audit"
    with read_only(filled) as s:
        assert parsed.root_hash == service.root(s)
        assert cp.latest(s).note == note
    out = ok(app_env, "audit", "verify")
    assert re.fullmatch(
        rf"audit log verifies: {n} entries, \d+ tree nodes, 1 signed checkpoints, "
        r"\d+ audited rows match their last entries\n",
        out,
    ), out


def test_verify_with_another_public_key_names_the_checkpoint(
    filled: sessionmaker[Session], app_env: dict[str, str], tmp_path: Path
) -> None:
    ok(app_env, "audit", "checkpoint")
    other = tmp_path / "other.pem"
    other.write_text(keys.public_pem(Ed25519PrivateKey.generate().public_key()), encoding="utf-8")
    err = fails(app_env, "audit", "verify", "--public-key", str(other))
    assert err.startswith("error [audit.verification_failed]: checkpoint 1: checkpoint was signed by key ")
    assert err.rstrip().endswith("not by the key given")


def test_a_fresh_install_verifies_and_reading_never_creates_a_key(
    app_env: dict[str, str], settings: Settings
) -> None:
    out = ok(app_env, "audit", "verify")
    assert out.startswith("audit log verifies: ")
    assert " 0 signed checkpoints, " in out
    err = fails(app_env, "audit", "public-key", code=EX_CONFIG)
    assert f"audit key file {keys.trusted_path(settings)} does not exist" in err
    assert "secassist audit init-key" in err
    assert not keys.key_dir(settings).exists()


def test_verify_with_a_checkpoint_but_no_keys_names_the_path(
    filled: sessionmaker[Session], app_env: dict[str, str], settings: Settings
) -> None:
    with unit_of_work(filled) as s:
        cp.create(s, settings=settings)
    shutil.rmtree(keys.key_dir(settings))
    err = fails(app_env, "audit", "verify", code=EX_CONFIG)
    assert f"audit key file {keys.trusted_path(settings)} does not exist" in err
    assert not keys.key_dir(settings).exists()


def test_the_key_stays_with_the_database_from_any_working_directory(
    filled: sessionmaker[Session],
    app_env: dict[str, str],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    monkeypatch.chdir(here)
    note = ok(app_env, "audit", "checkpoint")
    monkeypatch.chdir(there)
    published = ok(app_env, "audit", "public-key", "--format", "note").strip()
    assert published == keys.current_key(settings).verifier
    assert ok(app_env, "audit", "verify", "--skip-rows").startswith("audit log verifies: ")
    assert cp.verify(note, keys.load_trusted(settings)).tree_size == size_of(filled)
    assert list(here.iterdir()) == list(there.iterdir()) == []  # nothing written where it ran


def test_rotate_key_then_verify_passes(
    filled: sessionmaker[Session], app_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    with unit_of_work(filled) as s:
        first = cp.create(s, settings=settings).key_id
    out = ok(app_env, "audit", "rotate-key")
    retired, new = out.splitlines()
    assert retired.startswith(f"retired audit key {settings.audit_origin}+{first}+")
    assert re.search(r"\(signs from \S+Z until \S+Z\)$", retired), retired
    current = keys.current_key(settings)
    assert new == f"new audit key {current.verifier} (signs from {keys.stamp(current.signed_from)})"
    with unit_of_work(filled) as s:
        second = cp.create(s, settings=settings).key_id
    assert second != first
    out = ok(app_env, "audit", "verify", "--skip-rows")
    assert ", 2 signed checkpoints, " in out
    # Offline, with the public keys a witness kept from before and after the rotation.
    given = []
    for i, k in enumerate(keys.load_trusted(settings).keys):
        given += ["--public-key", str(tmp_path / f"key{i}.vkey")]
        (tmp_path / f"key{i}.vkey").write_text(k.verifier, encoding="utf-8")
    assert ", 2 signed checkpoints, " in ok(app_env, "audit", "verify", "--skip-rows", *given)


def test_a_checkpoint_whose_key_left_the_trusted_set_fails_verify(
    filled: sessionmaker[Session], app_env: dict[str, str], settings: Settings
) -> None:
    with unit_of_work(filled) as s:
        first = cp.create(s, settings=settings).key_id
    keys.rotate_key(settings)
    with unit_of_work(filled) as s:
        cp.create(s, settings=settings)
    path = keys.trusted_path(settings)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["keys"] = [k for k in doc["keys"] if k["until"] is None]
    path.write_text(json.dumps(doc), encoding="utf-8")
    err = fails(app_env, "audit", "verify", "--skip-rows")
    assert err == (
        f"error [audit.verification_failed]: checkpoint 1: checkpoint was signed by key "
        f"{settings.audit_origin}+{first}, not by the trusted keys in {path}\n"
    )


def test_production_signs_only_after_init_key(
    filled: sessionmaker[Session], app_env: dict[str, str], tmp_path: Path
) -> None:
    key_dir = tmp_path / "provisioned-keys"
    prod = {
        **app_env,
        "SECASSIST_ENV": "production",
        "SECASSIST_SECRET_KEY": "p" * 40,
        "SECASSIST_AUDIT_KEY_PATH": str(key_dir),
    }
    err = fails(prod, "audit", "checkpoint", code=EX_CONFIG)
    assert f"audit key file {key_dir / 'trusted-keys.json'} does not exist" in err
    assert not key_dir.exists()
    out = ok(prod, "audit", "init-key")
    assert out.startswith("created audit key secassist.local/audit+")
    assert out.rstrip().endswith(f"in {key_dir}")
    assert cp.parse(ok(prod, "audit", "checkpoint")).tree_size == size_of(filled)


def test_skip_rows_checks_only_the_log(
    filled: sessionmaker[Session], app_env: dict[str, str], engine: Any
) -> None:
    from sqlalchemy import text

    ok(app_env, "audit", "checkpoint")
    with engine.begin() as c:
        c.execute(text("UPDATE reference_country SET name = 'Deutschland' WHERE code = 'DE'"))
    err = fails(app_env, "audit", "verify")
    assert "row reference_country {'code': 'DE'}: name is 'Deutschland'" in err
    assert ok(app_env, "audit", "verify", "--skip-rows").rstrip().endswith("rows not checked")


# --- inclusion proofs, checked by a witness ---------------------------------------------------


def _prove(app_env: dict[str, str], tmp_path: Path, seq: int, *extra: str) -> tuple[Path, dict[str, Any]]:
    out = ok(app_env, "audit", "prove-inclusion", str(seq), *extra)
    path = tmp_path / f"proof-{seq}.json"
    path.write_text(out, encoding="utf-8")
    return path, json.loads(out)


def _verify_proof(env: dict[str, str], proof: Path, files: dict[str, Path], key: str = "pem") -> list[str]:
    return [
        "audit",
        "verify-proof",
        "--proof",
        str(proof),
        "--checkpoint",
        str(files["checkpoint"]),
        "--public-key",
        str(files[key]),
    ]


def _flip_hex(h: str, at: int = 5) -> str:
    return h[:at] + ("0" if h[at] != "0" else "1") + h[at + 1 :]


def test_an_inclusion_proof_verifies_with_no_database(
    filled: sessionmaker[Session], app_env: dict[str, str], witness: dict[str, Path], tmp_path: Path
) -> None:
    n = size_of(filled)
    for seq, key in ((0, "pem"), (n - 1, "note_key")):
        proof, doc = _prove(app_env, tmp_path, seq)
        assert (doc["type"], doc["leaf_index"], doc["tree_size"]) == ("inclusion", seq, n)
        assert doc["entry"]["seq"] == seq
        out = ok(app_env, *_verify_proof(app_env, proof, witness, key))
        assert out == f"proof verifies: entry {seq} ({doc['entry']['tag']}) is in the log of {n} entries\n"

    # No database: an unreachable server, or not even a valid URL.
    proof, _ = _prove(app_env, tmp_path, 1)
    for url in ("postgresql+psycopg://nobody@127.0.0.1:1/nothing", "not a database url"):
        offline = {**app_env, "SECASSIST_DATABASE_URL": url}
        assert ok(offline, *_verify_proof(offline, proof, witness)).startswith("proof verifies:")
    offline = {**app_env, "SECASSIST_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/nothing"}
    assert "cannot reach the database" in fails(offline, "audit", "prove-inclusion", "1", code=69)


def _mutations(doc: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str]]:
    """Single edits of an inclusion proof document and the reason each must give."""

    def edit(**changes: Any) -> dict[str, Any]:
        return {**json.loads(json.dumps(doc)), **changes}

    entry = dict(doc["entry"])
    path = list(doc["path"])
    return {
        "hex char flipped in the path": (
            edit(path=[_flip_hex(path[0]), *path[1:]]),
            "inclusion proof for entry 1 does not verify: computed root does not match",
        ),
        "path element dropped": (edit(path=path[1:]), "proof is shorter than the tree is deep"),
        "path element added": (edit(path=[*path, path[0]]), "proof is longer than the tree is deep"),
        "path reordered": (edit(path=[path[1], path[0], *path[2:]]), "computed root does not match"),
        "tree size changed": (
            edit(tree_size=doc["tree_size"] + 1),
            f"proof is for tree size {doc['tree_size'] + 1} but the checkpoint is for tree size "
            f"{doc['tree_size']}",
        ),
        "entry tag edited": (
            edit(entry={**entry, "tag": "identity:user:deleted"}),
            "entry 1 does not hash to the proof's leaf_hash (the entry document was altered)",
        ),
        "entry payload edited": (
            edit(entry={**entry, "payload": {**entry["payload"], "note": {"forged": True}}}),
            "entry 1 does not hash to the proof's leaf_hash",
        ),
        "leaf hash swapped for the edited entry's": (
            edit(leaf_hash=_flip_hex(doc["leaf_hash"])),
            "does not hash to the proof's leaf_hash",
        ),
        "leaf index changed": (edit(leaf_index=2), "entry seq 1 is not the proof's leaf index 2"),
        "root hash changed": (
            edit(root_hash=_flip_hex(doc["root_hash"])),
            "proof's root_hash differs from the checkpoint's root hash",
        ),
        "path element not hex": (edit(path=["zz" * 32, *path[1:]]), "path[0] is not a 32-byte hex hash"),
        "wrong type": (edit(type="exclusion"), "proof type 'exclusion' is neither"),
    }


SUBPROCESS_EDITS = ("hex char flipped in the path", "tree size changed", "entry tag edited")


def test_every_edit_of_an_inclusion_proof_is_rejected(
    filled: sessionmaker[Session], app_env: dict[str, str], witness: dict[str, Path], tmp_path: Path
) -> None:
    _, doc = _prove(app_env, tmp_path, 1)
    assert len(doc["path"]) >= 3
    note = witness["checkpoint"].read_text(encoding="utf-8")
    key, _ = keys.load_public_key(witness["pem"].read_text(encoding="utf-8"))
    trusted = keys.TrustedKeys.given([key])
    assert verify_proof(doc, checkpoint_note=note, keys=trusted).startswith("entry 1 ")
    for what, (mutated, reason) in _mutations(doc).items():
        # every edit through the library; the ones the issue names through the binary too
        with pytest.raises(ProofInvalidError) as exc:
            verify_proof(mutated, checkpoint_note=note, keys=trusted)
        assert reason in exc.value.message, (what, exc.value.message)
        if what in SUBPROCESS_EDITS:
            bad = tmp_path / "bad.json"
            bad.write_text(json.dumps(mutated), encoding="utf-8")
            err = fails(app_env, *_verify_proof(app_env, bad, witness))
            assert err == f"error [audit.proof_invalid]: {exc.value.message}\n", (what, err)


def test_a_proof_against_a_forged_or_foreign_checkpoint_is_rejected(
    filled: sessionmaker[Session], app_env: dict[str, str], witness: dict[str, Path], tmp_path: Path
) -> None:
    proof, _ = _prove(app_env, tmp_path, 0)
    note = witness["checkpoint"].read_text(encoding="utf-8")
    lines = note.split("\n")
    forged = dict(witness)
    forged["checkpoint"] = tmp_path / "forged.txt"
    lines[1] = str(int(lines[1]) + 1)
    forged["checkpoint"].write_text("\n".join(lines), encoding="utf-8")
    err = fails(app_env, *_verify_proof(app_env, proof, forged))
    assert err == "error [audit.checkpoint_invalid]: checkpoint signature does not verify\n"

    foreign = dict(witness)
    foreign["pem"] = tmp_path / "foreign.pem"
    foreign["pem"].write_text(keys.public_pem(Ed25519PrivateKey.generate().public_key()), encoding="utf-8")
    err = fails(app_env, *_verify_proof(app_env, proof, foreign))
    assert "not by the key given" in err

    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    assert "garbage.json is not a JSON proof" in fails(app_env, *_verify_proof(app_env, garbage, witness))
    err = fails(app_env, *_verify_proof(app_env, tmp_path / "missing.json", witness), code=EX_USAGE)
    assert "missing.json" in err


def test_a_proof_for_an_older_tree_size_verifies_against_that_checkpoint(
    filled: sessionmaker[Session], app_env: dict[str, str], witness: dict[str, Path], tmp_path: Path
) -> None:
    old_size = cp.parse(witness["checkpoint"].read_text(encoding="utf-8")).tree_size
    make_person(filled, username="carol", org=TEST_BUREAU, kind="state", roles=["policy_officer"])
    proof, doc = _prove(app_env, tmp_path, 2, "--tree-size", str(old_size))
    assert doc["tree_size"] == old_size < size_of(filled)
    assert ok(app_env, *_verify_proof(app_env, proof, witness)).startswith("proof verifies: entry 2")
    current, _ = _prove(app_env, tmp_path, 3)  # against the current size: not the kept checkpoint
    assert "but the checkpoint is for tree size" in fails(app_env, *_verify_proof(app_env, current, witness))


# --- consistency between a kept checkpoint and a newer one ---------------------------------------


def test_a_consistency_proof_links_a_kept_checkpoint_to_a_new_one(
    filled: sessionmaker[Session], app_env: dict[str, str], witness: dict[str, Path], tmp_path: Path
) -> None:
    old = cp.parse(witness["checkpoint"].read_text(encoding="utf-8")).tree_size
    make_person(filled, username="dave", org=TEST_BUREAU, kind="state", roles=["policy_officer"])
    new_note = tmp_path / "new-checkpoint.txt"
    new_note.write_text(ok(app_env, "audit", "checkpoint"), encoding="utf-8")
    new = cp.parse(new_note.read_text(encoding="utf-8")).tree_size
    assert new > old

    out = ok(app_env, "audit", "prove-consistency", str(old), "--new", str(new))
    doc = json.loads(out)
    assert (doc["type"], doc["old_size"], doc["new_size"]) == ("consistency", old, new)
    assert json.loads(ok(app_env, "audit", "prove-consistency", str(old))) == doc  # --new defaults to now
    proof = tmp_path / "consistency.json"
    proof.write_text(out, encoding="utf-8")

    args = ["audit", "verify-proof", "--proof", str(proof), "--public-key", str(witness["pem"])]
    witnessed = [*args, "--checkpoint", str(new_note), "--old-checkpoint", str(witness["checkpoint"])]
    assert ok(app_env, *witnessed) == (
        f"proof verifies: the log of {new} entries extends the kept checkpoint of {old} entries\n"
    )
    assert "(unwitnessed)" in ok(app_env, *args, "--checkpoint", str(new_note))

    # The kept checkpoint must be the proof's old tree, and the new one its new tree.
    err = fails(app_env, *args, "--checkpoint", str(new_note), "--old-checkpoint", str(new_note))
    assert f"proof's old size {old} is not the old checkpoint's tree size {new}" in err
    err = fails(app_env, *args, "--checkpoint", str(witness["checkpoint"]))
    assert f"proof's new size {new} is not the checkpoint's tree size {old}" in err

    bad = tmp_path / "bad.json"
    for mutated, reason in [
        ({**doc, "proof": [_flip_hex(doc["proof"][0]), *doc["proof"][1:]]}, "does not verify"),
        ({**doc, "proof": doc["proof"][:-1]}, "does not verify"),
        ({**doc, "old_root": _flip_hex(doc["old_root"])}, "old_root differs from the old checkpoint's"),
        ({**doc, "new_root": _flip_hex(doc["new_root"])}, "new_root differs from the checkpoint's"),
    ]:
        bad.write_text(json.dumps(mutated), encoding="utf-8")
        err = fails(
            app_env,
            "audit",
            "verify-proof",
            "--proof",
            str(bad),
            "--public-key",
            str(witness["pem"]),
            "--checkpoint",
            str(new_note),
            "--old-checkpoint",
            str(witness["checkpoint"]),
        )
        assert reason in err, (reason, err)


# --- reading the log ------------------------------------------------------------------------------


def test_public_key_in_both_forms_verifies_the_checkpoint(
    filled: sessionmaker[Session], app_env: dict[str, str], witness: dict[str, Path]
) -> None:
    pem = witness["pem"].read_text(encoding="utf-8")
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    vkey = witness["note_key"].read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"secassist\.local/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}", vkey), vkey
    note = witness["checkpoint"].read_text(encoding="utf-8")
    for text in (pem, vkey):
        key, _ = keys.load_public_key(text)
        cp.verify(note, key)


def test_entries_in_every_format(filled: sessionmaker[Session], app_env: dict[str, str]) -> None:
    n = size_of(filled)
    rows = json.loads(ok(app_env, "audit", "entries", "--format", "json", "--limit", "1000"))
    assert [r["seq"] for r in rows] == list(range(min(n, 1000)))  # the demo's log is longer than a page
    assert set(rows[0]) == {"seq", "at", "actor", "tag", "subject_type", "subject_id", "rows"}
    users = json.loads(ok(app_env, "audit", "entries", "--tag", "identity:user", "-f", "json"))
    assert users
    assert all(r["tag"].startswith("identity:user") for r in users)
    page = json.loads(ok(app_env, "audit", "entries", "--after", "2", "--limit", "3", "-f", "json"))
    assert [r["seq"] for r in page] == [3, 4, 5]
    table = list(csv.reader(io.StringIO(ok(app_env, "audit", "entries", "-f", "csv", "--limit", "2"))))
    assert table[0] == ["seq", "at", "actor", "tag", "subject_type", "subject_id", "rows"]
    assert [r[0] for r in table[1:]] == ["0", "1"]
    assert "reference:data:synced" in ok(app_env, "audit", "entries", "--limit", "1")
    assert "limit" in fails(app_env, "audit", "entries", "--limit", "0", code=EX_DATAERR)


def test_checkpoints_and_show(filled: sessionmaker[Session], app_env: dict[str, str]) -> None:
    assert json.loads(ok(app_env, "audit", "checkpoints", "-f", "json")) == []
    ok(app_env, "audit", "checkpoint")
    ok(app_env, "audit", "checkpoint")
    listed = json.loads(ok(app_env, "audit", "checkpoints", "-f", "json"))
    with read_only(filled) as s:
        root = service.root(s).hex()
        first = queries.entry_json(queries.get_entry(s, 0))
    assert [(c["id"], c["root_hash"]) for c in listed] == [(1, root), (2, root)]
    assert "root_hash" in ok(app_env, "audit", "checkpoints", "-f", "csv").splitlines()[0]
    assert json.loads(ok(app_env, "audit", "show", "0")) == first
    assert "no audit entry 999999" in fails(app_env, "audit", "show", "999999", code=EX_NOINPUT)


def test_proof_requests_outside_the_log_are_usage_errors(
    filled: sessionmaker[Session], app_env: dict[str, str]
) -> None:
    n = size_of(filled)
    err = fails(app_env, "audit", "prove-inclusion", str(n), code=EX_DATAERR)
    assert f"entry {n} is not in a tree of size {n}" in err
    err = fails(app_env, "audit", "prove-inclusion", "0", "--tree-size", str(n + 5), code=EX_DATAERR)
    assert f"tree size {n + 5} is outside 0..{n}" in err
    err = fails(app_env, "audit", "prove-consistency", "0", code=EX_DATAERR)
    assert "no consistency proof from size 0" in err
