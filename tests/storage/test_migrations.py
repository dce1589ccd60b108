"""One migration history on both databases; `db check` catches drift."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, Integer, Table, text

from secassist.core.errors import DatabaseNotMigratedError, SchemaDriftError
from secassist.storage.base import Base
from secassist.storage.engine import make_engine
from secassist.storage.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    check,
    current_revision,
    ensure_at_head,
    head_revision,
    upgrade,
)
from tests.support import run_cli


def test_file_order_is_chain_order_with_one_head() -> None:
    """Files are numbered 0001, 0002, … in the order they apply: each file's revision id is
    its number, and its down_revision is the previous file's; the chain has one head."""
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == [head_revision()]
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    numbers = [m.group(1) for f in files if (m := re.match(r"(\d{4})_\w+\.py$", f))]
    assert len(numbers) == len(files), f"every migration file is named NNNN_name.py: {files}"
    assert numbers == [f"{i:04d}" for i in range(1, len(files) + 1)]
    chain = [s.revision for s in scripts.walk_revisions("base", "heads")][::-1]
    assert chain == numbers
    for number, path in zip(numbers, files, strict=True):
        rev = scripts.get_revision(number)
        assert rev is not None
        assert Path(rev.path).name == path
        previous = f"{int(number) - 1:04d}" if number != "0001" else None
        assert rev.down_revision == previous, f"{path}: down_revision {rev.down_revision}"


@pytest.fixture
def empty_engine(empty_db_url: str) -> Iterator[Engine]:
    eng = make_engine(empty_db_url)
    yield eng
    eng.dispose()


def test_upgrade_from_empty_reaches_head_and_check_passes(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    with pytest.raises(DatabaseNotMigratedError, match="secassist db upgrade"):
        ensure_at_head(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    check(empty_engine)


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    check(engine)


def test_check_fails_when_models_gain_a_table(engine: Engine) -> None:
    extra = Table("drift_probe", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        with pytest.raises(SchemaDriftError, match="drift_probe"):
            check(engine)
    finally:
        Base.metadata.remove(extra)
    check(engine)


def test_check_fails_when_database_has_extra_column(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(text("ALTER TABLE reference_country ADD COLUMN sneaky INTEGER"))
    with pytest.raises(SchemaDriftError, match="sneaky"):
        check(engine)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(env, *args)


def test_cli_db_upgrade_and_check_on_empty_database(empty_db_url: str, app_env: dict[str, str]) -> None:
    env = {**app_env, "SECASSIST_DATABASE_URL": empty_db_url}
    r = _cli(env, "db", "check")
    assert r.returncode != 0
    assert "secassist db upgrade" in r.stderr
    assert "Traceback" not in r.stderr
    r = _cli(env, "db", "upgrade")
    assert r.returncode == 0, r.stderr
    assert head_revision() in r.stderr
    r = _cli(env, "db", "check")
    assert r.returncode == 0, r.stderr
    assert _cli(env, "db", "current").stdout.strip() == head_revision()


def test_cli_db_check_exits_nonzero_on_drift(db_url: str, app_env: dict[str, str]) -> None:
    eng = make_engine(db_url)
    with eng.begin() as c:
        c.execute(text("ALTER TABLE reference_dataset ADD COLUMN behind_our_back INTEGER"))
    eng.dispose()
    r = _cli(app_env, "db", "check")
    assert r.returncode == 1
    assert "behind_our_back" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("url", "code", "fragment"),
    [
        ("nonsense", 78, "not a database URL"),
        ("oracle://scott@localhost/db", 78, "unsupported database"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", 69, "cannot reach the database"),
    ],
)
def test_cli_bad_database_gives_one_clear_message(
    app_env: dict[str, str], url: str, code: int, fragment: str
) -> None:
    r = _cli({**app_env, "SECASSIST_DATABASE_URL": url}, "db", "upgrade")
    assert r.returncode == code
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2


def test_cli_refuses_commands_on_unmigrated_database(empty_db_url: str, app_env: dict[str, str]) -> None:
    r = _cli({**app_env, "SECASSIST_DATABASE_URL": empty_db_url}, "demo", "load")
    assert r.returncode == 75
    assert "no schema yet" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_refuses_a_database_at_an_older_revision(db_url: str, app_env: dict[str, str]) -> None:
    eng = make_engine(db_url)
    with eng.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    eng.dispose()
    r = _cli(app_env, "demo", "load")
    assert r.returncode == 75
    assert "0000_older" in r.stderr
    assert "Traceback" not in r.stderr
