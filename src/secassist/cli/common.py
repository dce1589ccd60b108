"""Shared CLI plumbing: settings, engine, unit of work, read session, argument parsing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from secassist.cli.output import Format
from secassist.core.config import Settings, load_settings
from secassist.core.errors import ValidationFailedError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

# SQLAlchemy and Alembic are imported inside the functions that need a database, so
# commands that only read packaged data (``reference …``) start in a fraction of the time.

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def parse_date(value: str, *, option: str) -> date:
    """Parse YYYY-MM-DD exactly (Python's fromisoformat would also take 20240307 or 2024-W10-4)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailedError(f"{option}: {value!r} is not a date (YYYY-MM-DD)", field=option) from None


def settings() -> Settings:
    return load_settings()


def engine(*, require_migrated: bool = True) -> Engine:
    from secassist.storage.engine import engine_from_settings, ping
    from secassist.storage.migrate import ensure_at_head

    s = settings()
    eng = engine_from_settings(s)
    try:
        ping(eng)
        if require_migrated:
            ensure_at_head(eng)
    except BaseException:
        # A refused database still had a connection opened: close it, so nothing of the
        # command outlives it (the tests run many commands in one process).
        eng.dispose()
        raise
    return eng


@contextmanager
def uow() -> Iterator[Session]:
    """One CLI command, one transaction."""
    from secassist.storage.engine import make_session_factory
    from secassist.storage.uow import unit_of_work

    eng = engine()
    try:
        with unit_of_work(make_session_factory(eng)) as session:
            yield session
    finally:
        eng.dispose()


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading: never takes the write lock, always rolled back."""
    from secassist.storage.engine import make_session_factory
    from secassist.storage.uow import read_only

    eng = engine()
    try:
        with read_only(make_session_factory(eng)) as session:
            yield session
    finally:
        eng.dispose()
