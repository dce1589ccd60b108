"""Routine EUM checks per country and site inspections on their own schedules: the dated,
sourced schedule data, the due-date rule, recording a check (audited, refusals write
nothing), what is due/overdue as of a date, and the CLI commands check / due / lot-event."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.service import tree_size
from secassist.core.clock import FixedClock
from secassist.core.errors import ReferenceDataError, SecassistError, ValidationFailedError
from secassist.equipment import checks, sites
from secassist.equipment.catalog import DATA_DIR, add_months
from secassist.equipment.models import RoutineCheck
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.deliver import deliver
from tests.cases.factories import World
from tests.equipment.factories import Poland
from tests.equipment.test_cli import fails, ok

SCHED = checks.get_schedules()


@pytest.fixture
def app_env(app_env: dict[str, str], world: World) -> dict[str, str]:
    """The commands act as the world's DoD case manager (issue #16: a person, not the system)."""
    return {**app_env, "SECASSIST_AS": world.dod.username}


def test_the_schedules_are_dated_sourced_data_and_unsure_ones_say_so() -> None:
    for entry in (*SCHED.routine_checks, *SCHED.site_inspections):
        assert entry.source
        # The sources read give no interval: each is a placeholder with its note.
        assert entry.status == "UNCONFIRMED"
        assert entry.note


def test_a_bad_schedule_file_names_the_file(tmp_path: Path) -> None:
    text = (DATA_DIR / "checks.yaml").read_text(encoding="utf-8")
    (tmp_path / "checks.yaml").write_text(text.replace("interval_months: 3", "interval_months: 0"), "utf-8")
    with pytest.raises(ReferenceDataError, match=r"checks\.yaml"):
        checks.load_schedules(tmp_path)


def test_next_due_follows_the_schedule_in_force_when_the_interval_starts() -> None:
    base = SCHED.routine_checks[0]
    later = base.model_copy(update={"from_": date(2027, 1, 1), "interval_months": 6})
    sched = (base, later)
    start = date(2026, 2, 10)
    assert checks.next_due(sched, start=start, last_done=None) == start + timedelta(days=base.initial_days)
    assert checks.next_due(sched, start=start, last_done=date(2026, 11, 30)) == add_months(
        date(2026, 11, 30), base.interval_months
    )
    assert checks.next_due(sched, start=start, last_done=date(2027, 1, 31)) == date(2027, 7, 31)
    # A check before the interval started does not count.
    assert checks.next_due(sched, start=start, last_done=date(2026, 1, 1)) == start + timedelta(
        days=base.initial_days
    )


def _count(factory: sessionmaker[Session]) -> tuple[int, int]:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(RoutineCheck)) or 0, tree_size(s)


