"""The case list and detail run precompiled statements (storage.prepared) scoped by the
policy's row rules. Here they are checked against an independent ORM reading of the same
rows, scoped with ``policy.scope``, for every kind of actor: same cases, same lines, same
values, same 404s."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.cases import amendments, present, queries
from secassist.cases.lifecycle import Status
from secassist.cases.models import Amendment, Case, CaseEvent, CaseLine, Lor
from secassist.cases.records import CaseRec, LineRec
from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError
from secassist.identity.models import ApiToken, Organization, User
from secassist.identity.policy import Principal, scope
from secassist.storage.prepared import Prepared
from secassist.storage.uow import read_only, unit_of_work
from tests.cases.factories import World, add_lines, drive, open_case


@pytest.fixture
def cases(session_factory: sessionmaker[Session], clock: FixedClock, world: World) -> dict[str, int]:
    with unit_of_work(session_factory) as s:
        out = {
            "pl": open_case(s, world.dod, clock),
            "pl2": open_case(s, world.dod, clock, agency="B", financing="fmf", reference_number="PL-LOR-2"),
            "jp": open_case(s, world.dod, clock, purchaser="JP"),
            "nato": open_case(s, world.dod, clock, purchaser="NATO"),
        }
        add_lines(s, world.dod, out["pl"], clock, contractor=world.industry_org_id)
        add_lines(s, world.dod, out["jp"], clock)
        add_lines(s, world.dod, out["nato"], clock, contractor=world.industry_org_id)
    drive(session_factory, out["pl"], Status.implemented, clock)
    clock.advance(timedelta(days=2))
    with unit_of_work(session_factory) as s:
        version = s.get(Case, out["pl"])
        assert version is not None
        amendments.issue_modification(
            s, actor=world.dod, case_id=out["pl"], description="new price", unit_costs={"001": "26000000"},
            expected_version=version.version, clock=clock,
        )  # fmt: skip
    return out


def _actors(world: World) -> dict[str, Principal | None]:
    out: dict[str, Principal | None] = {f.name: getattr(world, f.name) for f in fields(world)}
    out.pop("industry_org_id")
    out["console"] = None
    return out


def _orm_detail(s: Session, actor: Principal | None, case_id: int) -> dict[str, Any] | None:
    """The detail read the old way: ORM objects, scoped by policy.scope."""
    stmt = select(Case, Lor).join(Lor, Lor.id == Case.lor_id).where(Case.id == case_id)
    if actor is not None:
        stmt = scope(stmt, actor, "case", country=Case.country_code)
    row = s.execute(stmt).first()
    if row is None:
        return None
    case, lor = row
    lines_stmt = select(CaseLine).where(CaseLine.case_id == case_id).order_by(CaseLine.number)
    every = list(s.scalars(lines_stmt))
    if actor is not None:
        lines_stmt = scope(
            lines_stmt.join(Case, Case.id == CaseLine.case_id), actor, "case_line",
            country=Case.country_code, contractor=CaseLine.contractor_org_id,
        )  # fmt: skip
    lines = list(s.scalars(lines_stmt))
    events = list(
        s.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.occurred_on, CaseEvent.id)
        )
    )
    amends = list(
        s.scalars(
            select(Amendment).where(Amendment.case_id == case_id).order_by(Amendment.kind, Amendment.number)
        )
    )
    mde = sum((ln.value for ln in every if ln.mde), Decimal("0.00"))
    other = sum((ln.value for ln in every if not ln.mde), Decimal("0.00"))
    dc = sum((ln.value for ln in every if ln.design_construction), Decimal("0.00"))
    detail = queries.CaseDetail(case, lor, lines, events, amends, mde, other, mde + other, dc)  # type: ignore[arg-type]
    return present.case_read(detail).model_dump()


def test_detail_matches_the_orm_reading_for_every_actor(
    session_factory: sessionmaker[Session], world: World, cases: dict[str, int]
) -> None:
    seen: dict[str, set[str]] = {}
    with read_only(session_factory) as s:
        for who, actor in _actors(world).items():
            for name, case_id in cases.items():
                expected = _orm_detail(s, actor, case_id)
                for ref in (case_id, str(case_id)):
                    if expected is None:
                        with pytest.raises(NotFoundError):
                            queries.case_detail(s, actor=actor, ref=ref)
                        continue
                    got = present.case_read(queries.case_detail(s, actor=actor, ref=ref)).model_dump()
                    assert got == expected, (who, name)
                    seen.setdefault(who, set()).add(name)
                if expected is not None:
                    ident = expected["identifier"]
                    by_ident = queries.case_detail(s, actor=actor, ref=ident.lower())
                    assert present.case_read(by_ident).model_dump() == expected
    # The reference itself must discriminate, or the comparison above proves nothing.
    assert seen["pl"] == {"pl", "pl2"}
    assert seen["jp"] == {"jp"}
    assert seen["dod"] == set(cases)
    assert "congress" not in seen
    assert "industry" not in seen


def test_detail_shows_a_modification_events_and_every_line_value(
    session_factory: sessionmaker[Session], world: World, cases: dict[str, int]
) -> None:
    with read_only(session_factory) as s:
        d = queries.case_detail(s, actor=world.pl, ref=cases["pl"])
    assert isinstance(d.case, CaseRec)
    assert all(isinstance(ln, LineRec) for ln in d.lines)
    assert [a.kind for a in d.amendments] == ["modification"]
    assert [e.to_status for e in d.events if e.kind == "status"][-1] == "implemented"
    assert d.mde_value == Decimal("104000000.00")
    assert d.other_value == Decimal("1500000.00")
    assert d.case.created_at.tzinfo is not None  # UTC put back on SQLite's naive text


def _orm_list(s: Session, actor: Principal | None, **f: str) -> tuple[int, list[int]]:
    stmt = select(Case)
    if actor is not None:
        stmt = scope(stmt, actor, "case", country=Case.country_code)
    if "status" in f:
        stmt = stmt.where(Case.status == f["status"])
    if "country" in f:
        stmt = stmt.where(Case.purchaser_code == f["country"])
    if "agency" in f:
        stmt = stmt.where(Case.implementing_agency == f["agency"])
    if "financing" in f:
        stmt = stmt.where(Case.financing == f["financing"])
    if "q" in f:
        stmt = stmt.where(or_(Case.identifier.ilike(f"%{f['q']}%"), Case.title.ilike(f"%{f['q']}%")))
    total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return total, [c.id for c in s.scalars(stmt.order_by(Case.id.desc()))]


FILTERS: list[dict[str, str]] = [
    {},
    {"status": "offered"},
    {"country": "PL"},
    {"country": "pl", "status": "lor_received"},
    {"agency": "B"},
    {"financing": "fmf"},
    {"q": "pl-"},
    {"q": "no such case"},
]


@pytest.mark.parametrize(
    "filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "none"
)
def test_list_matches_the_orm_reading_for_every_actor(
    session_factory: sessionmaker[Session], world: World, cases: dict[str, int], filters: dict[str, str]
) -> None:
    with read_only(session_factory) as s:
        for who, actor in _actors(world).items():
            normal = {k: (v.upper() if k == "country" else v) for k, v in filters.items()}
            total, ids = _orm_list(s, actor, **normal)
            page = queries.list_cases(s, actor=actor, **filters)  # type: ignore[arg-type]
            assert (page.total, [r.case.id for r in page.items]) == (total, ids), who
            small = queries.list_cases(s, actor=actor, limit=1, offset=1, **filters)  # type: ignore[arg-type]
            assert [r.case.id for r in small.items] == ids[1:2], who
            assert small.total == total, who
            for row in page.items:
                lines = list(s.scalars(select(CaseLine).where(CaseLine.case_id == row.case.id)))
                assert row.line_count == len(lines)
                assert row.total_value == sum((ln.value for ln in lines), Decimal("0.00"))


def test_list_filters_discriminate(
    session_factory: sessionmaker[Session], world: World, cases: dict[str, int]
) -> None:
    with read_only(session_factory) as s:
        assert queries.list_cases(s, actor=world.dod).total == 4
        assert queries.list_cases(s, actor=world.pl).total == 2
        assert queries.list_cases(s, actor=world.congress).total == 0
        assert queries.list_cases(s, actor=world.dod, financing="fmf").total == 1


def test_prepared_rows_equal_orm_rows(session_factory: sessionmaker[Session], cases: dict[str, int]) -> None:
    """Every column of every table the prepared reads touch comes back as the ORM loads
    it: Decimal money, dates, UTC-aware timestamps, booleans, NULLs."""
    with read_only(session_factory) as s:
        for model in (Lor, Case, CaseLine, CaseEvent, Amendment, Organization, User, ApiToken):
            table = model.__table__  # type: ignore[attr-defined]
            keys = [c.key for c in table.c]
            got = Prepared(select(table).order_by(*table.primary_key.columns)).all(s)
            objs = list(s.scalars(select(model).order_by(*table.primary_key.columns)))
            expected = [tuple(getattr(o, k) for k in keys) for o in objs]
            assert got == expected, model.__name__
            assert got or model is ApiToken, model.__name__  # the fixture wrote rows to compare
            for row, exp in zip(got, expected, strict=True):
                assert [type(v) for v in row] == [type(v) for v in exp], model.__name__


def test_prepared_reads_see_unflushed_changes(
    session_factory: sessionmaker[Session], world: World, cases: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as s:
        case = s.get(Case, cases["jp"])
        assert case is not None
        case.title = "Renamed in this unit of work"
        assert (
            queries.case_detail(s, actor=world.dod, ref=case.id).case.title == "Renamed in this unit of work"
        )
        s.rollback()


def test_prepared_names_a_missing_parameter(session_factory: sessionmaker[Session]) -> None:
    from sqlalchemy import bindparam

    stmt = Prepared(select(Case.id).where(Case.id == bindparam("case_id")))
    with read_only(session_factory) as s, pytest.raises(KeyError, match="case_id"):
        stmt.all(s, {})
