"""Amendments and modifications of an accepted case (SAMM C6.7 [S24]; domain.md §1.4).

* An **amendment** changes scope (new lines, changed quantities); it needs the purchaser's
  acceptance, and its changes apply to the case when it is accepted.
* A **modification** is a unilateral USG change with no change in scope; it applies at
  once. Its reason is one of SAMM C6.7's [S24]: an estimated cost change (new unit costs),
  a delivery delay, a payment-schedule change, or a fix of an administrative error — the
  last three change no line. The USG issues one when total cost rises by at most 10% [S24];
  above that the modification carries a warning.

Each kind has its own number sequence per case (amendment 1, 2, …; modification 1, 2, …)
and its own history (events on the case). Neither is allowed on a closed case.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secassist.cases import lifecycle
from secassist.cases.common import (
    add_event,
    as_date,
    audited_change,
    case_for_write,
    clock_of,
    lines_of,
    require_developer,
    text,
    touch,
    values,
)
from secassist.cases.lifecycle import Status
from secassist.cases.lines import line_value, new_line, next_line_number, parse_quantity
from secassist.cases.models import Amendment, Case, CaseLine
from secassist.cases.schemas import NewLine
from secassist.core.clock import Clock
from secassist.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.core.types import to_money
from secassist.identity.permissions import OrgKind
from secassist.identity.policy import Principal
from secassist.storage.base import Base

GROWTH_WARNING = Decimal("0.10")  # SAMM C6.7: modifications for cost growth up to 10% [S24]
# Why the USG issues a modification: the examples SAMM C6.7 gives of changes without a change
# in scope (domain.md §1.4) [S24]. Only a cost change sets new unit costs.
MODIFICATION_REASONS: dict[str, str] = {
    "cost": "estimated cost change",
    "delivery_schedule": "delivery delay or schedule change",
    "payment_schedule": "payment-schedule change",
    "administrative": "correction of an administrative error",
}
REQUIRED_LINE_FIELDS = ("item_type", "description", "quantity", "unit_cost")
LINE_FIELDS = (
    *REQUIRED_LINE_FIELDS,
    "usml_category",
    "mde",
    "sme",
    "eeum",
    "design_construction",
    "contractor_org_id",
)


def _amendable(case: Case, kind: str) -> None:
    if case.status == Status.closed.value:
        raise ValidationFailedError(
            f"case: case {case.identifier} is closed; no {kind} is possible", field="case"
        )
    if Status(case.status) not in lifecycle.AMENDABLE:
        raise ValidationFailedError(
            f"case: a {kind} changes an accepted or implemented case; {case.identifier} is {case.status}",
            field="case",
        )


def _next_number(session: Session, case_id: int, kind: str) -> int:
    top = session.scalar(
        select(func.max(Amendment.number)).where(Amendment.case_id == case_id, Amendment.kind == kind)
    )
    return (top or 0) + 1


def _by_number(lines: Sequence[CaseLine], number: str, field: str) -> CaseLine:
    key = str(number).strip().zfill(3)
    for ln in lines:
        if ln.number == key:
            return ln
    raise ValidationFailedError(f"{field}: the case has no line {number!r}", field=field)


def _on(on: date | None, clock: Clock) -> date:
    day = clock.today() if on is None else as_date(on, "on")
    if day > clock.today():
        raise ValidationFailedError("on: cannot be in the future", field="on")
    return day


def propose_amendment(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    description: str,
    new_lines: Sequence[NewLine] = (),
    quantity_changes: Mapping[str, object] | None = None,
    expected_version: int | None = None,
    clock: Clock | None = None,
) -> Amendment:
    """Propose an amendment: lines to add and line quantities to change (a quantity of 0
    removes the line's scope). Nothing changes on the case until it is accepted.
    Tag ``case:amendment:proposed``."""
    c = clock_of(clock)
    case = case_for_write(session, actor, case_id, expected_version)
    require_developer(actor, "propose amendments")
    _amendable(case, "amendment")
    desc = text(description, "description", required=True)
    if not new_lines and not quantity_changes:
        raise ValidationFailedError("changes: an amendment adds lines or changes quantities", field="changes")
    lines = lines_of(session, case.id)
    staged: list[dict[str, object]] = []
    added = Decimal("0.00")
    for i, spec in enumerate(new_lines):
        # The type says which fields a line has; a caller's dict is checked all the same.
        unknown = set(spec) - set(LINE_FIELDS)
        if unknown:
            raise ValidationFailedError(
                f"new_lines[{i}]: unknown field {sorted(unknown)[0]!r}", field="new_lines"
            )
        missing = [f for f in REQUIRED_LINE_FIELDS if f not in spec]
        if missing:
            raise ValidationFailedError(f"new_lines[{i}]: missing field {missing[0]!r}", field="new_lines")
        probe = new_line(session, case, number="000", **spec)  # validates; never added
        staged.append({**spec, "value": str(probe.value)})
        added += probe.value
    changes: dict[str, int] = {}
    for number, qty in (quantity_changes or {}).items():
        line = _by_number(lines, number, "quantity_changes")
        changes[line.number] = parse_quantity(qty, allow_zero=True)
    _, _, before, _ = values(lines)
    after = before + added
    for ln in lines:
        if ln.number in changes:
            after += line_value(changes[ln.number], ln.unit_cost) - ln.value
    amendment = Amendment(
        case_id=case.id,
        kind="amendment",
        number=_next_number(session, case.id, "amendment"),
        description=desc,
        status="proposed",
        value_before=before,
        value_after=after,
        changes=json.dumps({"new_lines": staged, "quantities": changes}, sort_keys=True, default=str),
        warning=None,
        created_on=c.today(),
        accepted_on=None,
        created_at=c.now(),
    )
    session.add(amendment)
    touch(case, c)
    ev = add_event(
        session, case, kind="amendment", on=c.today(), actor=actor, clock=c,
        detail=f"amendment {amendment.number} proposed: {desc} ({before} → {after})",
    )  # fmt: skip
    audited_change(
        session,
        actor=actor,
        tag="case:amendment:proposed",
        subject_id=case.id,
        rows=[case, amendment, ev],
        clock=c,
    )
    return amendment


def accept_amendment(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    number: int,
    on: date | None = None,
    expected_version: int | None = None,
    clock: Clock | None = None,
) -> Amendment:
    """Record the purchaser's acceptance of an amendment (the purchaser itself, or the
    USG recording its signature) and apply its changes. Tag ``case:amendment:accepted``."""
    c = clock_of(clock)
    case = case_for_write(session, actor, case_id, expected_version)
    if actor is not None and actor.org_kind not in (OrgKind.partner, OrgKind.dod, OrgKind.state):
        raise PermissionDeniedError(f"{actor.username} may not accept amendments")
    _amendable(case, "amendment")
    day = _on(on, c)
    amendment = session.scalar(
        select(Amendment).where(
            Amendment.case_id == case.id, Amendment.kind == "amendment", Amendment.number == number
        )
    )
    if amendment is None:
        raise NotFoundError("amendment not found")
    if amendment.status != "proposed":
        raise ValidationFailedError(f"number: amendment {number} is {amendment.status}", field="number")
    changes = json.loads(amendment.changes)
    lines = lines_of(session, case.id)
    rows: list[Base] = [case, amendment]
    for number_, qty in changes["quantities"].items():
        line = _by_number(lines, number_, "quantity_changes")
        line.quantity, line.value = qty, line_value(qty, line.unit_cost)
        rows.append(line)
    for spec in changes["new_lines"]:
        args = {k: v for k, v in spec.items() if k in LINE_FIELDS}
        line = new_line(session, case, number=next_line_number(session, case.id), **args)
        session.add(line)
        session.flush()
        rows.append(line)
    amendment.status, amendment.accepted_on = "accepted", day
    touch(case, c)
    ev = add_event(
        session, case, kind="amendment", on=day, actor=actor, clock=c,
        detail=f"amendment {amendment.number} accepted",
    )  # fmt: skip
    audited_change(
        session, actor=actor, tag="case:amendment:accepted", subject_id=case.id, rows=[*rows, ev], clock=c
    )
    return amendment


def issue_modification(
    session: Session,
    *,
    actor: Principal | None,
    case_id: int,
    description: str,
    unit_costs: Mapping[str, object] | None = None,
    reason: str = "cost",
    expected_version: int | None = None,
    clock: Clock | None = None,
) -> Amendment:
    """Issue a modification, applied at once: a unilateral USG change with no change in
    scope (SAMM C6.7 [S24]; domain.md §1.4). ``reason`` is one of
    :data:`MODIFICATION_REASONS`: a cost change sets new estimated unit costs for existing
    lines (at least one); a delivery delay, a payment-schedule change or an administrative
    correction records the change its description states, with new unit costs only if the
    change also moves them. Warns when the case's total grows by more than 10% [S24].
    Tag ``case:modification:issued``."""
    c = clock_of(clock)
    case = case_for_write(session, actor, case_id, expected_version)
    require_developer(actor, "issue modifications")
    _amendable(case, "modification")
    if reason not in MODIFICATION_REASONS:
        raise ValidationFailedError(
            f"reason: one of {', '.join(MODIFICATION_REASONS)}, not {reason!r}", field="reason"
        )
    desc = text(description, "description", required=True)
    if reason == "cost" and not unit_costs:
        raise ValidationFailedError(
            "unit_costs: a cost modification changes at least one unit cost", field="unit_costs"
        )
    lines = lines_of(session, case.id)
    new_costs = {
        _by_number(lines, n, "unit_costs").number: to_money(v, field="unit_costs")
        for n, v in (unit_costs or {}).items()
    }
    _, _, before, _ = values(lines)
    rows: list[Base] = [case]
    for ln in lines:
        if ln.number in new_costs:
            ln.unit_cost = new_costs[ln.number]
            ln.value = line_value(ln.quantity, ln.unit_cost)
            rows.append(ln)
    _, _, after, _ = values(lines)
    warning = None
    if before > 0 and after > before * (1 + GROWTH_WARNING):
        growth = ((after - before) / before * 100).quantize(Decimal("0.1"))
        warning = (
            f"total cost grows {growth}% ({before} → {after}), more than 10%: modifications are for "
            "cost growth up to 10% (SAMM C6.7 [S24]); consider an amendment"
        )
    mod = Amendment(
        case_id=case.id,
        kind="modification",
        number=_next_number(session, case.id, "modification"),
        description=desc,
        status="issued",
        value_before=before,
        value_after=after,
        changes=json.dumps(
            {"reason": reason, "unit_costs": {k: str(v) for k, v in new_costs.items()}}, sort_keys=True
        ),
        warning=warning,
        created_on=c.today(),
        accepted_on=None,
        created_at=c.now(),
    )
    session.add(mod)
    touch(case, c)
    flag = " — WARNING: more than 10% growth" if warning else ""
    ev = add_event(
        session, case, kind="modification", on=c.today(), actor=actor, clock=c,
        detail=f"modification {mod.number} issued ({MODIFICATION_REASONS[reason]}): {desc} "
               f"({before} → {after}){flag}",
    )  # fmt: skip
    audited_change(
        session,
        actor=actor,
        tag="case:modification:issued",
        subject_id=case.id,
        rows=[*rows, mod, ev],
        clock=c,
    )
    return mod
