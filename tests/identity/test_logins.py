"""Logins: success, failure, lockout after five failures for 15 minutes (FixedClock),
every attempt audited, disabled users shut out everywhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.core.clock import FixedClock
from secassist.identity import passwords, service
from secassist.identity.errors import AuthenticationError
from secassist.identity.logins import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    SESSION_TTL,
    LoginResult,
    authenticate,
    end_web_session,
    resolve_web_session,
    start_web_session,
)
from secassist.identity.models import User
from secassist.identity.tokens import issue_token, principal_from_token
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import PASSWORD, make_org, make_user

WRONG = "not the password at all"


@pytest.fixture
def user_id(session_factory: sessionmaker[Session], clock: FixedClock) -> int:
    with unit_of_work(session_factory) as s:
        org = make_org(s, "Poland MoD", "partner", "PL", clock=clock)
        return make_user(s, org, "anna", clock=clock).id


def login(
    session_factory: sessionmaker[Session], clock: FixedClock, password: str, username: str = "anna"
) -> LoginResult:
    """One login attempt in its own unit of work, committed whatever the outcome (as the
    web adapter does before answering 401)."""
    with unit_of_work(session_factory) as s:
        return authenticate(s, username=username, password=password, clock=clock)


def user_row(session_factory: sessionmaker[Session], user_id: int) -> User:
    with read_only(session_factory) as s:
        user = s.get(User, user_id)
        assert user is not None
        s.expunge(user)
        return user


def test_success(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    user_id: int,
    tags: Callable[[], list[str]],
) -> None:
    result = login(session_factory, clock, PASSWORD, username=" ANNA ")
    assert result.reason == "ok"
    assert result.principal is not None
    assert (result.principal.user_id, result.principal.country) == (user_id, "PL")
    assert not result.principal.via_token
    assert user_row(session_factory, user_id).last_login_at == clock.now()
    assert tags()[-1] == "identity:login:succeeded"
    with read_only(session_factory) as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
        assert (entry.actor_user_id, entry.subject_id) == (user_id, str(user_id))


def test_wrong_password_and_unknown_user_are_failures_and_audited(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    user_id: int,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    assert login(session_factory, clock, WRONG) == LoginResult(None, "invalid")
    assert user_row(session_factory, user_id).failed_logins == 1
    assert tags()[-1] == "identity:login:failed"
    assert login(session_factory, clock, PASSWORD, username="nobody") == LoginResult(None, "invalid")
    assert tags()[-1] == "identity:login:unknown_user"
    audit_ok()


def test_success_resets_the_failure_count(
    session_factory: sessionmaker[Session], clock: FixedClock, user_id: int
) -> None:
    for _ in range(MAX_FAILED_LOGINS - 1):
        login(session_factory, clock, WRONG)
    assert login(session_factory, clock, PASSWORD).reason == "ok"
    assert user_row(session_factory, user_id).failed_logins == 0
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert login(session_factory, clock, WRONG).reason == "invalid"
    assert login(session_factory, clock, PASSWORD).reason == "ok"


def test_lockout_after_five_failures_for_fifteen_minutes(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    user_id: int,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    before = len(tags())
    reasons = [login(session_factory, clock, WRONG).reason for _ in range(MAX_FAILED_LOGINS)]
    assert reasons == ["invalid"] * (MAX_FAILED_LOGINS - 1) + ["locked"]
    assert user_row(session_factory, user_id).locked_until == clock.now() + LOCKOUT
    assert tags()[before:] == ["identity:login:failed"] * (MAX_FAILED_LOGINS - 1) + ["identity:login:locked"]

    # Locked: even the right password is refused, and the refusal is audited.
    assert login(session_factory, clock, PASSWORD) == LoginResult(None, "locked")
    assert tags()[-1] == "identity:login:refused_locked"
    clock.advance(LOCKOUT - timedelta(seconds=1))
    assert login(session_factory, clock, PASSWORD).reason == "locked"

    clock.advance(timedelta(seconds=1))
    result = login(session_factory, clock, PASSWORD)
    assert result.reason == "ok"
    assert user_row(session_factory, user_id).locked_until is None
    audit_ok()


def test_after_the_lockout_the_count_starts_again(
    session_factory: sessionmaker[Session], clock: FixedClock, user_id: int
) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        login(session_factory, clock, WRONG)
    clock.advance(LOCKOUT)
    # One wrong guess after the lockout is one failure, not a fresh lockout.
    assert login(session_factory, clock, WRONG).reason == "invalid"
    assert user_row(session_factory, user_id).failed_logins == 1
    for _ in range(MAX_FAILED_LOGINS - 1):
        login(session_factory, clock, WRONG)
    assert login(session_factory, clock, PASSWORD).reason == "locked"


def test_failures_while_locked_do_not_extend_or_count(
    session_factory: sessionmaker[Session], clock: FixedClock, user_id: int
) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        login(session_factory, clock, WRONG)
    until = user_row(session_factory, user_id).locked_until
    clock.advance(timedelta(minutes=5))
    assert login(session_factory, clock, WRONG).reason == "locked"
    row = user_row(session_factory, user_id)
    assert (row.locked_until, row.failed_logins) == (until, 0)


def test_disabled_user_cannot_log_in_and_loses_sessions_and_tokens(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    user_id: int,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    with unit_of_work(session_factory) as s:
        raw_token, _ = issue_token(s, actor=None, user_id=user_id, name="ci", clock=clock)
        raw_session, _ = start_web_session(s, user_id=user_id, clock=clock)
    with read_only(session_factory) as s:
        principal_from_token(s, raw_token, clock=clock)
        resolve_web_session(s, raw_session, clock=clock)

    with unit_of_work(session_factory) as s:
        service.set_active(s, actor=None, user_id=user_id, active=False, clock=clock)
    assert tags()[-1] == "identity:user:disabled"
    assert login(session_factory, clock, PASSWORD) == LoginResult(None, "disabled")
    assert tags()[-1] == "identity:login:refused_disabled"
    assert login(session_factory, clock, WRONG).reason == "invalid"
    with read_only(session_factory) as s:
        with pytest.raises(AuthenticationError):
            principal_from_token(s, raw_token, clock=clock)
        with pytest.raises(AuthenticationError):
            resolve_web_session(s, raw_session, clock=clock)

    # Enabled again: logins work, the old token and session stay dead.
    with unit_of_work(session_factory) as s:
        service.set_active(s, actor=None, user_id=user_id, active=True, clock=clock)
    assert tags()[-1] == "identity:user:enabled"
    assert login(session_factory, clock, PASSWORD).reason == "ok"
    with read_only(session_factory) as s:
        with pytest.raises(AuthenticationError):
            principal_from_token(s, raw_token, clock=clock)
        with pytest.raises(AuthenticationError):
            resolve_web_session(s, raw_session, clock=clock)
    audit_ok()


def test_disabling_twice_writes_one_entry(
    session_factory: sessionmaker[Session], clock: FixedClock, user_id: int, tags: Callable[[], list[str]]
) -> None:
    for _ in range(2):
        with unit_of_work(session_factory) as s:
            service.set_active(s, actor=None, user_id=user_id, active=False, clock=clock)
    assert tags().count("identity:user:disabled") == 1


def test_web_sessions_expire_and_end(
    session_factory: sessionmaker[Session], clock: FixedClock, user_id: int
) -> None:
    with unit_of_work(session_factory) as s:
        raw, ws = start_web_session(s, user_id=user_id, clock=clock)
        assert ws.id_hash != raw
        assert raw not in ws.id_hash
        other, _ = start_web_session(s, user_id=user_id, clock=clock)
    assert other != raw
    clock.advance(SESSION_TTL - timedelta(seconds=1))
    with read_only(session_factory) as s:
        principal, _ = resolve_web_session(s, raw, clock=clock)
        assert principal.user_id == user_id
    clock.advance(timedelta(seconds=1))
    with read_only(session_factory) as s, pytest.raises(AuthenticationError):
        resolve_web_session(s, raw, clock=clock)
    with unit_of_work(session_factory) as s:
        end_web_session(s, other, clock=clock)
    with read_only(session_factory) as s, pytest.raises(AuthenticationError):
        resolve_web_session(s, other, clock=clock)


def test_every_login_branch_runs_the_password_hash(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    user_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Constant time (issue #16): a locked, disabled or unknown account answers no faster
    than a wrong password, because each branch pays one Argon2 verification (the real
    hasher, counted, not replaced). Timing itself is measured in no test."""
    calls: list[str] = []
    real = passwords._hasher

    class Counted:
        """The real hasher, its verifications counted (argon2's hasher has read-only slots)."""

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def verify(self, stored: str, password: str) -> bool:
            # A hash refused as unreadable (InvalidHashError) was never computed: not counted.
            try:
                ok = real.verify(stored, password)
            except VerifyMismatchError:
                calls.append(password)
                raise
            calls.append(password)
            return ok

    monkeypatch.setattr(passwords, "_hasher", Counted())

    def attempt(password: str, username: str = "anna") -> str:
        calls.clear()
        reason = login(session_factory, clock, password, username).reason
        assert calls == [password], f"{reason}: {len(calls)} hash verifications"
        return reason

    assert attempt(PASSWORD) == "ok"
    assert attempt(WRONG) == "invalid"
    assert attempt(WRONG, "nobody-by-that-name") == "invalid"
    for _ in range(MAX_FAILED_LOGINS - 1):
        attempt(WRONG)
    assert user_row(session_factory, user_id).locked_until is not None
    assert attempt(WRONG) == "locked"
    assert attempt(PASSWORD) == "locked"
    clock.advance(LOCKOUT + timedelta(seconds=1))
    with unit_of_work(session_factory) as s:
        service.set_active(s, actor=None, user_id=user_id, active=False, clock=clock)
    assert attempt(PASSWORD) == "disabled"
    assert attempt(WRONG) == "invalid"
    # A row whose stored hash is unreadable still costs one verification (of the dummy).
    with unit_of_work(session_factory) as s:
        service.set_active(s, actor=None, user_id=user_id, active=True, clock=clock)
        row = s.get(User, user_id)
        assert row is not None
        row.password_hash = "not-a-phc-string"
    assert attempt(PASSWORD) == "invalid"
