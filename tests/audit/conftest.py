"""Audit keys for the audit log tests: on PostgreSQL they need SECASSIST_AUDIT_KEY_PATH
(on SQLite they live beside the database file). ``settings`` and ``app_env`` name the
same directory, so a key made in-process is the one the CLI finds."""

from __future__ import annotations

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
