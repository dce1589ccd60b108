"""The administrator's changes to a user: organization and roles (``set_roles``) and
lifting a login lockout (``unlock``) — permission-checked, one audit entry each, and a
no-op writes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.core.errors import PermissionDeniedError, ValidationFailedError
from secassist.identity import service
from secassist.identity.logins import authenticate
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import PASSWORD, make_org, make_user, principal_of


def test_set_roles_moves_a_user_and_changes_only_what_changes(
    session_factory: sessionmaker[Session], tags: Callable[[], list[str]], audit_ok: Callable[[], None]
) -> None:
    with unit_of_work(session_factory) as s:
        state, dod = make_org(s, "State PM", "state"), make_org(s, "DSCA", "dod")
        admin = make_user(s, state, "the.admin", ["admin"])
        user = make_user(s, dod, "dana", ["case_manager"])
        ids = admin.id, user.id, state.id, dod.id
    counts = []
    for roles in (["case_manager", "eum_monitor"], ["eum_monitor", "case_manager"]):
        with unit_of_work(session_factory) as s:
            actor = principal_of(s, service.get_user(s, ids[0]))
            service.set_roles(s, actor=actor, user_id=ids[1], organization_id=ids[3], roles=roles)
        counts.append(len(tags()))
    assert counts[1] == counts[0]  # the same roles again: nothing changed, nothing written
    with unit_of_work(session_factory) as s:
        actor = principal_of(s, service.get_user(s, ids[0]))
        with pytest.raises(ValidationFailedError, match="cannot grant case_manager") as exc:
            service.set_roles(s, actor=actor, user_id=ids[1], organization_id=ids[2], roles=["case_manager"])
        assert exc.value.detail["field"] == "roles"
        service.set_roles(s, actor=actor, user_id=ids[1], organization_id=ids[2], roles=["policy_officer"])
    with read_only(session_factory) as s:
        moved = service.principal_for(s, service.get_user(s, ids[1]))
        assert moved.org_id == ids[2]
        assert "program:write" in moved.permissions
        assert "equipment:write" not in moved.permissions
    assert tags().count("identity:user:roles_changed") == 2
    audit_ok()


def test_only_an_administrator_changes_roles_and_never_their_own_admin(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as s:
        state = make_org(s, "State PM", "state")
        admin = make_user(s, state, "the.admin", ["admin"])
        officer = make_user(s, state, "the.officer", ["policy_officer"])
        ids = admin.id, officer.id, state.id
    with unit_of_work(session_factory) as s:
        as_officer = principal_of(s, service.get_user(s, ids[1]))
        with pytest.raises(PermissionDeniedError):
            service.set_roles(s, actor=as_officer, user_id=ids[1], organization_id=ids[2], roles=["admin"])
        with pytest.raises(PermissionDeniedError):
            service.unlock(s, actor=as_officer, user_id=ids[0])
        as_admin = principal_of(s, service.get_user(s, ids[0]))
        with pytest.raises(ValidationFailedError, match="from yourself"):
            service.set_roles(
                s, actor=as_admin, user_id=ids[0], organization_id=ids[2], roles=["policy_officer"]
            )


def test_unlock_lifts_a_lockout(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    with unit_of_work(session_factory) as s:
        dod = make_org(s, "DSCA", "dod")
        uid = make_user(s, dod, "dana", ["case_manager"]).id
    for _ in range(5):
        with unit_of_work(session_factory) as s:
            authenticate(s, username="dana", password="wrong password!", clock=clock)
    with unit_of_work(session_factory) as s:
        assert authenticate(s, username="dana", password=PASSWORD, clock=clock).reason == "locked"
    with unit_of_work(session_factory) as s:
        service.unlock(s, actor=None, user_id=uid, clock=clock)
    with unit_of_work(session_factory) as s:
        assert authenticate(s, username="dana", password=PASSWORD, clock=clock).reason == "ok"
    assert "identity:user:unlocked" in tags()
    audit_ok()
