"""The unit of work: the one place that commits.

Services take a ``Session`` and never commit; an adapter (one HTTP request, one CLI
command) opens a unit of work, calls services, and the unit of work commits once when
the block finishes without error. An exception rolls everything back, so an audit entry
and the change it records land together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from secassist.storage.engine import WRITE_OPTION, translate_error


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session
        session.commit()
    except (DBAPIError, PoolTimeoutError) as exc:
        session.rollback()
        mapped = translate_error(exc)
        if mapped is None:
            raise
        raise mapped from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_only(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for queries only: always rolled back, never commits (closing a session
    rolls its transaction back)."""
    session = factory()
    try:
        yield session
    finally:
        session.close()
