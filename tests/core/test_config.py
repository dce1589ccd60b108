from __future__ import annotations

import pytest

from secassist.core.config import DEFAULT_DATABASE_URL, DEFAULT_SECRET_KEY, Settings, load_settings
from secassist.core.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("SECASSIST_ENV", "SECASSIST_DATABASE_URL", "SECASSIST_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)


def test_defaults_are_development_on_embedded_sqlite() -> None:
    s = load_settings()
    assert s.env == "development"
    assert s.database_url == DEFAULT_DATABASE_URL == "sqlite:///./secassist.db"
    assert s.secret_key.get_secret_value() == DEFAULT_SECRET_KEY


def test_prefix_is_read_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECASSIST_DATABASE_URL", "sqlite:////tmp/x.db")
    assert load_settings().database_url == "sqlite:////tmp/x.db"


def test_production_refuses_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECASSIST_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECASSIST_SECRET_KEY"):
        load_settings()


def test_production_refuses_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECASSIST_ENV", "production")
    monkeypatch.setenv("SECASSIST_SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="at least 32"):
        load_settings()


def test_production_accepts_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECASSIST_ENV", "production")
    monkeypatch.setenv("SECASSIST_SECRET_KEY", "x" * 48)
    assert load_settings().is_production


def test_unknown_env_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECASSIST_ENV", "staging")
    with pytest.raises(ConfigurationError, match="SECASSIST_ENV"):
        load_settings()


def test_settings_can_be_built_directly() -> None:
    assert Settings(database_url="sqlite://").database_url == "sqlite://"
