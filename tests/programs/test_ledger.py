"""Ledger rules on both databases: stages never exceed their source, as of every date;
expiry; reversals; the append-only triggers; and bad input that leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.identity.policy import Principal
from secassist.programs import oversight, queries, service
from secassist.programs.errors import FundsExpiredError, InsufficientFundsError, ReversalRefusedError
from secassist.programs.models import LedgerEntry
from secassist.storage.uow import read_only, unit_of_work
from tests.programs.factories import appropriation, case_target, make_case, training

D = date


def _setup(sf: sessionmaker[Session]) -> tuple[int, int]:
    """FMF FY2024 $1,000,000; $600,000 allocated to Poland on 2024-04-01. (appr id, alloc id)"""
    with unit_of_work(sf) as s:
        appr = appropriation(s)
        alloc = service.allocate(
            s, actor=None, appropriation_id=appr.id, country="PL", amount="600000", on=D(2024, 4, 1)
        )
        return appr.id, alloc.id


def _totals(
    sf: sessionmaker[Session], on: date, actor: Principal | None = None
) -> dict[str | None, oversight.TotalsRow]:
    with read_only(sf) as s:
        return {r.country: r for r in oversight.totals(s, actor=actor, as_of=on)}


def test_a_dollar_flows_through_every_stage_and_the_audit_names_each(
    session_factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    state = people["state"]
    with unit_of_work(session_factory) as s:
        appr = appropriation(s, actor=state)
        service.allocate(
            s, actor=state, appropriation_id=appr.id, country="pl", amount="600000", on=D(2024, 4, 1)
        )
        ob = service.obligate(
            s,
            actor=state,
            appropriation_id=appr.id,
            country="PL",
            amount="250000.50",
            on=D(2024, 6, 1),
            target=case_target(1, 2),
        )
        service.expend(s, actor=state, obligation_id=ob.id, amount="100000.25", on=D(2024, 9, 1))
        ob_id = ob.id
    t = _totals(session_factory, D(2024, 12, 31))
    assert t[None].appropriated == Decimal("1000000.00")
    assert t[None].unallocated == Decimal("400000.00")
    pl = t["PL"]
    assert (pl.region, pl.allocated, pl.obligated, pl.expended) == (
        "EUR",
        Decimal("600000.00"),
        Decimal("250000.50"),
        Decimal("100000.25"),
    )
    assert (pl.available, pl.unexpended) == (Decimal("349999.50"), Decimal("150000.25"))
    # As of an earlier date, later entries are left out.
    early = _totals(session_factory, D(2024, 7, 1))["PL"]
    assert (early.obligated, early.expended) == (Decimal("250000.50"), Decimal("0.00"))
    assert "PL" not in _totals(session_factory, D(2024, 3, 31))
    with read_only(session_factory) as s:
        tags = [e.tag for e in s.query(AuditEntry).order_by(AuditEntry.seq) if e.tag.startswith("program:")]
        entry = queries.get_entry(s, actor=None, entry_id=ob_id)
        assert (entry.case_id, entry.case_line_id, entry.target) == (1, 2, "case")
    assert tags == [
        "program:appropriation:created",
        "program:allocation:recorded",
        "program:obligation:recorded",
        "program:expenditure:recorded",
    ]


def test_no_allocation_beyond_the_appropriation(
    session_factory: sessionmaker[Session], counts: Callable[[], tuple[int, int, int]]
) -> None:
    appr_id, _ = _setup(session_factory)
    before = counts()
    with (
        pytest.raises(InsufficientFundsError, match=r"amount: .*400,000\.00") as info,
        unit_of_work(session_factory) as s,
    ):
        service.allocate(
            s, actor=None, appropriation_id=appr_id, country="JP", amount="400000.01", on=D(2024, 5, 1)
        )
    assert info.value.field == "amount"
    assert counts() == before
    with unit_of_work(session_factory) as s:  # exactly the remainder is fine
        service.allocate(
            s, actor=None, appropriation_id=appr_id, country="JP", amount="400000.00", on=D(2024, 5, 1)
        )


def test_no_obligation_beyond_the_allocation_on_that_date_or_any_later(
    session_factory: sessionmaker[Session], counts: Callable[[], tuple[int, int, int]]
) -> None:
    appr_id, _ = _setup(session_factory)
    with unit_of_work(session_factory) as s:  # a second allocation, later in the year
        service.allocate(
            s, actor=None, appropriation_id=appr_id, country="PL", amount="300000", on=D(2024, 8, 1)
        )
    before = counts()
    # $900,000 allocated in all, but only $600,000 of it by June: the as-of-June books would go negative.
    with (
        pytest.raises(InsufficientFundsError, match="allocation to PL") as info,
        unit_of_work(session_factory) as s,
    ):
        service.obligate(
            s,
            actor=None,
            appropriation_id=appr_id,
            country="PL",
            amount="700000",
            on=D(2024, 6, 1),
            target=case_target(),
        )
    assert info.value.detail["available"] == "600000.00"
    assert counts() == before
    with unit_of_work(session_factory) as s:
        service.obligate(
            s,
            actor=None,
            appropriation_id=appr_id,
            country="PL",
            amount="700000",
            on=D(2024, 8, 1),
            target=case_target(),
        )
    # No allocation to Japan at all.
    with pytest.raises(InsufficientFundsError, match="allocation to JP"), unit_of_work(session_factory) as s:
        service.obligate(
            s,
            actor=None,
            appropriation_id=appr_id,
            country="JP",
            amount="1",
            on=D(2024, 8, 1),
            target=case_target(2, 3),
        )
    # Every as-of date still balances.
    for day in (D(2024, 4, 1), D(2024, 6, 1), D(2024, 8, 1), D(2025, 1, 1)):
        assert _totals(session_factory, day)["PL"].available >= 0


def test_no_obligation_outside_the_period_of_availability(
    session_factory: sessionmaker[Session], counts: Callable[[], tuple[int, int, int]]
) -> None:
    appr_id, _ = _setup(session_factory)
    before = counts()
    with (
        pytest.raises(FundsExpiredError, match="expired after 2025-09-30") as info,
        unit_of_work(session_factory) as s,
    ):
        service.obligate(
            s,
            actor=None,
            appropriation_id=appr_id,
            country="PL",
            amount="10",
            on=D(2025, 10, 1),
            target=case_target(),
        )
    assert info.value.field == "on"
    with pytest.raises(FundsExpiredError, match="before the funds"), unit_of_work(session_factory) as s:
        service.obligate(
            s,
            actor=None,
            appropriation_id=appr_id,
            country="PL",
            amount="10",
            on=D(2024, 3, 22),
            target=case_target(),
        )
    with pytest.raises(FundsExpiredError), unit_of_work(session_factory) as s:
        service.allocate(
            s, actor=None, appropriation_id=appr_id, country="JP", amount="10", on=D(2025, 10, 1)
        )
    assert counts() == before
    with unit_of_work(session_factory) as s:  # the last day still counts; paying it later is fine
        ob = service.obligate(
            s,
            actor=None,
            appropriation_id=appr_id,
            country="PL",
            amount="10",
            on=D(2025, 9, 30),
            target=case_target(),
        )
        service.expend(s, actor=None, obligation_id=ob.id, amount="10", on=D(2026, 2, 1))


def test_no_expenditure_beyond_the_obligation(
    session_factory: sessionmaker[Session], counts: Callable[[], tuple[int, int, int]]
) -> None:
    appr_id, alloc_id = _setup(session_factory)
    with unit_of_work(session_factory) as s:
        ob = service.obligate(
            s,
            actor=None,
            appropriation_id=appr_id,
            country="PL",
            amount="100",
            on=D(2024, 6, 1),
            target=case_target(),
        )
        service.expend(s, actor=None, obligation_id=ob.id, amount="60", on=D(2024, 7, 1))
        ob_id = ob.id
    before = counts()
    with (
        pytest.raises(InsufficientFundsError, match=r"unexpended obligation .*\$40\.00"),
        unit_of_work(session_factory) as s,
    ):
        service.expend(s, actor=None, obligation_id=ob_id, amount="40.01", on=D(2024, 8, 1))
    with pytest.raises(InsufficientFundsError), unit_of_work(session_factory) as s:  # before the obligation
        service.expend(s, actor=None, obligation_id=ob_id, amount="1", on=D(2024, 5, 31))
    with (
        pytest.raises(ValidationFailedError, match="not an obligation") as info,
        unit_of_work(session_factory) as s,
    ):
        service.expend(s, actor=None, obligation_id=alloc_id, amount="1", on=D(2024, 8, 1))
    assert info.value.field == "obligation_id"
    with pytest.raises(NotFoundError) as missing, unit_of_work(session_factory) as s:
        service.expend(s, actor=None, obligation_id=99_999, amount="1", on=D(2024, 8, 1))
    assert missing.value.detail["field"] == "obligation_id"
    assert counts() == before


def test_reversals_correct_and_refuse_what_would_strand_later_entries(
    session_factory: sessionmaker[Session], counts: Callable[[], tuple[int, int, int]]
) -> None:
    appr_id, alloc_id = _setup(session_factory)
    with unit_of_work(session_factory) as s:
        ob = service.obligate(
            s,
            actor=None,
            appropriation_id=appr_id,
            country="PL",
            amount="500",
            on=D(2024, 6, 1),
            target=case_target(),
        )
        ex = service.expend(s, actor=None, obligation_id=ob.id, amount="200", on=D(2024, 7, 1))
        ob_id, ex_id = ob.id, ex.id
    before = counts()
    refused: list[tuple[int, str]] = [
        (ob_id, "unexpended obligation"),  # $200 spent against it
    ]
    for eid, what in refused:
        with pytest.raises(ReversalRefusedError, match=what) as info, unit_of_work(session_factory) as s:
            service.reverse(s, actor=None, entry_id=eid, on=D(2024, 8, 1), reason="wrong")
        assert info.value.field == "entry_id"
    with unit_of_work(session_factory) as s:  # reverse the expenditure, then the obligation
        rev_ex = service.reverse(s, actor=None, entry_id=ex_id, on=D(2024, 8, 1), reason="duplicate payment")
        rev_id = rev_ex.id
        service.reverse(s, actor=None, entry_id=ob_id, on=D(2024, 8, 2), reason="case cancelled")
    assert counts()[1] == before[1] + 2
    t = _totals(session_factory, D(2024, 12, 31))["PL"]
    assert (t.obligated, t.expended, t.available) == (Decimal("0.00"), Decimal("0.00"), Decimal("600000.00"))
    # As of July the original entries still show: history is kept, not rewritten.
    assert _totals(session_factory, D(2024, 7, 15))["PL"].expended == Decimal("200.00")
    before = counts()
    with (
        pytest.raises(ReversalRefusedError, match="itself a reversal") as info,
        unit_of_work(session_factory) as s,
    ):
        service.reverse(s, actor=None, entry_id=rev_id, on=D(2024, 9, 1), reason="undo")
    assert info.value.field == "entry_id"
    with (
        pytest.raises(ReversalRefusedError, match=f"already reversed by {rev_id}"),
        unit_of_work(session_factory) as s,
    ):
        service.reverse(s, actor=None, entry_id=ex_id, on=D(2024, 9, 1), reason="again")
    with pytest.raises(NotFoundError) as missing, unit_of_work(session_factory) as s:
        service.reverse(s, actor=None, entry_id=424_242, on=D(2024, 9, 1), reason="ghost")
    assert missing.value.detail["field"] == "entry_id"
    with pytest.raises(ReversalRefusedError, match="precedes") as early, unit_of_work(session_factory) as s:
        service.reverse(s, actor=None, entry_id=alloc_id, on=D(2024, 3, 31), reason="too early")
    assert early.value.field == "on"
    with pytest.raises(ValidationFailedError, match="reason") as blank, unit_of_work(session_factory) as s:
        service.reverse(s, actor=None, entry_id=alloc_id, on=D(2024, 9, 1), reason="  ")
    assert blank.value.field == "reason"
    assert counts() == before
    with unit_of_work(session_factory) as s:  # nothing draws on the allocation any more
        service.reverse(s, actor=None, entry_id=alloc_id, on=D(2024, 9, 1), reason="reallocated")
    assert "PL" in _totals(session_factory, D(2024, 12, 31))
    assert _totals(session_factory, D(2024, 12, 31))["PL"].allocated == Decimal("0.00")


def test_reversing_an_allocation_that_obligations_draw_on_is_refused(
    session_factory: sessionmaker[Session],
) -> None:
    appr_id, alloc_id = _setup(session_factory)
    with unit_of_work(session_factory) as s:
        service.obligate(
            s,
            actor=None,
            appropriation_id=appr_id,
            country="PL",
            amount="1",
            on=D(2024, 6, 1),
            target=case_target(),
        )
    with (
        pytest.raises(ReversalRefusedError, match="unobligated allocation to PL"),
        unit_of_work(session_factory) as s,
    ):
        service.reverse(s, actor=None, entry_id=alloc_id, on=D(2024, 9, 1), reason="x")
    with read_only(session_factory) as s:
        appr_entry_id = queries.list_entries(s, actor=None, kind="appropriation")[0].id
    with (
        pytest.raises(ReversalRefusedError, match="unallocated appropriation"),
        unit_of_work(session_factory) as s,
    ):
        service.reverse(s, actor=None, entry_id=appr_entry_id, on=D(2024, 9, 1), reason="x")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "negative"),
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "ten dollars"}, "amount", "not a number"),
        ({"amount": 10.5}, "amount", "not 10.5"),
        ({"amount": "1.001"}, "amount", "fractions of a cent"),
        ({"amount": "NaN"}, "amount", "not a finite"),
        ({"program": "XYZ"}, "program", "unknown program"),
        ({"fiscal_year": 1800}, "fiscal_year", "not a fiscal year"),
        ({"available_until": D(2020, 1, 1)}, "available_until", "before available_from"),
        ({"available_from": "2024-02-30"}, "available_from", "not a date"),
    ],
)
def test_bad_appropriations_name_the_field_and_write_nothing(
    session_factory: sessionmaker[Session],
    counts: Callable[[], tuple[int, int, int]],
    kwargs: dict[str, object],
    field: str,
    message: str,
) -> None:
    args: dict[str, object] = {
        "program": "FMF",
        "fiscal_year": 2024,
        "amount": "100",
        "available_from": D(2024, 1, 1),
        "available_until": D(2025, 9, 30),
    }
    args.update(kwargs)
    before = counts()
    with pytest.raises(ValidationFailedError, match=message) as info, unit_of_work(session_factory) as s:
        service.create_appropriation(s, actor=None, **args)  # type: ignore[arg-type]
    assert info.value.field == field
    assert counts() == before


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda s, a: service.allocate(
                s, actor=None, appropriation_id=a, country="XX", amount="1", on=D(2024, 5, 1)
            ),
            "country",
        ),
        (
            lambda s, a: service.allocate(
                s, actor=None, appropriation_id=a, country="PL", amount="-1", on=D(2024, 5, 1)
            ),
            "amount",
        ),
        (
            lambda s, a: service.allocate(
                s, actor=None, appropriation_id=a, country="PL", amount="1", on="May 1"
            ),
            "on",
        ),
        (
            lambda s, a: service.allocate(
                s, actor=None, appropriation_id=a + 1000, country="PL", amount="1", on=D(2024, 5, 1)
            ),
            "appropriation_id",
        ),
        (
            lambda s, a: service.obligate(
                s,
                actor=None,
                appropriation_id=a,
                country="PL",
                amount="1",
                on=D(2024, 5, 1),
                target=training(),
            ),
            "target",
        ),
        (
            lambda s, a: service.obligate(
                s,
                actor=None,
                appropriation_id=a,
                country="PL",
                amount="1",
                on=D(2024, 5, 1),
                target=service.Target("case", case_id=3),
            ),
            "case_line_id",
        ),
        (
            lambda s, a: service.obligate(
                s,
                actor=None,
                appropriation_id=a,
                country="PL",
                amount="1",
                on=D(2024, 5, 1),
                target=service.Target("grant"),
            ),
            "target",
        ),
        (
            lambda s, a: service.obligate(
                s,
                actor=None,
                appropriation_id=a,
                country="ZZ",
                amount="1",
                on=D(2024, 5, 1),
                target=case_target(),
            ),
            "country",
        ),
    ],
)
def test_bad_ledger_input_names_the_field_and_writes_nothing(
    session_factory: sessionmaker[Session],
    counts: Callable[[], tuple[int, int, int]],
    call: Callable[[Session, int], object],
    field: str,
) -> None:
    appr_id, _ = _setup(session_factory)
    before = counts()
    with pytest.raises((ValidationFailedError, NotFoundError)) as info, unit_of_work(session_factory) as s:
        call(s, appr_id)
    assert info.value.detail["field"] == field
    assert counts() == before


def test_targets_follow_the_program(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as s:
        imet = appropriation(s, program="IMET", amount="1000")
        pko = appropriation(s, program="PKO", amount="1000")
        for a in (imet, pko):
            service.allocate(
                s, actor=None, appropriation_id=a.id, country="PH", amount="1000", on=D(2024, 4, 1)
            )
        service.obligate(
            s,
            actor=None,
            appropriation_id=imet.id,
            country="PH",
            amount="10",
            on=D(2024, 5, 1),
            target=training(),
        )
        unit = service.obligate(
            s,
            actor=None,
            appropriation_id=pko.id,
            country="PH",
            amount="10",
            on=D(2024, 5, 1),
            target=service.Target("unit", recipient_unit_id=42),
        )
        assert unit.recipient_unit_id == 42
    with (
        pytest.raises(ValidationFailedError, match="IMET funds may be obligated to training") as info,
        unit_of_work(session_factory) as s,
    ):
        service.obligate(
            s,
            actor=None,
            appropriation_id=imet.id,
            country="PH",
            amount="1",
            on=D(2024, 5, 1),
            target=case_target(),
        )
    assert info.value.field == "target"
    with pytest.raises(ValidationFailedError) as unitless, unit_of_work(session_factory) as s:
        service.obligate(
            s,
            actor=None,
            appropriation_id=pko.id,
            country="PH",
            amount="1",
            on=D(2024, 5, 1),
            target=service.Target("unit"),
        )
    assert unitless.value.field == "recipient_unit_id"


def test_auditors_and_partners_write_nothing(
    session_factory: sessionmaker[Session],
    people: dict[str, Principal],
    counts: Callable[[], tuple[int, int, int]],
) -> None:
    appr_id, _ = _setup(session_factory)
    before = counts()
    with pytest.raises(PermissionDeniedError), unit_of_work(session_factory) as s:
        appropriation(s, actor=people["auditor"])
    with pytest.raises(PermissionDeniedError), unit_of_work(session_factory) as s:
        service.allocate(
            s, actor=people["dod"], appropriation_id=appr_id, country="PL", amount="1", on=D(2024, 5, 1)
        )
    # The partner may not even learn that the appropriation exists.
    with pytest.raises(NotFoundError), unit_of_work(session_factory) as s:
        service.obligate(
            s,
            actor=people["pl"],
            appropriation_id=appr_id,
            country="PL",
            amount="1",
            on=D(2024, 5, 1),
            target=case_target(),
        )
    assert counts() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE program_entry SET amount_cents = 1",
        "DELETE FROM program_entry",
        "UPDATE program_appropriation SET available_until = '2099-01-01'",
        "DELETE FROM program_appropriation",
    ],
)
def test_the_tables_are_append_only(
    session_factory: sessionmaker[Session], engine: Engine, statement: str
) -> None:
    _setup(session_factory)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as c:
        c.execute(text(statement))


UPSERT = {
    "sqlite": "REPLACE INTO program_entry SELECT * FROM program_entry WHERE id = 1",
    "postgresql": "INSERT INTO program_entry SELECT * FROM program_entry WHERE id = 1 "
    "ON CONFLICT (id) DO UPDATE SET amount_cents = 5",
}


def test_replace_or_upsert_cannot_swap_an_entry(
    session_factory: sessionmaker[Session], engine: Engine, backend: str
) -> None:
    """SQLite's REPLACE deletes without firing DELETE triggers (hence 0007's INSERT trigger);
    PostgreSQL's upsert fires the UPDATE trigger."""
    _setup(session_factory)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as c:
        c.execute(text(UPSERT[backend]))


