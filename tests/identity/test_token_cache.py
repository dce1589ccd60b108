"""The per-process memory of bearer tokens' principals (identity.token_cache, issue #16
load): a known token costs no query, and no change to a token, its user or their roles
goes unseen longer than the documented bound — at once in the process that made it,
within ``TTL_SECONDS`` when another process made it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, update
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.identity import service, token_cache
from secassist.identity.errors import AuthenticationError
from secassist.identity.models import ApiToken
from secassist.identity.policy import Principal
from secassist.identity.tokens import cached_principal, issue_token, principal_from_token, revoke_token
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import make_org, make_user, principal_of


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the test runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def officer(session_factory: sessionmaker[Session], clock: FixedClock) -> Principal:
    with unit_of_work(session_factory) as s:
        state = make_org(s, "State PM", "state", clock=clock)
        return principal_of(s, make_user(s, state, "officer1", ["policy_officer"], clock=clock))


def _token(session_factory: sessionmaker[Session], clock: FixedClock, user: Principal) -> tuple[str, int]:
    with unit_of_work(session_factory) as s:
        raw, token = issue_token(s, actor=None, user_id=user.user_id, name="t", days=1, clock=clock)
        s.flush()
        return raw, token.id


def _lookup(session_factory: sessionmaker[Session], raw: str, clock: FixedClock) -> Principal:
    with read_only(session_factory) as s:
        return principal_from_token(s, raw, clock=clock)


def test_a_known_token_is_answered_without_a_query(
    session_factory: sessionmaker[Session], clock: FixedClock, officer: Principal, statements: list[str]
) -> None:
    raw, _ = _token(session_factory, clock, officer)
    assert cached_principal(raw, clock=clock) is None  # never looked up yet
    first = _lookup(session_factory, raw, clock)
    assert any("api_token" in q for q in statements)
    statements.clear()
    assert _lookup(session_factory, raw, clock) == first
    assert cached_principal(raw, clock=clock) == first
    assert not [q for q in statements if "api_token" in q]


def test_an_unknown_token_is_never_kept(session_factory: sessionmaker[Session], clock: FixedClock) -> None:
    raw = "sa_" + "x" * 43
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            _lookup(session_factory, raw, clock)
        assert cached_principal(raw, clock=clock) is None


def test_a_kept_token_still_expires_on_time(
    session_factory: sessionmaker[Session], clock: FixedClock, officer: Principal
) -> None:
    raw, _ = _token(session_factory, clock, officer)
    clock.advance(timedelta(days=1) - timedelta(seconds=1))
    _lookup(session_factory, raw, clock)
    clock.advance(timedelta(seconds=1))
    assert cached_principal(raw, clock=clock) is None
    with pytest.raises(AuthenticationError):
        _lookup(session_factory, raw, clock)


def test_revoking_here_is_seen_at_once(
    session_factory: sessionmaker[Session], clock: FixedClock, officer: Principal
) -> None:
    raw, token_id = _token(session_factory, clock, officer)
    _lookup(session_factory, raw, clock)
    with unit_of_work(session_factory) as s:
        revoke_token(s, actor=None, token_id=token_id, clock=clock)
    with pytest.raises(AuthenticationError):
        _lookup(session_factory, raw, clock)


def test_disabling_the_user_or_changing_roles_here_is_seen_at_once(
    session_factory: sessionmaker[Session], clock: FixedClock, officer: Principal
) -> None:
    raw, _ = _token(session_factory, clock, officer)
    assert "program:approve" in _lookup(session_factory, raw, clock).permissions
    with unit_of_work(session_factory) as s:
        service.set_roles(
            s, actor=None, user_id=officer.user_id, organization_id=officer.org_id, roles=["admin"],
            clock=clock,
        )  # fmt: skip
    assert "program:approve" not in _lookup(session_factory, raw, clock).permissions
    with unit_of_work(session_factory) as s:
        service.set_active(s, actor=None, user_id=officer.user_id, active=False, clock=clock)
    with pytest.raises(AuthenticationError):
        _lookup(session_factory, raw, clock)


def test_a_lookup_that_began_before_a_change_is_not_kept(clock: FixedClock, officer: Principal) -> None:
    # Another request read the token's row, then a revocation committed before it stored
    # what it read: what it read must not be reused.
    before = token_cache.generation()
    token_cache.forget_all()
    token_cache.remember("h" * 64, clock.now() + timedelta(days=1), officer, before)
    assert token_cache.recall("h" * 64, clock.now()) is None


def test_a_revocation_by_another_process_is_seen_within_the_ttl(
    engine: Engine, session_factory: sessionmaker[Session], clock: FixedClock, officer: Principal
) -> None:
    raw, token_id = _token(session_factory, clock, officer)
    _lookup(session_factory, raw, clock)
    # As the CLI or another uvicorn worker would: the row changes, this process is not told.
    with engine.begin() as conn:
        conn.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=clock.now()))
    time.sleep(token_cache.TTL_SECONDS)
    with pytest.raises(AuthenticationError):
        _lookup(session_factory, raw, clock)
