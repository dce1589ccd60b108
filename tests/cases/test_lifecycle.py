"""The pure transition table and its guards (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from secassist.cases import lifecycle
from secassist.cases.errors import TransitionNotAllowedError
from secassist.cases.lifecycle import Context, Status

D = date(2026, 6, 1)
READY = Context(
    on=D,
    line_count=2,
    open_lines=0,
    offer_expires_on=date(2026, 9, 1),
    initial_deposit=Decimal("1000.00"),
    gates_checked=True,
)


def test_the_main_line_runs_from_lor_to_closure() -> None:
    for current, target in zip(lifecycle.MAIN_LINE, lifecycle.MAIN_LINE[1:], strict=False):
        lifecycle.check(current, target, READY)


def test_every_status_has_a_row_and_terminals_lead_nowhere() -> None:
    assert set(lifecycle.TRANSITIONS) == set(Status)
    assert lifecycle.TRANSITIONS[Status.closed] == frozenset()
    assert lifecycle.TRANSITIONS[Status.cancelled] == frozenset()
    assert Status.cancelled not in lifecycle.TRANSITIONS[Status.supply_services_complete]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.lor_received, Status.offered),
        (Status.in_development, Status.accepted),
        (Status.closed, Status.implemented),
        (Status.cancelled, Status.lor_complete),
        (Status.accepted, Status.restated),  # restatement only while offered [S9]
        (Status.implemented, Status.closed),  # closure only after SSC [S16]
        (Status.supply_services_complete, Status.cancelled),
    ],
)
def test_transitions_not_in_the_table_are_refused(current: Status, target: Status) -> None:
    with pytest.raises(TransitionNotAllowedError) as e:
        lifecycle.check(current, target, READY)
    assert e.value.field == "to"
    assert current.value in e.value.message
    assert target.value in e.value.message


def test_incomplete_lor_cannot_become_complete() -> None:
    ctx = Context(on=D, lor_missing=("reference_number", "end_users"))
    with pytest.raises(TransitionNotAllowedError) as e:
        lifecycle.check(Status.lor_received, Status.lor_complete, ctx)
    assert e.value.field == "lor"
    assert "reference_number, end_users" in e.value.message
    lifecycle.check(Status.lor_received, Status.lor_complete, Context(on=D))


def test_writing_needs_lines() -> None:
    with pytest.raises(TransitionNotAllowedError, match="at least one line"):
        lifecycle.check(Status.in_development, Status.written, Context(on=D))


@pytest.mark.parametrize(
    ("ctx", "field"),
    [
        (Context(on=D, line_count=1, offer_expires_on=date(2026, 9, 1)), "to"),  # gates not consulted
        (Context(on=D, line_count=1, gates_checked=True), "offer_expires_on"),
        (Context(on=D, line_count=1, gates_checked=True, offer_expires_on=D), "offer_expires_on"),
        (Context(on=D, gates_checked=True, offer_expires_on=date(2026, 9, 1)), "lines"),
    ],
)
def test_offer_guards(ctx: Context, field: str) -> None:
    with pytest.raises(TransitionNotAllowedError) as e:
        lifecycle.check(Status.proposed, Status.offered, ctx)
    assert e.value.field == field


def test_acceptance_needs_the_deposit_and_an_unexpired_offer() -> None:
    oed = date(2026, 9, 1)
    with pytest.raises(TransitionNotAllowedError) as e:
        lifecycle.check(Status.offered, Status.accepted, Context(on=D, offer_expires_on=oed))
    assert e.value.field == "initial_deposit"
    late = Context(on=date(2026, 9, 2), offer_expires_on=oed, initial_deposit=Decimal("1.00"))
    with pytest.raises(TransitionNotAllowedError) as e:
        lifecycle.check(Status.offered, Status.accepted, late)
    assert e.value.field == "on"
    lifecycle.check(
        Status.offered, Status.accepted, Context(on=oed, offer_expires_on=oed, initial_deposit=Decimal(0))
    )


def test_restatement_only_before_the_oed_and_expiry_only_after() -> None:
    oed = date(2026, 9, 1)
    lifecycle.check(Status.offered, Status.restated, Context(on=oed, offer_expires_on=oed))
    with pytest.raises(TransitionNotAllowedError, match="only before the OED"):
        lifecycle.check(Status.offered, Status.restated, Context(on=date(2026, 9, 2), offer_expires_on=oed))
    with pytest.raises(TransitionNotAllowedError, match="has not expired"):
        lifecycle.check(Status.offered, Status.offer_expired, Context(on=oed, offer_expires_on=oed))
    lifecycle.check(Status.offered, Status.offer_expired, Context(on=date(2026, 9, 2), offer_expires_on=oed))
    # a restated document is offered again (through the gates)
    lifecycle.check(Status.restated, Status.offered, READY)


def test_ssc_needs_every_line_complete() -> None:
    with pytest.raises(TransitionNotAllowedError, match="1 line"):
        lifecycle.check(
            Status.implemented, Status.supply_services_complete, Context(on=D, line_count=3, open_lines=1)
        )
    with pytest.raises(TransitionNotAllowedError):
        lifecycle.check(Status.implemented, Status.supply_services_complete, Context(on=D))


def test_cancellation_is_open_before_ssc() -> None:
    for s in [*lifecycle.MAIN_LINE[:9], Status.restated, Status.offer_expired]:
        lifecycle.check(s, Status.cancelled, Context(on=D))


def test_unknown_status_names_the_field() -> None:
    with pytest.raises(TransitionNotAllowedError) as e:
        lifecycle.parse_status("shipped")
    assert e.value.field == "to"
    assert lifecycle.parse_status(" Offered ") is Status.offered
    assert lifecycle.next_statuses(Status.offered) == [
        Status.accepted,
        Status.cancelled,
        Status.offer_expired,
        Status.restated,
    ]
