"""Inventory reconciliation: a scan (CSV or XLSX) sorted into found / missing / unexpected /
wrong_site / gone; dry run vs apply; malformed files refused naming line and column with
nothing applied; a second application changes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.equipment import queries, service
from secassist.equipment.errors import CustodyRefusedError, MalformedFileError
from secassist.equipment.reconcile import parse_scan, reconcile
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.deliver import deliver
from tests.cases.factories import World
from tests.equipment.factories import Poland, refused, snapshot


def _setup(factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock) -> None:
    """N-1..N-5 at Rzeszow (N-5 later lost), N-6 at Powidz; carbines C-1, C-2 at Rzeszow."""
    with unit_of_work(factory) as s:
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="001", on=clock.today(),
                site="Rzeszow depot", serials=["N-1", "N-2", "N-3", "N-4", "N-5"], clock=clock)  # fmt: skip
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="001", on=clock.today(),
                site="Powidz depot", serials=["N-6"], clock=clock)  # fmt: skip
        deliver(s, actor=world.dod, case_ref=poland.case_ref, line_no="003", on=clock.today(),
                site="Rzeszow depot", serials=["C-1", "C-2"], clock=clock)  # fmt: skip
    clock.advance(timedelta(days=5))
    with unit_of_work(factory) as s:
        service.record_event(s, actor=world.dod, serial="N-5", kind="lost", on=clock.today(), clock=clock)
    clock.advance(timedelta(days=5))


CSV = (
    b"serial,item_type,nsn,condition\n"
    b"N-1,nvd_monocular,,serviceable\n"
    b"N-2,,5855-01-432-0524,\n"
    b"C-1,carbine,,\n"
    b"N-5,,,\n"
    b"N-6,,,\n"
    b"X-99,,,\n"
)


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_dry_run_then_apply_then_apply_again(
    session_factory: sessionmaker[Session],
    world: World,
    poland: Poland,
    clock: FixedClock,
    tags: Callable[[], list[str]],
    audit_ok: Callable[[], None],
) -> None:
    _setup(session_factory, world, poland, clock)
    before = snapshot(session_factory)
    with unit_of_work(session_factory) as s:
        dry = reconcile(s, actor=world.pl_sco, data=CSV, name="scan.csv", site="Rzeszow depot",
                        on=clock.today(), clock=clock)  # fmt: skip
    assert snapshot(session_factory) == before
    body = dry.as_json()
    assert [f["serial"] for f in body["found"]] == ["N-1", "N-2", "C-1"]
    assert body["found"][0]["condition"] == "serviceable"
    assert [m["serial"] for m in body["missing"]] == ["C-2", "N-3", "N-4"]
    assert body["unexpected"] == [{"line": 7, "serial": "X-99", "item_type": None}]
    assert body["wrong_site"] == [
        {"serial": "N-6", "item_type": "nvd_monocular", "registered_site": "Powidz depot"}
    ]
    assert body["gone"] == [{"serial": "N-5", "item_type": "nvd_monocular", "state": "lost"}]
    assert body["applied"] is False

    n = len(tags())
    with unit_of_work(session_factory) as s:
        applied = reconcile(s, actor=world.pl_sco, data=CSV, name="scan.csv", site="Rzeszow depot",
                            on=clock.today(), apply=True, performed_by="ODC Poland", clock=clock)  # fmt: skip
    assert (applied.applied, applied.recorded) == (True, 3)
    assert tags()[n:] == ["equipment:inventory:recorded"] + ["equipment:custody:inventoried"] * 3
    with read_only(session_factory) as s:
        item = queries.find_item(s, actor=None, serial="N-2")
        assert item.last_found_on == clock.today()
        last, seq = queries.events_of(s, item.id)[-1]
        assert (last.kind, last.found, last.performed_by, last.inventory_id) == (
            "inventoried", True, "ODC Poland", applied.inventory_id,
        )  # fmt: skip
        assert seq is not None
    after = snapshot(session_factory)
    with unit_of_work(session_factory) as s:
        again = reconcile(s, actor=world.pl_sco, data=CSV, name="scan.csv", site="Rzeszow depot",
                          on=clock.today(), apply=True, clock=clock)  # fmt: skip
    assert again.recorded == 0
    assert snapshot(session_factory) == after
    audit_ok()


def test_xlsx_scan(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    _setup(session_factory, world, poland, clock)
    data = _xlsx([["Serial", "Item_Type"], ["N-3", "nvd_monocular"], [None, None], ["N-4", None]])
    with unit_of_work(session_factory) as s:
        r = reconcile(s, actor=world.dod, data=data, name="scan.xlsx", site="Rzeszow depot", on=clock.today(),
                      apply=True, clock=clock)  # fmt: skip
    assert [f["serial"] for f in r.found] == ["N-3", "N-4"]
    assert r.recorded == 2


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b"serial,colour\nN-1,red\n", 1, "colour"),
        (b"item_type\nnvd_monocular\n", 1, "serial"),
        (b"serial,item_type\nN-1,nvd_monocular\n,carbine\n", 3, "serial"),
        (b"serial,item_type\nN-1,ray_gun\n", 2, "item_type"),
        (b"serial,nsn\nN-1,1234-56-789-0000\n", 2, "nsn"),
        (b"serial,item_type,nsn\nN-1,carbine,5855-01-432-0524\n", 2, "nsn"),
        (b"serial\nN-1\n\nN-2\nN-1\n", 5, "serial"),
        (b"serial\nN-1\n\xff\xfe\n", 3, "-"),
        (b"", 1, "serial"),
    ],
)
def test_malformed_files_name_line_and_column(data: bytes, line: int, column: str) -> None:
    with pytest.raises(MalformedFileError) as e:
        parse_scan(data, "scan.csv")
    assert (e.value.detail["line"], e.value.detail["column"]) == (line, column), e.value.message
    assert f"line {line}" in e.value.message


def test_a_malformed_file_applies_nothing(
    session_factory: sessionmaker[Session], world: World, poland: Poland, clock: FixedClock
) -> None:
    _setup(session_factory, world, poland, clock)
    bad = _xlsx([["serial", "item_type"], ["N-1", "nvd_monocular"], ["N-2", "phaser"]])
    e = refused(
        session_factory,
        MalformedFileError,
        lambda s: reconcile(
            s,
            actor=world.dod,
            data=bad,
            name="scan.xlsx",
            site="Rzeszow depot",
            on=clock.today(),
            apply=True,
            clock=clock,
        ),
    )
    assert "line 3, column item_type" in e.message
    refused(
        session_factory,
        MalformedFileError,
        lambda s: reconcile(
            s,
            actor=world.dod,
            data=b"PK\x03\x04garbage",
            name="scan.xlsx",
            site="Rzeszow depot",
            on=clock.today(),
            apply=True,
            clock=clock,
        ),
    )
    # an out-of-order inventory for one item refuses the whole application
    with unit_of_work(session_factory) as s:
        service.record_event(s, actor=world.dod, serial="N-1", kind="received", on=clock.today(), clock=clock)
    err = refused(
        session_factory,
        CustodyRefusedError,
        lambda s: reconcile(
            s,
            actor=world.dod,
            data=b"serial\nN-2\nN-1\n",
            name="scan.csv",
            site="Rzeszow depot",
            on=clock.today() - timedelta(days=1),
            apply=True,
            clock=clock,
        ),
    )
    assert isinstance(err, CustodyRefusedError)
    assert err.rule == "out_of_order"
