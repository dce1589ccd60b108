"""Property: whatever sequence of appropriations, allocations, obligations, expenditures
and reversals the services accept, the cases' totals reconcile to the program's to the
cent, as of any date, and every stage stays within its source."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.core.errors import SecassistError
from secassist.programs import oversight, service
from secassist.programs.models import LedgerEntry, dollars
from secassist.storage.uow import read_only, unit_of_work

BASE = date(2024, 1, 1)
COUNTRIES = ("PL", "JP", "PH")
CASES = {"PL": (1, [1, 2]), "JP": (2, [3, 4]), "PH": (3, [5, 6])}  # the fms_cases fixture
_years = itertools.count(1950)  # each example books its own fiscal year, so examples stay apart

cents = st.integers(min_value=1, max_value=50_000_000)
day = st.integers(min_value=0, max_value=800)
op = st.one_of(
    st.tuples(st.just("allocate"), st.sampled_from(COUNTRIES), cents, day),
    st.tuples(
        st.just("obligate"), st.sampled_from(COUNTRIES), cents, day, st.integers(0, 3), st.integers(0, 2)
    ),
    st.tuples(st.just("expend"), st.integers(0, 50), cents, day),
    st.tuples(st.just("reverse"), st.integers(0, 50), day),
)


def _apply(s: Session, appr_id: int, fy: int, o: tuple[object, ...], made: list[LedgerEntry]) -> None:
    obligations = [e for e in made if e.kind == "obligation" and e.reverses_id is None]
    on = BASE + timedelta(days=int(o[-1] if o[0] == "reverse" else o[3]))  # type: ignore[call-overload]
    kind = o[0]
    if kind == "allocate":
        made.append(
            service.allocate(
                s, actor=None, appropriation_id=appr_id, country=str(o[1]), amount=dollars(int(o[2])), on=on
            )
        )  # type: ignore[call-overload]
    elif kind == "obligate":
        case_id, lines = CASES[str(o[1])]
        line = lines[int(o[5]) % len(lines)]  # type: ignore[call-overload]
        target = service.Target("case", case_id=case_id, case_line_id=line)
        made.append(
            service.obligate(
                s,
                actor=None,
                appropriation_id=appr_id,
                country=str(o[1]),
                amount=dollars(int(o[2])),
                on=on,
                target=target,
            )
        )  # type: ignore[call-overload]
    elif kind == "expend" and obligations:
        ob = obligations[int(o[1]) % len(obligations)]  # type: ignore[call-overload]
        made.append(service.expend(s, actor=None, obligation_id=ob.id, amount=dollars(int(o[2])), on=on))  # type: ignore[call-overload]
    elif kind == "reverse" and made:
        target_entry = made[int(o[1]) % len(made)]  # type: ignore[call-overload]
        made.append(service.reverse(s, actor=None, entry_id=target_entry.id, on=on, reason="property test"))


# A known sequence: every stage accepted once, then a refusal (no allocation to Japan).
SAMPLE = [
    ("allocate", "PL", 5_000_000, 10),
    ("obligate", "PL", 1_000_000, 20, 0, 1),
    ("expend", 0, 400_000, 30),
    ("reverse", 3, 40),
    ("obligate", "JP", 1, 20, 0, 0),
]


@example(total=100_000_000, ops=SAMPLE)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=st.integers(min_value=1, max_value=200_000_000), ops=st.lists(op, min_size=1, max_size=25))
def test_case_totals_reconcile_to_program_totals(
    session_factory: sessionmaker[Session], total: int, ops: list[tuple[object, ...]]
) -> None:
    fy = next(_years)
    with read_only(session_factory) as s:
        already_audited = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.tag.like("program:%"))
        )
    made: list[LedgerEntry] = []
    with unit_of_work(session_factory) as s:
        appr, first = service.create_appropriation(
            s,
            actor=None,
            program="FMF",
            fiscal_year=fy,
            amount=dollars(total),
            available_from=BASE,
            available_until=BASE + timedelta(days=600),
        )
    made.append(first)
    appr_id = appr.id
    for o in ops:
        # One unit of work per write, as the adapters do: a refusal rolls it all back.
        try:
            with unit_of_work(session_factory) as s:
                _apply(s, appr_id, fy, o, made)
        except SecassistError:
            pass
    if ops == SAMPLE:  # the property is not vacuous: each stage is exercised
        assert [e.kind for e in made] == [
            "appropriation",
            "allocation",
            "obligation",
            "expenditure",
            "expenditure",
        ]
    # What the services returned, summed in Python: the independent model.
    expected = [(e.kind, e.case_id, e.entry_date, e.amount_cents) for e in made]
    dates = sorted({BASE + timedelta(days=d) for d in (0, 100, 300, 600, 800)} | {e[2] for e in expected})
    with read_only(session_factory) as s:
        # One audit entry per accepted write, none for the refused ones.
        audited = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.tag.like("program:%"))
        )
        assert audited == len(made) + already_audited
        for as_of in dates:
            rows = oversight.totals(s, actor=None, as_of=as_of, program="FMF", fiscal_year=fy)
            mine = oversight.funding_by_case(s, actor=None, as_of=as_of, program="FMF", fiscal_year=fy)
            model = {
                k: sum(c for kind, _, d, c in expected if kind == k and d <= as_of)
                for k in ("appropriation", "allocation", "obligation", "expenditure")
            }
            program_rows = [r for r in rows if r.level == "program"]
            if not program_rows:
                assert all(v == 0 for v in model.values())
                continue
            (p,) = program_rows
            assert p.appropriated == dollars(model["appropriation"])
            assert p.allocated == dollars(model["allocation"])
            assert p.obligated == dollars(model["obligation"])
            assert p.expended == dollars(model["expenditure"])
            # The cases' totals are the program's, to the cent.
            assert sum((o for o, _ in mine.values()), Decimal(0)) == p.obligated
            assert sum((e for _, e in mine.values()), Decimal(0)) == p.expended
            # Every stage within its source, on every date.
            assert p.unallocated is not None
            assert p.unallocated >= 0
            for r in rows:
                assert r.available >= 0, (as_of, r)
                assert r.unexpended >= 0, (as_of, r)
            for cid in mine:
                f = oversight.case_funding(s, actor=None, case_id=cid, as_of=as_of, fiscal_year=fy)
                assert (f.obligated, f.expended) == mine[cid]
                assert sum((line.obligated for line in f.lines), Decimal(0)) == f.obligated
