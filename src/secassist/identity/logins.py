"""Logins and web sessions: password checks with lockout, and the browser sessions a
login opens (a random id in the cookie, its SHA-256 in the database).

Every state change writes exactly one audit entry through :func:`secassist.audit.service.record`.
Services take the session explicitly and never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from secassist.audit.service import SYSTEM, add_recorded, record
from secassist.core.clock import Clock, now
from secassist.identity import passwords
from secassist.identity.errors import AuthenticationError
from secassist.identity.models import User, WebSession
from secassist.identity.policy import Principal, actor_of
from secassist.identity.service import get_user, principal_for, sha256_hex

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=8)


# --- logins ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """The outcome of :func:`authenticate`; ``reason`` is for the log, never for the user."""

    principal: Principal | None
    reason: str  # "ok", "invalid", "locked", "disabled"


def authenticate(
    session: Session, *, username: str, password: str, clock: Clock | None = None
) -> LoginResult:
    """Check a password. Failures are counted and audited; after five the account locks
    for 15 minutes (NIST SP 800-63B §5.2.2 rate limiting). Returns instead of raising, so
    the caller's unit of work commits the failure count before answering 401."""
    at = now(clock)
    # FOR UPDATE: concurrent wrong guesses must not overwrite each other's failure count.
    user = session.scalar(select(User).where(User.username == username.strip().lower()).with_for_update())
    if user is None:
        passwords.verify_password(None, password)  # same cost as a wrong password (a dummy hash)
        record(
            session,
            actor=SYSTEM,
            tag="identity:login:unknown_user",
            # A digest, not the name: people type passwords into the username field,
            # and the log keeps everything forever. Repeated probes still show up.
            subject_type="username_sha256",
            subject_id=sha256_hex(username.strip().lower())[:32],
            clock=clock,
        )
        return LoginResult(None, "invalid")
    # Every branch pays one password verification, whatever its outcome, so that the time
    # of the answer tells nothing about the account (unknown, locked, disabled or real):
    # NIST SP 800-63B §5.2.2 throttles guessing, it must not open a timing oracle.
    ok = passwords.verify_password(user.password_hash, password)
    if user.locked_until is not None and user.locked_until > at:
        record(
            session,
            actor=SYSTEM,
            tag="identity:login:refused_locked",
            subject_type="user",
            subject_id=user.id,
            clock=clock,
        )
        return LoginResult(None, "locked")
    if ok and not user.is_active:
        record(
            session,
            actor=SYSTEM,
            tag="identity:login:refused_disabled",
            subject_type="user",
            subject_id=user.id,
            clock=clock,
        )
        return LoginResult(None, "disabled")
    if not ok:
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.locked_until = at + LOCKOUT
            user.failed_logins = 0
        add_recorded(
            session,
            [user],
            actor=SYSTEM,
            tag="identity:login:locked" if locked else "identity:login:failed",
            subject_type="user",
            subject_id=user.id,
            clock=clock,
        )
        return LoginResult(None, "locked" if locked else "invalid")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = at
    principal = principal_for(session, user)
    add_recorded(
        session,
        [user],
        actor=actor_of(principal),
        tag="identity:login:succeeded",
        subject_type="user",
        subject_id=user.id,
        clock=clock,
    )
    return LoginResult(principal, "ok")


# --- web sessions ----------------------------------------------------------------


def start_web_session(
    session: Session, *, user_id: int, clock: Clock | None = None
) -> tuple[str, WebSession]:
    """A new browser session (a fresh random id at every login: no session fixation).
    Returns the raw id for the cookie; only its SHA-256 is stored."""
    raw = secrets.token_urlsafe(32)
    at = now(clock)
    ws = WebSession(
        id_hash=sha256_hex(raw),
        user_id=user_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=at,
        expires_at=at + SESSION_TTL,
        ended_at=None,
    )
    session.add(ws)
    session.flush()
    return raw, ws


def resolve_web_session(
    session: Session, raw: str, *, clock: Clock | None = None
) -> tuple[Principal, WebSession]:
    """The principal behind a session cookie, or AuthenticationError when it is unknown,
    ended, expired, or its user disabled."""
    ws = session.scalar(select(WebSession).where(WebSession.id_hash == sha256_hex(raw)))
    if ws is None or ws.ended_at is not None or ws.expires_at <= now(clock):
        raise AuthenticationError("session expired; log in again")
    user = get_user(session, ws.user_id)
    if not user.is_active:
        raise AuthenticationError("session expired; log in again")
    return principal_for(session, user), ws


def end_web_session(session: Session, raw: str, *, clock: Clock | None = None) -> None:
    """Log out: the session id stops working at once (idempotent)."""
    ws = session.scalar(select(WebSession).where(WebSession.id_hash == sha256_hex(raw)))
    if ws is not None and ws.ended_at is None:
        ws.ended_at = now(clock)
