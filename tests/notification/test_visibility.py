"""Who sees which notification, in the query (both databases): congress only after formal
notification, industry and partners never; ids of hidden ones answer 404."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError, PermissionDeniedError
from secassist.identity.policy import Principal
from secassist.notification import queries, service
from secassist.storage.uow import read_only, unit_of_work
from tests.notification.factories import make_case


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
    # Partner staff hold no notification:read (identity/permissions.py): none at all.
    "partner_sa": set(),
    "partner_pl": set(),
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
