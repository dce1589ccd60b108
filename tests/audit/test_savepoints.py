"""Savepoints inside a unit of work: a rolled-back ``begin_nested()`` undoes the entries
recorded inside it and keeps those recorded before it, even when the buffer was written
to the database inside the savepoint (a query for the log flushes it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import service
from secassist.audit.keys import TrustedKeys
from secassist.audit.models import AuditEntry
from secassist.audit.verify import verify_log
from secassist.core.errors import ConflictError
from secassist.identity import service as identity
from secassist.identity.models import Organization
from secassist.storage.uow import read_only, unit_of_work


def _state(factory: sessionmaker[Session]) -> tuple[list[str], list[str]]:
    with read_only(factory) as s:
        report = verify_log(s, keys=TrustedKeys.none())
        assert report.ok, report.problems
        tags = list(s.scalars(select(AuditEntry.subject_id).order_by(AuditEntry.seq)))
        names = sorted(s.scalars(select(Organization.name)))
    return tags, names


def _org(s: Session, name: str) -> Organization:
    return identity.create_organization(s, actor=None, name=name, kind="industry")


@pytest.mark.parametrize("flush_inside", [False, True])
def test_a_rolled_back_savepoint_keeps_the_entries_before_it(
    session_factory: sessionmaker[Session], flush_inside: bool
) -> None:
    with unit_of_work(session_factory) as s:
        before = _org(s, "Before")
        try:
            with s.begin_nested():
                if flush_inside:
                    service.tree_size(s)  # writes the buffer inside the savepoint
                _org(s, "Inside")
                service.tree_size(s)
                raise RuntimeError("abandon the savepoint")
        except RuntimeError:
            pass
        after = _org(s, "After")
    subjects, names = _state(session_factory)
    assert names == ["After", "Before"]
    assert subjects == [str(before.id), str(after.id)]


def test_a_released_savepoint_keeps_its_entries(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        _org(s, "One")
        with s.begin_nested():
            _org(s, "Two")
        _org(s, "Three")
    subjects, names = _state(session_factory)
    assert names == ["One", "Three", "Two"]
    assert len(subjects) == 3


def test_nested_savepoints_roll_back_one_level(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        _org(s, "Outer")
        with s.begin_nested():
            _org(s, "Middle")
            try:
                with s.begin_nested():
                    _org(s, "Deep")
                    _org(s, "Outer")  # a duplicate name: the service refuses it
            except ConflictError:
                pass
        _org(s, "Last")
    subjects, names = _state(session_factory)
    assert names == ["Last", "Middle", "Outer"]
    assert len(subjects) == 3


def test_a_rolled_back_unit_of_work_leaves_nothing(session_factory: sessionmaker[Session]) -> None:
    def abandoned() -> None:
        with unit_of_work(session_factory) as s:
            with s.begin_nested():
                _org(s, "Gone")
            raise RuntimeError("abandon everything")

    with pytest.raises(RuntimeError):
        abandoned()
    with unit_of_work(session_factory) as s:
        _org(s, "Kept")
    subjects, names = _state(session_factory)
    assert names == ["Kept"]
    assert len(subjects) == 1
