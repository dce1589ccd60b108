"""Shared CLI plumbing: settings, engine, unit of work, read session, argument parsing, and
who is acting (:func:`acting`)."""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from secassist.cli.output import Format
from secassist.core.config import Settings, load_settings
from secassist.core.errors import PermissionDeniedError, ValidationFailedError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from secassist.identity.policy import Principal

# SQLAlchemy and Alembic are imported inside the functions that need a database, so
# commands that only read packaged data (``reference …``) start in a fraction of the time.

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def parse_date(value: str, *, option: str) -> date:
    """Parse YYYY-MM-DD exactly (Python's fromisoformat would also take 20240307 or 2024-W10-4)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailedError(f"{option}: {value!r} is not a date (YYYY-MM-DD)", field=option) from None


def settings() -> Settings:
    return load_settings()


def engine(*, require_migrated: bool = True) -> Engine:
    from secassist.storage.engine import engine_from_settings, ping
    from secassist.storage.migrate import ensure_at_head

    s = settings()
    eng = engine_from_settings(s)
    try:
        ping(eng)
        if require_migrated:
            ensure_at_head(eng)
    except BaseException:
        # A refused database still had a connection opened: close it, so nothing of the
        # command outlives it (the tests run many commands in one process).
        eng.dispose()
        raise
    return eng


@contextmanager
def uow() -> Iterator[Session]:
    """One CLI command, one transaction."""
    from secassist.storage.engine import make_session_factory
    from secassist.storage.uow import unit_of_work

    eng = engine()
    try:
        with unit_of_work(make_session_factory(eng)) as session:
            yield session
    finally:
        eng.dispose()


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading: never takes the write lock, always rolled back."""
    from secassist.storage.engine import make_session_factory
    from secassist.storage.uow import read_only

    eng = engine()
    try:
        with read_only(make_session_factory(eng)) as session:
            yield session
    finally:
        eng.dispose()


# --- who is acting ------------------------------------------------------------------

AS_ENV = "SECASSIST_AS"
_ACTOR_KEY = "secassist.cli.actor"


class ActorRequiredError(PermissionDeniedError):
    """A writing command that cannot name the person running it."""

    code = "cli.actor_required"
    title = "Who is acting?"


class _Acting:
    """The ``--as`` of this invocation (set by the root callback, ``cli/main.py``)."""

    username: str | None = None


_acting = _Acting()


def set_acting_as(username: str | None) -> None:
    """Record the root option ``--as USER`` (or ``SECASSIST_AS``) for :func:`acting`."""
    _acting.username = (username or "").strip() or None


def os_user() -> str | None:
    """The operating-system account running the command, if the platform tells."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def acting(session: Session) -> Principal | None:
    """The secassist user a writing command acts as, so its audit entries name a person
    and the services apply that person's permissions and duties (issue #16):

    1. ``--as USER`` (root option) or ``SECASSIST_AS=USER``: that user; unknown or
       disabled is an error;
    2. otherwise the user the operating-system account is mapped to
       (``users add … --os-user NAME`` or ``users map-os-user``);
    3. otherwise, only while the database has no user account at all, nobody: the
       installation's first organizations, users and lists are recorded as the system;
    4. otherwise refused with ``cli.actor_required``.

    Read-only commands do not call it: reading needs no actor. Resolved once per unit of
    work (cached on the session)."""
    if _ACTOR_KEY in session.info:
        cached: Principal | None = session.info[_ACTOR_KEY]
        return cached
    principal = _resolve(session)
    session.info[_ACTOR_KEY] = principal
    return principal


def _resolve(session: Session) -> Principal | None:
    from sqlalchemy import select

    from secassist.core.errors import NotFoundError
    from secassist.identity.models import User
    from secassist.identity.service import principal_for, user_by_name, user_by_os_user

    if _acting.username is not None:
        try:
            user = user_by_name(session, _acting.username)
        except NotFoundError:
            raise ActorRequiredError(
                f"--as: no user {_acting.username!r} (from --as or {AS_ENV})", field="as"
            ) from None
        if not user.is_active:
            raise ActorRequiredError(f"--as: user {user.username!r} is disabled", field="as")
        return principal_for(session, user)
    account = os_user()
    mapped = user_by_os_user(session, account) if account else None
    if mapped is not None:
        if not mapped.is_active:
            raise ActorRequiredError(
                f"--as: user {mapped.username!r} (mapped to the account {account!r}) is disabled", field="as"
            )
        return principal_for(session, mapped)
    if session.scalar(select(User.id).limit(1)) is None:
        return None  # no accounts yet: the installation's bootstrap
    raise ActorRequiredError(
        f"--as: name the user you act as (--as USER or {AS_ENV}=USER), or map the account "
        f"{account or '(unknown)'!r} to your user (users map-os-user USER {account or 'NAME'}); "
        "a change is recorded under a person's name, not the system's",
        field="as",
    )