def test_recording_a_check_is_audited_and_refusals_write_nothing(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    today = clock.today()
    with unit_of_work(session_factory) as s:
        row = checks.record_check(s, actor=world.pl_sco, country="pl", on=today, office="ODC Poland",
                                  findings=["seals intact", " logbook current "], clock=clock)  # fmt: skip
        assert json.loads(row.findings) == ["seals intact", "logbook current"]
    assert tags()[-1] == "equipment:check:recorded"
    audit_ok()
    before = _count(session_factory)
    bad: list[tuple[dict[str, object], str]] = [
        ({"on": today + timedelta(days=1)}, "on"),
        ({"office": "  "}, "office"),
        ({"findings": [""]}, "finding 1"),
        ({"country": "XX"}, "country"),
        ({}, "on"),  # the same check twice
    ]
    for change, field in bad:
        kw: dict[str, object] = {"country": "PL", "on": today, "office": "ODC Poland", **change}
        with pytest.raises(SecassistError) as e, unit_of_work(session_factory) as s:
            checks.record_check(s, actor=world.dod, clock=clock, **kw)  # type: ignore[arg-type]
        assert field in str(e.value)
        assert _count(session_factory) == before
    # The SCO of Poland may not record checks in Japan.
    with pytest.raises(SecassistError), unit_of_work(session_factory) as s:
        checks.record_check(s, actor=world.pl_sco, country="JP", on=today, office="ODC Poland", clock=clock)
    assert _count(session_factory) == before


def test_what_is_due_as_of_a_date(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    d0 = clock.today()
    routine, inspection = SCHED.routine_checks[0], SCHED.site_inspections[0]
    with unit_of_work(session_factory) as s:
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="001", on=d0, site="Rzeszow depot",
                serials=["N-1"], clock=clock)  # fmt: skip
        sites.inspect_site(s, actor=world.dod, site="Rzeszow depot", on=d0, result="deficient",
                           office="US Army", clock=clock)  # fmt: skip
    first_check = d0 + timedelta(days=routine.initial_days)
    inventory_due = d0 + timedelta(days=90)
    with read_only(session_factory) as s:
        # The day of delivery: the two uninspected Polish sites are due, nothing is overdue
        # beyond them, and the routine check and the inventory are not yet within 30 days.
        r = checks.due(s, actor=world.pl_sco, as_of=d0, within_days=30)
        assert [x.subject for x in r.site_inspections] == ["Powidz depot"]  # Germany's is not visible
        assert r.site_inspections[0].status == "due"
        assert r.routine_checks == []
        assert r.eeum_inventories == []
        # The day after the first routine check fell due.
        later = first_check + timedelta(days=1)
        r = checks.due(s, actor=None, as_of=later, within_days=0, country="PL")
        assert [(x.country, x.due_on, x.status) for x in r.routine_checks] == [("PL", first_check, "overdue")]
        assert {x.subject: x.status for x in r.site_inspections} == {"Powidz depot": "overdue"}
        # Rzeszow was inspected on d0 (deficient): next due a year on.
        r = checks.due(s, actor=None, as_of=add_months(d0, inspection.interval_months), within_days=0)
        rz = [x for x in r.site_inspections if x.subject == "Rzeszow depot"]
        assert rz
        assert rz[0].detail == "deficient"
        assert rz[0].last_done_on == d0
        assert rz[0].status == "due"
        assert [(x.subject, x.due_on) for x in r.eeum_inventories] == [("N-1", inventory_due)]
    with unit_of_work(session_factory) as s:
        checks.record_check(s, actor=world.dod, country="PL", on=d0, office="ODC Poland", clock=clock)
    with read_only(session_factory) as s:
        r = checks.due(s, actor=None, as_of=d0 + timedelta(days=1), within_days=400, country="PL")
        # A check on the delivery day starts the interval: next due a quarter later.
        assert [(x.due_on, x.status) for x in r.routine_checks] == [
            (add_months(d0, routine.interval_months), "due")
        ]
        r = checks.due(s, actor=None, as_of=add_months(d0, routine.interval_months) + timedelta(days=1),
                       within_days=0, country="PL")  # fmt: skip
        assert [(x.last_done_on, x.status) for x in r.routine_checks] == [(d0, "overdue")]
        # Before the check and the delivery, nothing was due in Poland but the site inspections.
        assert checks.due(s, actor=None, as_of=d0 - timedelta(days=1), country="PL").routine_checks == []
    with pytest.raises(ValidationFailedError), read_only(session_factory) as s:
        checks.due(s, actor=None, as_of=d0, within_days=-1)


def test_the_cli_check_due_and_lot_event(poland: Poland, app_env: dict[str, str]) -> None:
    today = date.today()
    ok(app_env, "equipment", "deliver", poland.case_ref, "002", "--on", today.isoformat(), "--site",
       "Rzeszow depot", "--quantity", "500")  # fmt: skip
    out = ok(app_env, "equipment", "check", "--country", "PL", "--on", today.isoformat(), "--office",
             "ODC Poland", "--finding", "seals intact")  # fmt: skip
    assert "PL on" in out
    err = fails(app_env, "equipment", "check", "--country", "PL", "--on", "2999-01-01", "--office", "ODC")
    assert "on:" in err
    doc = json.loads(ok(app_env, "equipment", "due", "--as-of", today.isoformat(), "--format", "json"))
    assert set(doc) == {"as_of", "within_days", "eeum_inventories", "routine_checks", "site_inspections"}
    assert {r["subject"] for r in doc["site_inspections"]} >= {"Rzeszow depot", "Powidz depot"}
    assert doc["routine_checks"] == []  # just checked
    csv_out = ok(
        app_env, "equipment", "due", "--as-of", today.isoformat(), "--country", "PL", "--format", "csv"
    )
    assert csv_out.splitlines()[0] == "kind,country,subject,due_on,status,last_done_on,detail"
    assert "DE" not in csv_out
    body = json.loads(ok(app_env, "equipment", "lot-event", "1", "--kind", "expended", "--quantity", "120",
                         "--on", today.isoformat(), "--format", "json"))  # fmt: skip
    assert body["held"] == 380
    assert body["consumed"] == {"expended": 120}
    assert body["holdings"] == [{"holder": "site", "name": "Rzeszow depot", "quantity": 380}]
    err = fails(app_env, "equipment", "lot-event", "1", "--kind", "lost", "--quantity", "381", "--on",
                today.isoformat())  # fmt: skip
    assert "rule insufficient" in err
