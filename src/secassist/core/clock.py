"""An injectable clock, so that services never read the wall clock directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, UTC-aware."""
        ...

    def today(self) -> date:
        """The current UTC date."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that stands still until told to move; for tests and replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return self._at.date()

    def advance(self, delta: timedelta) -> None:
        self._at += delta


_SYSTEM = SystemClock()


def now(clock: Clock | None = None) -> datetime:
    """The time on ``clock``; the system clock when None (a service called without one).

    The one way services and adapters read the time: a test or a replay passes a
    :class:`FixedClock` and every timestamp of the change follows it."""
    return (clock or _SYSTEM).now()
