"""Annotated dependency aliases shared by the API and the web pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.config import Settings
from secassist.reference.service import ReferenceData, get_reference
from secassist.storage.uow import read_only, unit_of_work


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_read_session(request: Request) -> Iterator[Session]:
    with read_only(_factory(request)) as session:
        yield session


def get_write_session(request: Request) -> Iterator[Session]:
    """One request, one unit of work: commits once after the handler returns."""
    with unit_of_work(_factory(request)) as session:
        yield session


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ReadSessionDep = Annotated[Session, Depends(get_read_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ReferenceDep = Annotated[ReferenceData, Depends(get_reference)]
