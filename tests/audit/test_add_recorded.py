"""The one "add, flush, record" helper: the entry it writes is the entry :func:`record`
writes for the same change, byte for byte, and a change gets exactly one entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.canonical import entry_bytes
from secassist.audit.models import AuditEntry
from secassist.audit.service import SYSTEM, Actor, add_recorded, record
from secassist.core.clock import FixedClock
from secassist.identity.models import Organization, UserRole
from secassist.storage.uow import read_only, unit_of_work

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACTOR = Actor(label="carol (DSCA)", user_id=4, org_id=2)


def _count(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_a_new_row_is_added_flushed_and_recorded_under_its_own_key(
    session_factory: sessionmaker[Session],
) -> None:
    before = _count(session_factory)
    with unit_of_work(session_factory) as s:
        org = Organization(name="Helper Org", kind="dod", country_code=None, created_at=AT)
        fields = add_recorded(
            s,
            [org],
            actor=ACTOR,
            tag="identity:organization:created",
            subject_type="organization",
            clock=FixedClock(AT),
        )
        assert org.id is not None  # flushed: the key exists before the entry is built
        assert fields.subject_id == str(org.id)
        helper_bytes = entry_bytes(fields)
        # The same change recorded by hand gives the same document (only seq differs).
        by_hand = record(
            s,
            actor=ACTOR,
            tag="identity:organization:created",
            subject_type="organization",
            subject_id=org.id,
            rows=[org],
            clock=FixedClock(AT),
        )
    assert entry_bytes(by_hand._replace(seq=fields.seq)) == helper_bytes
    assert _count(session_factory) == before + 2  # one entry per call, no more
    with read_only(session_factory) as s:
        stored = s.get(AuditEntry, fields.seq)
        assert stored is not None
        assert stored.tag == "identity:organization:created"
        assert stored.actor == "carol (DSCA)"
        assert stored.actor_user_id == 4


def test_a_changed_row_is_flushed_and_an_explicit_subject_wins(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        org = Organization(name="Renamed Org", kind="dod", country_code=None, created_at=AT)
        s.add(org)
        s.flush()
        org.name = "Renamed Org II"
        fields = add_recorded(
            s, [org], actor=SYSTEM, tag="identity:organization:renamed", subject_type="org", subject_id="x-1"
        )
        assert fields.subject_id == "x-1"
        assert '"name":"Renamed Org II"' in fields.payload
    with read_only(session_factory) as s:
        found = s.get(Organization, org.id)
        assert found is not None
        assert found.name == "Renamed Org II"


def test_without_rows_or_a_single_column_key_the_subject_must_be_given(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        with pytest.raises(ValueError, match="subject_id is needed when there are no rows"):
            add_recorded(s, [], actor=SYSTEM, tag="test:thing:happened", subject_type="thing")
        role = UserRole(user_id=1, role="admin")
        with pytest.raises(ValueError, match="one-column key"):
            # A composite key (user, role) names no single subject.
            add_recorded(s, [role], actor=SYSTEM, tag="test:role:granted", subject_type="role")
        assert role not in s  # refused before anything was added
        s.rollback()
