"""The audit write buffer hooks the project's sessions only: a plain SQLAlchemy session
elsewhere in the process runs none of them, while the project's sessions still write the
buffered entries before a query that reads the log and at commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import buffer, service
from secassist.audit.models import AuditEntry
from secassist.audit.service import SYSTEM, record
from secassist.identity.models import Organization
from secassist.storage.engine import ProjectSession
from secassist.storage.uow import read_only, unit_of_work

HOOKS: list[tuple[str, Callable[..., Any]]] = [
    ("after_transaction_create", buffer._snapshot_at_savepoint),
    ("after_soft_rollback", buffer._restore_on_rollback),
    ("after_transaction_end", buffer._forget_savepoints),
    ("after_commit", buffer._release_head),
    ("before_commit", buffer._write_before_commit),
    ("do_orm_execute", buffer._write_before_query),
]


@pytest.mark.parametrize(("name", "hook"), HOOKS, ids=[name for name, _ in HOOKS])
def test_hooks_listen_on_the_project_session_class_only(name: str, hook: Callable[..., Any]) -> None:
    assert event.contains(ProjectSession, name, hook)
    assert not event.contains(Session, name, hook)


def test_a_plain_session_runs_no_audit_hook(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        with s.begin_nested():  # the savepoint hook would snapshot the buffer into info
            s.scalars(select(Organization).limit(1)).all()
        s.scalars(select(AuditEntry).limit(1)).all()
        assert s.info == {}
        assert not buffer.is_project_session(s)
        with pytest.raises(TypeError, match="make_session_factory"):
            record(s, actor=SYSTEM, tag="test:thing:happened", subject_type="thing", subject_id=1)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_project_sessions_write_the_buffer_before_reading_the_log_and_at_commit(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        assert buffer.is_project_session(s)
        for i in range(3):
            record(s, actor=SYSTEM, tag="test:thing:happened", subject_type="thing", subject_id=i)
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 3  # written before the query
        for i in range(3, 5):
            record(s, actor=SYSTEM, tag="test:thing:happened", subject_type="thing", subject_id=i)
        # a query for a domain row leaves the batch buffered until commit
        s.scalars(select(Organization).limit(1)).all()
        assert buffer.locked_size_known(s) == 5
    with read_only(session_factory) as s:
        assert service.tree_size(s) == 5
        assert list(s.scalars(select(AuditEntry.subject_id).order_by(AuditEntry.seq))) == [
            "0",
            "1",
            "2",
            "3",
            "4",
        ]
