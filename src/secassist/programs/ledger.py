"""Pure ledger arithmetic: balances over dated changes, without a database.

A *pool* is money that later entries draw on: an appropriation (drawn by allocations),
an allocation (drawn by obligations), an obligation (drawn by expenditures). A pool's
balance on day ``t`` is the sum of its dated changes on or before ``t`` (credits
positive, draws negative). The ledger is readable as of any date, so an entry dated
``d`` must leave the pool non-negative on ``d`` *and on every later day*: drawing
``x`` is allowed only if :func:`headroom` from ``d`` is at least ``x``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def balance(changes: Iterable[tuple[date, int]], on: date) -> int:
    """The pool's balance at the end of ``on``."""
    return sum(amount for day, amount in changes if day <= on)


def headroom(changes: Iterable[tuple[date, int]], start: date) -> int:
    """The least end-of-day balance on ``start`` or any later day: the most that may be
    drawn on ``start`` without the pool going negative on some day."""
    items = list(changes)
    running = balance(items, start)
    lowest = running
    later: dict[date, int] = {}
    for day, amount in items:
        if day > start:
            later[day] = later.get(day, 0) + amount
    for day in sorted(later):
        running += later[day]
        lowest = min(lowest, running)
    return lowest
