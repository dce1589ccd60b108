"""``secassist demo load`` ends by signing a checkpoint of the log (issue #15), with the
key handled as ``audit/keys.py`` says for development: beside a SQLite file, or where
SECASSIST_AUDIT_KEY_PATH names; with neither, it signs nothing and says so. The auditor's
home then shows the checkpoint and the form to check an entry's proof against it."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit import service as audit_service
from secassist.storage.uow import read_only
from tests.audit import key_env
from tests.support import run_cli
from tests.web.test_funds_pages import login


def test_the_demo_load_signs_a_checkpoint_the_auditor_sees(
    app_env: dict[str, str],
    backend: str,
    tmp_path: Path,
    client: TestClient,
    session_factory: sessionmaker[Session],
) -> None:
    env = key_env(app_env, backend, tmp_path)
    loaded = run_cli(env, "demo", "load")
    assert loaded.returncode == 0, loaded.stderr
    with read_only(session_factory) as s:
        size = audit_service.tree_size(s)
        assert [c.tree_size for c in cp.all_checkpoints(s)] == [size]
    assert f"checkpoint signed at {size} entries" in loaded.stderr + loaded.stdout
    verified = run_cli(env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "1 signed checkpoints" in verified.stdout + verified.stderr
    again = run_cli(env, "demo", "load")  # nothing new in the log: nothing more to sign
    assert again.returncode == 0, again.stderr
    assert "already signed" in again.stderr + again.stdout
    with read_only(session_factory) as s:
        assert len(cp.all_checkpoints(s)) == 1
    login(client, session_factory, "ig.auditor")
    home = client.get("/").text
    assert re.search(rf'data-testid="checkpoint-size">{size} entries<', home)
    assert 'data-testid="proof-form"' in home


def test_without_a_key_directory_it_signs_nothing_and_says_why(
    app_env: dict[str, str], backend: str, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    if backend == "sqlite":  # a SQLite file has its directory beside it unless one is misnamed
        not_a_dir = tmp_path / "keys.txt"
        not_a_dir.write_text("not a directory", encoding="utf-8")
        env, why = {**app_env, "SECASSIST_AUDIT_KEY_PATH": str(not_a_dir)}, "is a file"
    else:  # PostgreSQL with SECASSIST_AUDIT_KEY_PATH unset
        env, why = app_env, "SECASSIST_AUDIT_KEY_PATH is not set"
    loaded = run_cli(env, "demo", "load")
    assert loaded.returncode == 0, loaded.stderr
    out = loaded.stderr + loaded.stdout
    assert "no checkpoint signed (" in out
    assert why in out
    with read_only(session_factory) as s:
        assert not cp.any_signed(s)
