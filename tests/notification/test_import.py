"""Importing the shared real notices: idempotent, and the same notice from different
sources (expected.jsonl ``same_notice_as``) lands on one notification."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.core.errors import ValidationFailedError
from secassist.notification import service
from secassist.notification.importer import import_notices, source_type
from secassist.notification.models import NoticeSource, Notification
from secassist.storage.uow import read_only, unit_of_work
from tests.conftest import SHARED_DATA
from tests.notification.factories import make_case

NOTICES = SHARED_DATA / "notices"
EXPECTED = [json.loads(x) for x in (NOTICES / "expected.jsonl").read_text().splitlines() if x.strip()]


def _texts() -> list[tuple[str, str]]:
    return [(e["file"], (NOTICES / e["file"]).read_text(encoding="utf-8")) for e in EXPECTED]


def _groups() -> list[set[str]]:
    """Files that hold the same notice, from expected.jsonl (transitively)."""
    groups: list[set[str]] = []
    for e in EXPECTED:
        names = {e["file"][:3]} | ({e["same_notice_as"]} if e["same_notice_as"] else set())
        hit = [g for g in groups if g & names]
        for g in hit:
            groups.remove(g)
            names |= g
        groups.append(names)
    return groups


def test_import_is_idempotent_and_recognises_the_same_notice(
    session_factory: sessionmaker[Session], clock: FixedClock, audit_ok: Callable[[], None]
) -> None:
    with unit_of_work(session_factory) as s:
        report = import_notices(s, actor=None, texts=_texts(), clock=clock)
    ids = {name[:3]: nid for name, nid in report.notification_ids.items()}
    for group in _groups():
        assert len({ids[f] for f in group}) == 1, group
    # Different sales stay apart (20-58 is one sale in two files, 22-44 another).
    assert len(set(ids.values())) == len(_groups())
    assert len(report.created) == len(_groups())
    assert len(report.merged) == len(EXPECTED) - len(_groups())
    with read_only(session_factory) as s:
        before = (
            s.scalar(select(func.count(Notification.id))),
            s.scalar(select(func.count(NoticeSource.id))),
        )
        korea = s.get(Notification, ids["010"])
        assert korea is not None
        # Completed from the three sources: the FR table, the Record's agency, the release.
        assert (korea.transmittal, korea.purchaser_country, korea.implementing_agency) == (
            "20-23",
            "KR",
            "Air Force",
        )
        assert korea.mde_value == Decimal("0.00")
        assert korea.formal_notification_on == date(2020, 4, 10)
        assert korea.formally_notified
    with unit_of_work(session_factory) as s:
        again = import_notices(s, actor=None, texts=_texts(), clock=clock)
    assert sorted(again.unchanged) == sorted(e["file"] for e in EXPECTED)
    assert again.created == again.merged == []
    with read_only(session_factory) as s:
        after = (s.scalar(select(func.count(Notification.id))), s.scalar(select(func.count(NoticeSource.id))))
    assert before == after == (len(_groups()), len(EXPECTED))
    audit_ok()


def test_published_notice_links_to_the_case_notification_by_transmittal(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    case_id = make_case(session_factory, clock, "PL")
    with unit_of_work(session_factory) as s:
        n = service.create_notification(
            s,
            actor=None,
            case_id=case_id,
            purchaser="TECRO",
            purchaser_country="TW",
            mde_value=0,
            other_value="665400000",
            transmittal="22-44",
            clock=clock,
        )
        service.record_formal_notification(s, actor=None, notification_id=n.id, on=date(2022, 9, 1))
    texts = [t for t in _texts() if t[0] in ("013.txt", "030.txt")]
    with unit_of_work(session_factory) as s:
        report = import_notices(s, actor=None, texts=texts, clock=clock)
    assert report.created == []
    assert set(report.notification_ids.values()) == {n.id}
    with read_only(session_factory) as s:
        row = s.get(Notification, n.id)
        assert row is not None
        assert (row.case_id, row.origin, row.implementing_agency) == (case_id, "case", "Air Force")


def test_a_text_that_is_not_a_notice_is_refused_and_nothing_is_written(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    texts = [*_texts()[:2], ("minutes.txt", "Minutes of the committee meeting.")]
    with pytest.raises(ValidationFailedError) as info, unit_of_work(session_factory) as s:
        import_notices(s, actor=None, texts=texts, clock=clock)
    assert "minutes.txt" in info.value.message
    with read_only(session_factory) as s:
        assert s.scalar(select(func.count(Notification.id))) == 0


def test_source_types_of_the_shared_files() -> None:
    for e in EXPECTED:
        text = (NOTICES / e["file"]).read_text(encoding="utf-8")
        want = {"dsca_press_release": "press_release"}.get(e["source_type"], e["source_type"])
        assert source_type(text) == want, e["file"]