def test_reversal_rows_keep_the_keys_of_the_original(session_factory: sessionmaker[Session]) -> None:
    _, alloc_id = _setup(session_factory)
    with unit_of_work(session_factory) as s:
        rev = service.reverse(s, actor=None, entry_id=alloc_id, on=D(2024, 5, 1), reason="typo")
        rev_id = rev.id
        assert (rev.kind, rev.country_code, rev.amount, rev.reverses_id) == (
            "allocation",
            "PL",
            Decimal("-600000.00"),
            alloc_id,
        )
    with read_only(session_factory) as s:
        assert queries.reversed_ids(s, [alloc_id]) == {alloc_id: rev_id}
        assert s.get(LedgerEntry, alloc_id) is not None


def test_fmf_pays_only_its_own_countrys_fmf_cases_line_by_line(
    session_factory: sessionmaker[Session], counts: Callable[[], tuple[int, int, int]]
) -> None:
    appr_id, _ = _setup(session_factory)
    with unit_of_work(session_factory) as s:
        national, _lines = make_case(s, purchaser="PL", financing="national")
    before = counts()
    for target, field, message in [
        (case_target(2, 3), "case_id", "not PL's"),  # Japan's case
        (case_target(national, 7), "case_id", "national funds"),
        (case_target(1, 3), "case_line_id", "line 3 is not a line of case 1"),
        (case_target(99, 1), "case_id", "case 99 not found"),
    ]:
        with pytest.raises(ValidationFailedError, match=message) as info, unit_of_work(session_factory) as s:
            service.obligate(
                s,
                actor=None,
                appropriation_id=appr_id,
                country="PL",
                amount="1",
                on=D(2024, 6, 1),
                target=target,
            )
        assert info.value.field == field
    assert counts() == before


