"""The FMS case lifecycle as a pure transition table with guards (no database).

Statuses follow domain.md §1.1–§1.2 (SAMM C5/C6 [S8][S9][S11][S12][S16][S17]):

``lor_received → lor_complete → in_development → written → reviewed → proposed → offered
→ accepted → implemented → supply_services_complete → closed``, plus the side exits
``cancelled``, ``offer_expired`` and ``restated``.

* An LOR counts as complete only when the completeness check finds nothing missing
  (SAMM C5.1, LOR content [S2]).
* ``offered`` needs an Offer Expiration Date after the offer date, and the offer gates
  (vetting, notification, funding) must have been consulted by the offer workflow [S8][S11].
* ``accepted`` happens on or before the OED and records the initial deposit [S12].
* ``restated`` only while the document is offered and not past its OED; modifications are
  never restated [S9].
* ``offer_expired`` only after the OED has passed [S9].
* ``supply_services_complete`` when every line is SSC; ``closed`` after SSC [S16][S17].
* Cancellation (SAMM C6.8 [S12]) is open from any status before SSC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from secassist.cases.errors import TransitionConflictError, TransitionNotAllowedError


class Status(StrEnum):
    lor_received = "lor_received"
    lor_complete = "lor_complete"
    in_development = "in_development"
    written = "written"
    reviewed = "reviewed"
    proposed = "proposed"
    offered = "offered"
    accepted = "accepted"
    implemented = "implemented"
    supply_services_complete = "supply_services_complete"
    closed = "closed"
    cancelled = "cancelled"
    offer_expired = "offer_expired"
    restated = "restated"


S = Status
LABELS: dict[Status, str] = {
    S.lor_received: "LOR received",
    S.lor_complete: "LOR complete",
    S.in_development: "In development (D)",
    S.written: "Written (W)",
    S.reviewed: "Reviewed (R)",
    S.proposed: "Proposed (P)",
    S.offered: "Offered",
    S.accepted: "Accepted",
    S.implemented: "Implemented",
    S.supply_services_complete: "Supply/services complete",
    S.closed: "Closed",
    S.cancelled: "Cancelled",
    S.offer_expired: "Offer expired",
    S.restated: "Restated",
}

# The main line, in order (for timelines and dwell time).
MAIN_LINE: tuple[Status, ...] = (
    S.lor_received,
    S.lor_complete,
    S.in_development,
    S.written,
    S.reviewed,
    S.proposed,
    S.offered,
    S.accepted,
    S.implemented,
    S.supply_services_complete,
    S.closed,
)
TERMINAL = frozenset({S.closed, S.cancelled})
# Before the offer, lines are edited directly; after acceptance only through amendments
# and modifications; while offered, only through a restatement.
EDITABLE = frozenset({S.lor_received, S.lor_complete, S.in_development, S.written, S.reviewed, S.restated})
AMENDABLE = frozenset({S.accepted, S.implemented})
# What a purchaser (partner) may do itself: accept the offer (and cancel its own request
# before anything is offered).
PURCHASER_MAY = frozenset({S.accepted})

_CANCELLABLE = frozenset(MAIN_LINE[:9]) | {S.offer_expired, S.restated}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.lor_received: frozenset({S.lor_complete}),
    S.lor_complete: frozenset({S.in_development}),
    S.in_development: frozenset({S.written}),
    S.written: frozenset({S.reviewed, S.in_development}),
    S.reviewed: frozenset({S.proposed, S.written}),
    S.proposed: frozenset({S.offered, S.reviewed}),
    S.offered: frozenset({S.accepted, S.restated, S.offer_expired}),
    S.restated: frozenset({S.offered}),
    S.accepted: frozenset({S.implemented}),
    S.implemented: frozenset({S.supply_services_complete}),
    S.supply_services_complete: frozenset({S.closed}),
    S.offer_expired: frozenset(),
    S.closed: frozenset(),
    S.cancelled: frozenset(),
}
TRANSITIONS = {k: v | ({S.cancelled} if k in _CANCELLABLE else frozenset()) for k, v in TRANSITIONS.items()}


@dataclass(frozen=True)
class Context:
    """What the guards need to know about the case on the transition's date."""

    on: date
    lor_missing: tuple[str, ...] = ()
    line_count: int = 0
    open_lines: int = 0
    offer_expires_on: date | None = None
    initial_deposit: Decimal | None = None
    gates_checked: bool = False


