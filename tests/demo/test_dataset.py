from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.demo.dataset import load_demo
from secassist.reference.models import CountryRow, DatasetVersion
from secassist.reference.service import ReferenceData
from secassist.storage.uow import read_only, unit_of_work
from tests.support import run_cli


def test_demo_load_is_idempotent(session_factory: sessionmaker[Session], reference: ReferenceData) -> None:
    with unit_of_work(session_factory) as s:
        first = load_demo(s)
    with unit_of_work(session_factory) as s:
        second = load_demo(s)
    assert f"{len(reference.countries())} inserted" in first
    assert "0 inserted, 0 updated" in second
    with read_only(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(CountryRow)) == len(reference.countries())
        versions = {v.name: v.sha256 for v in s.scalars(select(DatasetVersion))}
    assert versions == {name: f.sha256 for name, f in reference.files.items()}


def test_demo_load_repairs_a_changed_row(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        load_demo(s)
    with unit_of_work(session_factory) as s:
        row = s.get(CountryRow, "FR")
        assert row is not None
        row.region = "WHA"
    with unit_of_work(session_factory) as s:
        assert "1 updated" in load_demo(s)
    with read_only(session_factory) as s:
        fr = s.get(CountryRow, "FR")
        assert fr is not None
        assert fr.region == "EUR"


def test_cli_demo_load_and_logins(app_env: dict[str, str]) -> None:
    r = run_cli(app_env, "demo", "load")
    assert r.returncode == 0, r.stderr
    assert "demo dataset loaded" in r.stderr
    r = run_cli(app_env, "demo", "logins")
    assert r.returncode == 0
    assert "Demo logins" in r.stdout
