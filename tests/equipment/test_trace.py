"""A serial's trace: funding, case, line, delivery, every holder and site, inventories and
current state, each step with its audit entry and an inclusion proof that
``secassist audit verify-proof`` accepts offline against a signed checkpoint."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit import checkpoint as cp
from secassist.audit.models import AuditEntry
from secassist.cases import service as cases
from secassist.cases.lifecycle import Status
from secassist.core.clock import FixedClock
from secassist.core.errors import NotFoundError
from secassist.equipment import monitoring, queries, service, sites
from secassist.programs import service as programs
from secassist.storage.uow import read_only, unit_of_work
from secassist.workflows.deliver import deliver
from secassist.workflows.fund_case import fund_case_by_id
from secassist.workflows.trace_item import trace
from tests.audit import key_env
from tests.cases.factories import World, drive, open_case
from tests.support import run_cli


def _fmf_case(factory: sessionmaker[Session], world: World, clock: FixedClock) -> str:
    with unit_of_work(factory) as s:
        appr, _ = programs.create_appropriation(
            s,
            actor=None,
            program="FMF",
            fiscal_year=2026,
            amount="1000000",
            available_from=date(2025, 10, 1),
            available_until=date(2027, 9, 30),
            title="FMF FY2026",
            clock=clock,
        )
        programs.allocate(
            s,
            actor=None,
            appropriation_id=appr.id,
            country="PL",
            amount="500000",
            on=clock.today(),
            clock=clock,
        )
        case_id = open_case(s, world.dod, clock, financing="fmf", reference_number="PL-LOR-JAV")
        cases.add_line(
            s,
            actor=world.dod,
            case_id=case_id,
            item_type="electronics",
            description="Javelin command launch units",
            quantity=2,
            unit_cost="150000",
            usml_category="XII",
            clock=clock,
        )
        fund_case_by_id(s, actor=None, case_id=case_id, appropriation_id=appr.id, on=clock.today())
    drive(factory, case_id, Status.implemented, clock, world.dod)
    with unit_of_work(factory) as s:
        sites.create_site(
            s,
            actor=None,
            country="PL",
            name="Nowa Deba depot",
            organization="Polish Land Forces",
            clock=clock,
        )
        sites.create_unit(s, actor=None, country="PL", name="21st Podhale Rifles Brigade", clock=clock)
        ref = cases.get_case(s, actor=None, case_id=case_id).identifier
        deliver(
            s,
            actor=world.dod,
            case_ref=ref,
            line_no="001",
            on=clock.today(),
            site="Nowa Deba depot",
            serials=["CLU-1", "CLU-2"],
            manufacturer="Raytheon/Lockheed Martin",
            clock=clock,
        )
    clock.advance(timedelta(days=10))
    with unit_of_work(factory) as s:
        service.record_event(
            s, actor=world.pl_sco, serial="CLU-1", kind="received", on=clock.today(), clock=clock
        )
        service.record_event(
            s,
            actor=world.pl_sco,
            serial="CLU-1",
            kind="inventoried",
            found=True,
            on=clock.today(),
            performed_by="ODC Poland",
            clock=clock,
        )
        service.record_event(
            s,
            actor=world.pl_sco,
            serial="CLU-1",
            kind="issued",
            unit="21st Podhale Rifles Brigade",
            on=clock.today(),
            clock=clock,
        )
        monitoring.record_incident(
            s,
            actor=world.pl_sco,
            country="PL",
            kind="unauthorized_access",
            serial="CLU-1",
            discovered_on=clock.today(),
            description="Seal broken on the CLU case",
            clock=clock,
        )
    return ref


def test_the_trace_carries_every_step_with_a_proof(
    session_factory: sessionmaker[Session],
    world: World,
    clock: FixedClock,
    app_env: dict[str, str],
    backend: str,
    tmp_path: Path,
) -> None:
    ref = _fmf_case(session_factory, world, clock)
    app_env = key_env(app_env, backend, tmp_path)  # where the log's signing keys live
    note = run_cli(app_env, "audit", "checkpoint")
    assert note.returncode == 0, note.stderr
    pem = run_cli(app_env, "audit", "public-key")
    (tmp_path / "checkpoint.txt").write_text(note.stdout, encoding="utf-8")
    (tmp_path / "key.pem").write_text(pem.stdout, encoding="utf-8")
    size = cp.parse(note.stdout).tree_size

    with read_only(session_factory) as s:
        t = trace(s, actor=world.pl_sco, serial="CLU-1", size=size)
        tags = {e.seq: e.tag for e in s.query(AuditEntry)}
    body = t.model_dump(mode="json")
    assert {k: body[k] for k in ("serial", "item_type", "case", "line", "state", "holder_country")} == {
        "serial": "CLU-1",
        "item_type": "javelin_clu",
        "case": ref,
        "line": "001",
        "state": "issued",
        "holder_country": "PL",
    }
    assert [(e["kind"], e["site"]) for e in body["events"]] == [
        ("delivered", "Nowa Deba depot"),
        ("received", "Nowa Deba depot"),
        ("inventoried", "Nowa Deba depot"),
        ("issued", "Nowa Deba depot"),
    ]
    assert body["events"][-1]["holder"] == "PL: 21st Podhale Rifles Brigade"
    assert body["events"][0]["holder"] == "PL: Polish Land Forces"
    assert [tags[e["audit_seq"]] for e in body["events"]] == [
        "equipment:item:delivered",
        "equipment:custody:received",
        "equipment:custody:inventoried",
        "equipment:custody:issued",
    ]
    steps = {st["step"]: st for st in body["steps"]}
    assert steps["funding"]["detail"]["program"] == "FMF"
    assert Decimal(steps["funding"]["detail"]["obligated_usd"]) == Decimal("300000.00")
    assert tags[steps["funding"]["audit_seq"]] == "program:obligation:recorded"
    assert tags[steps["case"]["audit_seq"]] == "case:status:accepted"
    assert tags[steps["line"]["audit_seq"]].startswith("case:line:")
    assert body["incidents"][0]["kind"] == "unauthorized_access"
    # one proof per step, each verified offline by the witness's command
    seqs = sorted({st["audit_seq"] for st in body["steps"]} | {e["audit_seq"] for e in body["events"]})
    assert [p["leaf_index"] for p in body["proofs"]] == seqs
    for proof in body["proofs"]:
        path = tmp_path / f"proof-{proof['leaf_index']}.json"
        path.write_text(json.dumps(proof), encoding="utf-8")
        out = run_cli(
            app_env,
            "audit",
            "verify-proof",
            "--proof",
            str(path),
            "--checkpoint",
            str(tmp_path / "checkpoint.txt"),
            "--public-key",
            str(tmp_path / "key.pem"),
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(f"proof verifies: entry {proof['leaf_index']}")


def test_the_trace_is_scoped(session_factory: sessionmaker[Session], world: World, clock: FixedClock) -> None:

    _fmf_case(session_factory, world, clock)
    with read_only(session_factory) as s, pytest.raises(NotFoundError):
        trace(s, actor=world.jp, serial="CLU-2")


def test_the_trace_shows_the_incidents_each_reader_may_see(
    session_factory: sessionmaker[Session], world: World, clock: FixedClock
) -> None:
    # The trace reads incidents with precompiled statements binding the row rule; each
    # reader must get exactly what the scoped listing gives it.
    _fmf_case(session_factory, world, clock)
    with read_only(session_factory) as s:
        item = queries.find_item(s, actor=None, serial="CLU-1")
        for actor in (None, world.dod, world.state, world.auditor, world.pl, world.pl_sco):
            listed = monitoring.list_incidents(s, actor=actor, item_id=item.id)
            assert listed, actor
            got = trace(s, actor=actor, serial="CLU-1").incidents
            assert [i["id"] for i in got] == [i.id for i in listed]
            assert got[0] == {
                "id": listed[0].id,
                "kind": "unauthorized_access",
                "discovered_on": clock.today().isoformat(),
                "status": listed[0].status,
                "report_due_on": listed[0].report_due_on.isoformat(),
            }


def test_the_trace_finds_the_item_as_the_registry_does(
    session_factory: sessionmaker[Session], world: World, clock: FixedClock
) -> None:
    # The trace's precompiled item read binds the row rule: another country's reader is told
    # the serial does not exist, as queries.find_item tells it; the item type narrows.
    _fmf_case(session_factory, world, clock)
    with read_only(session_factory) as s:
        for actor in (world.jp, world.industry, world.congress):
            with pytest.raises(NotFoundError):
                queries.find_item(s, actor=actor, serial="CLU-1")
            with pytest.raises(NotFoundError, match="no item with serial 'CLU-1'"):
                trace(s, actor=actor, serial="CLU-1")
        for actor in (None, world.pl, world.pl_sco, world.dod):
            assert trace(s, actor=actor, serial=" CLU-1 ", item_type="JAVELIN_CLU").serial == "CLU-1"
            with pytest.raises(NotFoundError):
                trace(s, actor=actor, serial="CLU-1", item_type="m4_carbine")
