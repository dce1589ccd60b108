"""Pure rules of third-party transfers (AECA §3; SAMM C8.7; domain.md §6 and §2 note (d)).

No database: the kinds a request may have, which of them move custody, which need a
return date, which are outside §3(d) certification, and how long an approval stands.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

Kind = Literal[
    "retransfer",
    "end_use_change",
    "temporary_repair",
    "temporary_exercise",
    "temporary_display",
    "disposal",
    "demilitarization",
]
KINDS: tuple[Kind, ...] = (
    "retransfer",
    "end_use_change",
    "temporary_repair",
    "temporary_exercise",
    "temporary_display",
    "disposal",
    "demilitarization",
)
STATUSES = ("requested", "approved", "denied", "executed", "returned")

# Kinds that hand title or possession to the recipient (custody moves on execution).
MOVES: frozenset[str] = frozenset(
    {"retransfer", "temporary_repair", "temporary_exercise", "temporary_display"}
)
# Temporary transfers: possession only, with a return date.
TEMPORARY: frozenset[str] = frozenset({"temporary_repair", "temporary_exercise", "temporary_display"})
# Kinds that end accountability in place on execution (the custody event they record).
IN_PLACE_END: dict[str, Literal["disposed", "demilitarized"]] = {
    "disposal": "disposed",
    "demilitarization": "demilitarized",
}

# How long a consent stands when State does not say (a policy choice of this system, not a
# statutory period: UNCONFIRMED — no source in domain.md fixes a validity for TPT consent).
APPROVAL_DAYS = 365


def certification_exclusion(kind: str) -> str | None:
    """Why a request of ``kind`` needs no §3(d) congressional certification, or None.

    §3(d) covers consent to transfers of title or possession [S124]. It does not apply to
    temporary transfers for repair (domain.md §2 note (d)); a change of end use, a disposal or a
    demilitarization in the holder's own hands transfers nothing to a third party. The other
    exclusions of note (d) (maintenance parts adding no capability, NATO cooperative
    cross-servicing, lead-nation procurement named in the §36(b) notice) are not kinds of
    this request: lead-nation transfers have their own path.
    """
    if kind == "temporary_repair":
        return "temporary transfer for repair (AECA §3(d), domain.md §2 note (d))"
    if kind not in MOVES:
        return f"{kind.replace('_', ' ')} transfers no title or possession to a third party"
    return None


def approval_expires(decided_on: date, valid_until: date | None) -> date:
    """The last day an approval may be executed (inclusive)."""
    return valid_until if valid_until is not None else decided_on + timedelta(days=APPROVAL_DAYS)


def return_overdue(return_by: date | None, returned_on: date | None, day: date) -> bool:
    """A temporary transfer not returned by its return date is overdue from the next day."""
    return return_by is not None and returned_on is None and return_by < day
