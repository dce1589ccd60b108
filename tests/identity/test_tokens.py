"""API tokens: stored hashed, scoped to a subset of the holder's permissions, expiring,
revocable, and never broader than the principal that issues them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.identity import queries, service
from secassist.identity.errors import AuthenticationError
from secassist.identity.models import ApiToken
from secassist.identity.permissions import Role, permissions_for
from secassist.identity.policy import Principal
from secassist.identity.tokens import (
    MAX_TOKEN_DAYS,
    TOKEN_PREFIX,
    issue_token,
    principal_from_token,
    revoke_token,
)
from secassist.storage.uow import read_only, unit_of_work
from tests.identity.factories import make_org, make_user, principal_of


@pytest.fixture
def people(session_factory: sessionmaker[Session], clock: FixedClock) -> dict[str, Principal]:
    with unit_of_work(session_factory) as s:
        state = make_org(s, "State PM", "state", clock=clock)
        pl = make_org(s, "Poland MoD", "partner", "PL", clock=clock)
        ig = make_org(s, "DoD IG", "auditor", clock=clock)
        return {
            "admin": principal_of(s, make_user(s, state, "admin1", ["admin"], clock=clock)),
            "officer": principal_of(s, make_user(s, state, "officer1", ["policy_officer"], clock=clock)),
            "anna": principal_of(s, make_user(s, pl, "anna", clock=clock)),
            "piotr": principal_of(s, make_user(s, pl, "piotr", clock=clock)),
            "ig": principal_of(s, make_user(s, ig, "ig1", clock=clock)),
        }


def issue(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    user: Principal,
    *,
    actor: Principal | None = None,
    scopes: list[str] | None = None,
    days: int = 90,
) -> tuple[str, int]:
    with unit_of_work(session_factory) as s:
        raw, token = issue_token(
            s, actor=actor, user_id=user.user_id, name="ci", scopes=scopes, days=days, clock=clock
        )
        return raw, token.id


def resolve(session_factory: sessionmaker[Session], clock: FixedClock, raw: str) -> Principal:
    with read_only(session_factory) as s:
        return principal_from_token(s, raw, clock=clock)


def test_token_is_stored_hashed_only(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    people: dict[str, Principal],
    audit_ok: Callable[[], None],
) -> None:
    raw, token_id = issue(session_factory, clock, people["anna"])
    assert raw.startswith(TOKEN_PREFIX)
    assert len(raw) > 40
    with read_only(session_factory) as s:
        row = s.get(ApiToken, token_id)
        assert row is not None
        assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        values = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
        assert not any(raw in v for v in values)
        assert raw[len(row.prefix) :] not in " ".join(values)  # only a short prefix is kept
        payloads = list(s.scalars(select(AuditEntry.payload)))
        assert not any(raw in p or raw[len(row.prefix) :] in p for p in payloads)
    audit_ok()


def test_default_scopes_are_the_users_permissions(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal]
) -> None:
    raw, _ = issue(session_factory, clock, people["anna"])
    p = resolve(session_factory, clock, raw)
    assert p.via_token
    assert p.permissions == permissions_for({Role.partner_staff})
    assert (p.user_id, p.country) == (people["anna"].user_id, "PL")


def test_scopes_narrow_the_principal(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal]
) -> None:
    raw, _ = issue(session_factory, clock, people["anna"], scopes=["case:read", "user:read"])
    assert resolve(session_factory, clock, raw).permissions == {"case:read", "user:read"}


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        (["case:approve"], "scopes: anna does not hold 'case:approve'"),
        (["case:read", "audit:read"], "scopes: anna does not hold 'audit:read'"),
        (["case:steal"], "scopes: unknown permission 'case:steal'"),
        (["launch"], "scopes: unknown permission 'launch'"),
    ],
)
def test_scopes_must_be_known_and_held(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    people: dict[str, Principal],
    scopes: list[str],
    message: str,
) -> None:
    with pytest.raises(ValidationFailedError) as err:
        issue(session_factory, clock, people["anna"], scopes=scopes)
    assert err.value.field == "scopes"
    assert err.value.message == message


@pytest.mark.parametrize("days", [0, -1, MAX_TOKEN_DAYS + 1])
def test_lifetime_is_bounded(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal], days: int
) -> None:
    with pytest.raises(ValidationFailedError) as err:
        issue(session_factory, clock, people["anna"], days=days)
    assert err.value.field == "days"


def test_token_expires(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal]
) -> None:
    raw, _ = issue(session_factory, clock, people["anna"], days=1)
    clock.advance(timedelta(days=1) - timedelta(seconds=1))
    resolve(session_factory, clock, raw)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(AuthenticationError):
        resolve(session_factory, clock, raw)
    with read_only(session_factory) as s:
        (token,) = queries.list_tokens(s, actor=None)
        assert queries.token_status(token, clock.now()) == "expired"


def test_token_is_revocable_once(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    people: dict[str, Principal],
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    raw, token_id = issue(session_factory, clock, people["anna"])
    for _ in range(2):
        with unit_of_work(session_factory) as s:
            revoke_token(s, actor=people["anna"], token_id=token_id, clock=clock)
    assert tags().count("identity:token:revoked") == 1
    with pytest.raises(AuthenticationError):
        resolve(session_factory, clock, raw)
    audit_ok()


@pytest.mark.parametrize("raw", ["", "sa_", "sa_not-a-real-token", "Bearer sa_x", "x" * 500])
def test_unknown_tokens_are_refused_alike(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal], raw: str
) -> None:
    with pytest.raises(AuthenticationError) as err:
        resolve(session_factory, clock, raw)
    assert err.value.message == "invalid or expired token"


def test_only_the_holder_or_an_admin_revokes(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal]
) -> None:
    raw, token_id = issue(session_factory, clock, people["anna"])
    for stranger in (people["piotr"], people["officer"]):
        with pytest.raises(NotFoundError) as err, unit_of_work(session_factory) as s:
            revoke_token(s, actor=stranger, token_id=token_id, clock=clock)
        with pytest.raises(NotFoundError) as missing, unit_of_work(session_factory) as s:
            revoke_token(s, actor=stranger, token_id=token_id + 100, clock=clock)
        assert err.value.to_problem() == missing.value.to_problem()
    resolve(session_factory, clock, raw)
    with unit_of_work(session_factory) as s:
        revoke_token(s, actor=people["admin"], token_id=token_id, clock=clock)
    with pytest.raises(AuthenticationError):
        resolve(session_factory, clock, raw)


def test_who_may_issue(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal]
) -> None:
    issue(session_factory, clock, people["anna"], actor=people["anna"])
    issue(session_factory, clock, people["anna"], actor=people["admin"])
    with pytest.raises(PermissionDeniedError):
        issue(session_factory, clock, people["anna"], actor=people["piotr"])
    with pytest.raises(PermissionDeniedError):
        issue(session_factory, clock, people["anna"], actor=people["officer"])
    # Auditors write nothing, tokens included; the administrator's console issues theirs.
    with pytest.raises(PermissionDeniedError):
        issue(session_factory, clock, people["ig"], actor=people["ig"])
    raw, _ = issue(session_factory, clock, people["ig"])
    assert all(p.endswith(":read") for p in resolve(session_factory, clock, raw).permissions)


def test_a_scoped_token_cannot_mint_a_broader_one(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal]
) -> None:
    raw, _ = issue(session_factory, clock, people["anna"], scopes=["token:write", "case:read"])
    narrow = resolve(session_factory, clock, raw)
    with pytest.raises(ValidationFailedError) as err:
        issue(session_factory, clock, people["anna"], actor=narrow, scopes=["case:write"])
    assert err.value.message == "scopes: anna does not hold 'case:write'"
    minted, _ = issue(session_factory, clock, people["anna"], actor=narrow)  # default: the actor's own
    assert resolve(session_factory, clock, minted).permissions == {"token:write", "case:read"}
    # And a token without token:write cannot issue at all.
    read_only_raw, _ = issue(session_factory, clock, people["anna"], scopes=["case:read"])
    with pytest.raises(PermissionDeniedError):
        issue(session_factory, clock, people["anna"], actor=resolve(session_factory, clock, read_only_raw))


def test_disabled_user_gets_no_token(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal]
) -> None:
    with unit_of_work(session_factory) as s:
        service.set_active(s, actor=None, user_id=people["anna"].user_id, active=False, clock=clock)
    with pytest.raises(ValidationFailedError) as err:
        issue(session_factory, clock, people["anna"])
    assert err.value.field == "user"


def test_list_tokens_is_own_or_admin(
    session_factory: sessionmaker[Session], clock: FixedClock, people: dict[str, Principal]
) -> None:
    issue(session_factory, clock, people["anna"])
    issue(session_factory, clock, people["piotr"])
    with read_only(session_factory) as s:
        assert {t.user_id for t in queries.list_tokens(s, actor=people["anna"])} == {people["anna"].user_id}
        assert len(queries.list_tokens(s, actor=people["admin"])) == 2
        assert len(queries.list_tokens(s, actor=None, user_id=people["piotr"].user_id)) == 1


def test_an_empty_scope_list_grants_nothing(
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    people: dict[str, Principal],
    tags: Callable[[], list[str]],
) -> None:
    """Issue #16: ``scopes=[]`` means no permission, not "all of the user's" (only an
    omitted list, None, means all). A token with no permission is refused at issue."""
    before = tags()
    for actor in (None, people["anna"]):
        with pytest.raises(ValidationFailedError) as err:
            issue(session_factory, clock, people["anna"], actor=actor, scopes=[])
        assert err.value.field == "scopes"
        assert "empty" in err.value.message
    assert tags() == before
    with read_only(session_factory) as s:
        assert s.scalars(select(ApiToken)).all() == []
    # A stored token whose scope list is empty (older data) resolves to no permission.
    raw, token_id = issue(session_factory, clock, people["anna"], scopes=["case:read"])
    with unit_of_work(session_factory) as s:
        row = s.get(ApiToken, token_id)
        assert row is not None
        row.scopes = ""
    assert resolve(session_factory, clock, raw).permissions == frozenset()
