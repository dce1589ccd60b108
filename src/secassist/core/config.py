"""Settings from the environment (prefix ``SECASSIST_``) via pydantic-settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from secassist.core.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite:///./secassist.db"
# Published on purpose: it is only accepted in development.
DEFAULT_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105


class Settings(BaseSettings):
    """Everything that varies between a laptop, CI and a production deployment."""

    model_config = SettingsConfigDict(env_prefix="SECASSIST_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    database_echo: bool = False
    # Connection pool per process (SECASSIST_DB_POOL_SIZE, _MAX_OVERFLOW, _POOL_TIMEOUT).
    # A request holds at most one connection; when all are busy a request waits at most
    # ``db_pool_timeout`` seconds and then answers 503 with Retry-After, never hangs.
    db_pool_size: int = Field(default=5, ge=1, le=1000)
    db_max_overflow: int = Field(default=10, ge=0, le=1000)
    db_pool_timeout: float = Field(default=2.0, gt=0, le=300)
    # Worker threads per process for the synchronous handlers (SECASSIST_WORKER_THREADS;
    # unset: anyio's default of 40). On a small host a few threads per process, near the
    # pool's size, beat many: docs/operations.md has the measurements.
    worker_threads: int | None = Field(default=None, ge=1, le=1000)
    # The directory of the audit log's keys (trusted-keys.json and the current signing
    # key), tied to the database: default, in development only, <SQLite file>-audit-keys/
    # beside the database file; required in production, for PostgreSQL and in-memory SQLite.
    audit_key_path: Path | None = None
    # Request-size limits, enforced before a body is read (413 Content Too Large): any
    # body (JSON, forms) at most SECASSIST_MAX_BODY_BYTES; a multipart upload (inventory
    # scans) at most SECASSIST_MAX_UPLOAD_BYTES: a 32 MiB file plus the form around it.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    max_upload_bytes: int = Field(default=33 * 1024 * 1024, ge=1024, le=4 * 1024**3)
    # The log's name in signed checkpoints (C2SP "origin"); make it unique per deployment.
    audit_origin: str = "secassist.local/audit"
    # How far ahead of today a program ledger entry (or an appropriation's first day of
    # availability) may be dated: the ledger records what happened or is about to; a date
    # years ahead is a typo (2204 for 2024), refused naming the field.
    ledger_horizon_days: int = Field(default=366, ge=1, le=3660)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
            raise ValueError(
                "SECASSIST_SECRET_KEY is left at its development default; "
                "set a random secret before running in production"
            )
        if self.env == "production" and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("SECASSIST_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def load_settings() -> Settings:
    """Read the settings, turning pydantic's error into a ConfigurationError naming the field."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            name = f"SECASSIST_{loc.upper()}" if loc else "settings"
            problems.append(f"{name}: {err['msg']}")
        raise ConfigurationError("; ".join(problems)) from None
