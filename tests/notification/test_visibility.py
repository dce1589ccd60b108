"""Who sees which notification, in the query (both databases): congress only after formal
notification; a partner or an SCO its own country's once formally notified (published
notifications are public record: the owner's decision, DESIGN.md "Who uses it"); industry
never; ids of hidden ones answer 404."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError, PermissionDeniedError
from secassist.identity.policy import Principal
from secassist.notification import queries, service
from secassist.notification.importer import import_notices
from secassist.storage.uow import read_only, unit_of_work
from tests.conftest import SHARED_DATA
from tests.identity.factories import make_org, make_user, principal_of
from tests.notification.factories import make_case

NOTICES = SHARED_DATA / "notices"
# The Korean notice 20-23 as the Federal Register, the Congressional Record and the press
# release printed it (expected.jsonl: files 010, and those the same as it).
IMPORTED = [
    e
    for e in (json.loads(x) for x in (NOTICES / "expected.jsonl").read_text().splitlines() if x.strip())
    if e["file"].startswith("010") or e["same_notice_as"] == "010"
]


@pytest.fixture
def notes(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal]
) -> dict[str, int]:
    state = people["state"]
    out: dict[str, int] = {}
    specs = (("sa_draft", "SA", False), ("sa_notified", "SA", True), ("pl", "PL", True))
    cases = {key: make_case(session_factory, clock, country) for key, country, _ in specs}
    with unit_of_work(session_factory) as s:
        for key, country, notified in specs:
            n = service.create_notification(
                s,
                actor=state,
                purchaser=country,
                purchaser_country=country,
                mde_value=30_000_000,
                other_value=0,
                case_id=cases[key],
                description="Eight (8) AN/TPQ-53 radars",
                clock=clock,
            )
            if notified:
                service.record_formal_notification(s, actor=state, notification_id=n.id, on=date(2025, 2, 1))
            out[key] = n.id
    return out


EXPECTED = {
    "state": {"sa_draft", "sa_notified", "pl"},
    "dod": {"sa_draft", "sa_notified", "pl"},
    "auditor": {"sa_draft", "sa_notified", "pl"},
    "congress": {"sa_notified", "pl"},
    "industry": set(),
    # Own country AND formally notified: never the Saudi draft, never another country's.
    "partner_sa": {"sa_notified"},
    "partner_pl": {"pl"},
    "sco_sa": {"sa_notified"},
    "sco_pl": {"pl"},
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_list_and_get_are_scoped(
    session_factory: sessionmaker[Session], people: dict[str, Principal], notes: dict[str, int], who: str
) -> None:
    actor = people[who]
    with read_only(session_factory) as s:
        seen = {n.id for n in queries.list_notifications(s, actor=actor)}
        assert seen == {notes[k] for k in EXPECTED[who]}
        for key, nid in notes.items():
            if key in EXPECTED[who]:
                assert queries.get_notification(s, actor=actor, notification_id=nid).id == nid
            else:
                with pytest.raises(NotFoundError):
                    queries.get_notification(s, actor=actor, notification_id=nid)


def test_congress_sees_dates_and_status_after_formal_notification_but_cannot_act(
    session_factory: sessionmaker[Session], people: dict[str, Principal], notes: dict[str, int]
) -> None:
    congress = people["congress"]
    with read_only(session_factory) as s:
        n = queries.get_notification(s, actor=congress, notification_id=notes["sa_notified"])
        assert (n.status, n.formal_notification_on, n.review_days) == (
            "formally_notified",
            date(2025, 2, 1),
            30,
        )
    with unit_of_work(session_factory) as s, pytest.raises(PermissionDeniedError):
        service.record_disapproval(
            s, actor=congress, notification_id=notes["sa_notified"], resolution="x", on=date(2025, 2, 2)
        )
    with unit_of_work(session_factory) as s, pytest.raises(NotFoundError):
        service.record_formal_notification(
            s, actor=congress, notification_id=notes["sa_draft"], on=date(2025, 2, 2)
        )
    with unit_of_work(session_factory) as s, pytest.raises(PermissionDeniedError):
        service.create_notification(
            s, actor=people["auditor"], purchaser="x", purchaser_country="SA", mde_value=0, other_value=0
        )


def test_public_export_leaves_out_what_is_not_yet_notified(
    session_factory: sessionmaker[Session], notes: dict[str, int]
) -> None:
    with read_only(session_factory) as s:
        rows = [queries.public_row(n) for n in queries.public_records(s)]
    assert {r["id"] for r in rows} == {notes["sa_notified"], notes["pl"]}
    assert all("description" not in r for r in rows)


@pytest.mark.parametrize("kind", ["partner", "sco"])
def test_partner_and_sco_read_the_published_texts_of_their_countrys_notices(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal], kind: str
) -> None:
    """The real Korean notice (20-23, three published sources): Korea's partner and SCO
    read it and its texts; Poland's answer 404, the same as for a missing one."""
    texts = [(e["file"], (NOTICES / e["file"]).read_text(encoding="utf-8")) for e in IMPORTED]
    with unit_of_work(session_factory) as s:
        report = import_notices(s, actor=None, texts=texts, clock=clock)
        korean = make_user(s, make_org(s, f"Korea {kind}", kind, "KR"), f"kr.{kind}")
        korea = principal_of(s, korean)
    [nid] = set(report.notification_ids.values())
    with read_only(session_factory) as s:
        assert queries.get_notification(s, actor=korea, notification_id=nid).transmittal == "20-23"
        assert [n.id for n in queries.list_notifications(s, actor=korea)] == [nid]
        assert len(queries.sources(s, actor=korea, notification_id=nid)) == len(IMPORTED)
        for other in (people[f"{kind}_pl"], people[f"{kind}_sa"]):
            with pytest.raises(NotFoundError):
                queries.sources(s, actor=other, notification_id=nid)


@pytest.mark.parametrize("who", ["partner_sa", "sco_sa"])
def test_partner_and_sco_read_but_do_not_act(
    session_factory: sessionmaker[Session], people: dict[str, Principal], notes: dict[str, int], who: str
) -> None:
    actor = people[who]
    # Visible once formally notified, so acting on it is refused (403); before, 404.
    with unit_of_work(session_factory) as s, pytest.raises(PermissionDeniedError):
        service.record_disapproval(
            s, actor=actor, notification_id=notes["sa_notified"], resolution="x", on=date(2025, 2, 2)
        )
    with unit_of_work(session_factory) as s, pytest.raises(NotFoundError):
        service.record_formal_notification(
            s, actor=actor, notification_id=notes["sa_draft"], on=date(2025, 2, 2)
        )
