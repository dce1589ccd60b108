"""A short-lived, per-process memory of the principal behind each bearer token.

Every API request presents a bearer token; looking its principal up (token, user,
organization and roles: one indexed statement) was a database round trip and a worker-thread
hop on every request. A principal found valid is kept here for :data:`TTL_SECONDS`, keyed by
the token's SHA-256 (never the raw token), so a client making many requests costs one
lookup per token every few seconds.

What it does not weaken:

* **Expiry** is checked on every request against the caller's clock (the kept entry
  carries the token's ``expires_at``), so a token stops working at its expiry time
  exactly, cached or not.
* **Revocation, disabling a user, changing their roles** in this process forget every
  kept principal at once and again when their transaction commits
  (:func:`forget_on_commit`, called by ``tokens.revoke_token``, ``service.set_active`` and
  ``service.set_roles``): the next request looks the token up again. Done in another
  process (another uvicorn worker, the CLI), they take effect in this one within
  :data:`TTL_SECONDS` — the bound the deployment accepts for a revocation to reach every
  worker (docs/operations.md). An unknown, revoked or expired token is
  never kept: each such request is looked up (and refused) on its own.

Why a TTL cache and not only a prepared statement: the statement is already prepared
(``tokens._TOKEN_PRINCIPAL``); what remains per request is the round trip, PostgreSQL's
work on it, and the thread hop that blocking I/O needs — only not asking removes those.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from secassist.identity.policy import Principal

# Seconds a principal is reused before its token is looked up again: the longest a
# revocation, a disabled user or a role change made by another process goes unseen here.
TTL_SECONDS = 2.0
# Bound on the entries kept (valid tokens only); past it the memory starts afresh.
MAX_ENTRIES = 4096

_lock = threading.Lock()
# token hash -> (monotonic time it was looked up, the token's expiry, its principal)
_entries: dict[str, tuple[float, datetime, Principal]] = {}
# Bumped by forget_all: an entry looked up before a change must not be stored after it.
_generation = 0


def generation() -> int:
    """The current generation; pass it back to :func:`remember` with what was looked up."""
    return _generation


def recall(token_hash: str, at: datetime) -> Principal | None:
    """The principal kept for ``token_hash`` if it was looked up less than
    :data:`TTL_SECONDS` ago and the token has not expired at ``at``; else None."""
    entry = _entries.get(token_hash)
    if entry is None:
        return None
    fetched, expires_at, principal = entry
    if time.monotonic() - fetched >= TTL_SECONDS or expires_at <= at:
        return None
    return principal


def remember(token_hash: str, expires_at: datetime, principal: Principal, looked_up_in: int) -> None:
    """Keep a principal just found valid; ignored when :func:`forget_all` ran since the
    lookup began (generation ``looked_up_in``), since it may predate that change."""
    with _lock:
        if looked_up_in != _generation:
            return
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[token_hash] = (time.monotonic(), expires_at, principal)


def forget_all() -> None:
    """Forget every kept principal: a token, user or role changed in this process."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def forget_on_commit(session: Session) -> None:
    """Forget every kept principal now and when ``session`` commits: a lookup made by
    another request between the change and its commit still read the old row, and must
    not outlive the commit."""
    forget_all()
    event.listen(session, "after_commit", lambda _session: forget_all(), once=True)