def parse_status(value: str, *, field: str = "to") -> Status:
    """A status from its name; an unknown one is an error naming ``field``."""
    try:
        return Status(value.strip().lower())
    except ValueError:
        raise TransitionNotAllowedError(
            f"{field}: unknown status {value!r}; one of {', '.join(s.value for s in Status)}", field=field
        ) from None


def next_statuses(current: Status) -> list[Status]:
    """The statuses reachable in one step from ``current``, main line first."""
    order = {s: i for i, s in enumerate(Status)}
    return sorted(TRANSITIONS[current], key=order.__getitem__)


def _reachable(start: Status) -> frozenset[Status]:
    """Every status a case can reach from ``start`` in one or more steps."""
    seen: set[Status] = set()
    todo = list(TRANSITIONS[start])
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo.extend(TRANSITIONS[s])
    return frozenset(seen)


REACHABLE: dict[Status, frozenset[Status]] = {s: _reachable(s) for s in Status}


def moved_past(current: Status, target: Status) -> list[Status]:
    """The statuses a move to ``target`` starts from that the case, now ``current``, has
    already left behind (it is at or beyond ``target`` by way of them). Non-empty means the
    move was right once and someone else moved the case on: a conflict, not bad input."""
    return [p for p in Status if target in TRANSITIONS[p] and current in REACHABLE[p]]


def check(current: Status, target: Status, ctx: Context) -> None:
    """Raise :class:`TransitionNotAllowedError` unless ``current → target`` is allowed now;
    :class:`TransitionConflictError` (409) when the case has moved past where the move
    starts (see :func:`moved_past`)."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(s.value for s in next_statuses(current)) or "none (terminal)"
        origins = moved_past(current, target)
        if origins:
            raise TransitionConflictError(
                f"to: the case is {current.value} now; the move to {target.value} starts from "
                f"{' or '.join(o.value for o in origins)} (allowed now: {allowed}); reload the case",
                field="to",
                current=current.value,
            )
        raise TransitionNotAllowedError(
            f"to: a case that is {current.value} cannot become {target.value} (allowed: {allowed})",
            field="to",
            current=current.value,
        )
    problem = _guard(current, target, ctx)
    if problem is not None:
        field, message = problem
        raise TransitionNotAllowedError(f"{field}: {message}", field=field, current=current.value)


def _guard(current: Status, target: Status, ctx: Context) -> tuple[str, str] | None:
    oed = ctx.offer_expires_on
    if target is S.lor_complete and ctx.lor_missing:
        return "lor", f"the LOR is incomplete; missing {', '.join(ctx.lor_missing)} (SAMM C5.1 [S2])"
    if target is S.written and ctx.line_count == 0:
        return "lines", "a case needs at least one line before it is written"
    if target is S.offered:
        if not ctx.gates_checked:
            return "to", "offering goes through the offer workflow, which checks the offer gates"
        if ctx.line_count == 0:
            return "lines", "a case without lines cannot be offered"
        if oed is None:
            return "offer_expires_on", "an offer needs an offer expiration date (OED)"
        if oed <= ctx.on:
            return "offer_expires_on", f"the OED {oed.isoformat()} must be after the offer date"
    if target is S.accepted:
        if oed is not None and ctx.on > oed:
            return "on", f"the offer expired on {oed.isoformat()}; it can no longer be accepted"
        if ctx.initial_deposit is None:
            return "initial_deposit", "acceptance records the initial deposit (SAMM C5 [S12])"
    if target is S.restated and oed is not None and ctx.on > oed:
        return "on", f"a restatement is allowed only before the OED ({oed.isoformat()}) [S9]"
    if target is S.offer_expired and (oed is None or ctx.on <= oed):
        when = oed.isoformat() if oed else "not set"
        return "on", f"the offer has not expired (OED {when})"
    if target is S.implemented and ctx.initial_deposit is None:
        return "initial_deposit", "implementation needs the initial deposit recorded [S12][S14]"
    if target is S.supply_services_complete and (ctx.line_count == 0 or ctx.open_lines):
        return "lines", f"{ctx.open_lines} line(s) are not yet supply/services complete [S16]"
    return None
