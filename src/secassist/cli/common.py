"""Shared CLI plumbing: settings, engine, unit of work, argument parsing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from secassist.cli.output import Format
from secassist.core.config import Settings, load_settings
from secassist.core.errors import ValidationFailedError
from secassist.storage.engine import make_engine, make_session_factory, ping
from secassist.storage.migrate import ensure_at_head
from secassist.storage.uow import unit_of_work

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def parse_date(value: str, *, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailedError(f"{option}: {value!r} is not a date (YYYY-MM-DD)", field=option) from None


def settings() -> Settings:
    return load_settings()


def engine(*, require_migrated: bool = True) -> Engine:
    s = settings()
    eng = make_engine(s.database_url, echo=s.database_echo)
    ping(eng)
    if require_migrated:
        ensure_at_head(eng)
    return eng


@contextmanager
def uow() -> Iterator[Session]:
    """One CLI command, one transaction."""
    eng = engine()
    try:
        with unit_of_work(make_session_factory(eng)) as session:
            yield session
    finally:
        eng.dispose()
