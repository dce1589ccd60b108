"""Fault-test fixtures: the CLI environment with audit keys (as in ``tests/cli``), and
``twin``: a second database that starts as the test's own, for reference runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from secassist.core.config import Settings
from tests.audit import key_env, key_settings


@pytest.fixture
def settings(settings: Settings, backend: str, tmp_path: Path) -> Settings:
    return key_settings(settings, backend, tmp_path)


@pytest.fixture
def app_env(app_env: dict[str, str], backend: str, tmp_path: Path) -> dict[str, str]:
    return key_env(app_env, backend, tmp_path)


@pytest.fixture
def twin_env(
    request: pytest.FixtureRequest, databases: object, app_env: dict[str, str]
) -> Iterator[dict[str, str]]:
    """The CLI environment of another database made from the same template as ``db_url``
    (ask for ``demo_db`` too and both hold the demo): where a command runs once, cleanly,
    to give the end state a crashed-and-rerun command must reach."""
    url = databases.new(demo="demo_db" in request.fixturenames)  # type: ignore[attr-defined]
    yield {**app_env, "SECASSIST_DATABASE_URL": url}
    databases.drop(url)  # type: ignore[attr-defined]