def test_ledger_dates_are_bounded_by_the_account_and_a_horizon(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #16: the ledger took dates thousands of years ahead. An expenditure or a
    reversal may follow the period of availability only until the account closes (31 U.S.C.
    1552(a): 30 September of the fifth fiscal year after the period ends; FY24 funds
    available to 2025-09-30 close on 2030-09-30), and no entry or period may start further
    ahead of today than the configured horizon (SECASSIST_LEDGER_HORIZON_DAYS). (A period of
    availability may end far ahead, as no-year funds do: its entries still meet the horizon.)"""
    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    appr_id, alloc_id = _setup(session_factory)
    with unit_of_work(session_factory) as s:
        ob = service.obligate(
            s, actor=None, appropriation_id=appr_id, country="PL", amount="1000", on=D(2024, 5, 1),
            target=case_target(),
        ).id  # fmt: skip
    with read_only(session_factory) as s:
        before = s.scalar(text("SELECT count(*) FROM audit_entry"))

    def refused(field: str, match: str, write: Callable[[Session], object]) -> None:
        with pytest.raises(ValidationFailedError, match=match) as err, unit_of_work(session_factory) as s:
            write(s)
        assert err.value.field == field

    far = D(3024, 5, 1)
    closed = "closed after 2030-09-30"
    refused("on", closed, lambda s: service.expend(s, actor=None, obligation_id=ob, amount="1", on=far))
    refused("on", "closed after 2030-09-30", lambda s: service.expend(
        s, actor=None, obligation_id=ob, amount="1", on=D(2030, 10, 1),
        clock=FixedClock(datetime(2030, 9, 1, tzinfo=UTC)),
    ))  # fmt: skip
    refused(
        "on",
        "closed after 2030-09-30",
        lambda s: service.reverse(s, actor=None, entry_id=ob, on=far, reason="x"),
    )
    refused("on", "ahead of today", lambda s: service.expend(
        s, actor=None, obligation_id=ob, amount="1", on=D(2028, 1, 1), clock=clock
    ))  # fmt: skip
    refused("available_from", "ahead of today", lambda s: service.create_appropriation(
        s, actor=None, program="FMF", fiscal_year=2200, amount="1", available_from=far,
        available_until=D(3025, 9, 30), clock=clock,
    ))  # fmt: skip
    with read_only(session_factory) as s:
        assert s.scalar(text("SELECT count(*) FROM audit_entry")) == before
    # Within the bounds: an expenditure in the expired phase, before the account closes.
    with unit_of_work(session_factory) as s:
        service.expend(s, actor=None, obligation_id=ob, amount="1", on=D(2026, 2, 1), clock=clock)
    # The horizon is a setting.
    monkeypatch.setenv("SECASSIST_LEDGER_HORIZON_DAYS", "1000")
    with unit_of_work(session_factory) as s:
        service.expend(s, actor=None, obligation_id=ob, amount="1", on=D(2028, 1, 1), clock=clock)
    assert alloc_id
