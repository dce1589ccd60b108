"""Third-party transfers end to end on a real database: findings, decision, execution in one
transaction (custody, holder, EEUM responsibility, inbox), refusals, temporary transfers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.core.clock import FixedClock
from secassist.core.errors import SeparationOfDutiesError
from secassist.equipment import monitoring
from secassist.equipment.models import CustodyEvent, Item
from secassist.storage.uow import read_only, unit_of_work
from secassist.transfers import queries, service
from secassist.transfers.errors import TransferRefusedError
from secassist.vetting import queries as vetting_queries
from secassist.workflows.trace_item import trace
from secassist.workflows.transfer_execute import decide_transfer, execute_transfer, return_transfer
from tests.cases.factories import World
from tests.identity.factories import office_reviewer
from tests.transfers.factories import file, sign_off


def _approved(factory: sessionmaker[Session], clock: FixedClock, serials: list[str], **kw: object) -> int:
    with unit_of_work(factory) as s:
        filed = file(s, clock, serials, **kw)  # type: ignore[arg-type]
        sign_off(s, filed)
        decide_transfer(
            s,
            actor=None,
            request_id=filed.request.id,
            decision="approve",
            on=clock.today(),
            provisos=["No further retransfer"],
            clock=clock,
        )
        return filed.request.id


def test_request_runs_every_check_with_evidence(
    session_factory: sessionmaker[Session], nvds: list[str], clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        filed = file(s, clock, nvds[:2])
        factors = {f.factor: f for f in filed.findings}
        assert {"un_arms_embargo", "itar_126_1", "screening"} <= set(factors)  # the vetting engine ran
        assert factors["direct_eligibility"].evidence == (f"vetting:decision:{filed.decision.id}",)  # type: ignore[union-attr]
        # $9,000 of NVDs to Germany: far below the §3(d) NATO thresholds ($25M / $100M).
        assert factors["congressional_certification"].outcome == "clear"
        assert factors["open_incidents"].outcome == "clear"
        assert filed.request.total_value_cents == 900_000
        assert not filed.request.notification_required
        rid = filed.request.id
    with read_only(session_factory) as s:
        tags = list(
            s.scalars(
                select(AuditEntry.tag).where(
                    AuditEntry.subject_type == "transfer_request", AuditEntry.subject_id == str(rid)
                )
            )
        )
        assert tags == ["transfer:request:created", "transfer:checks:recorded"]


def test_execution_moves_custody_holder_and_responsibility_at_once(
    session_factory: sessionmaker[Session], nvds: list[str], clock: FixedClock
) -> None:
    rid = _approved(session_factory, clock, nvds[:2])
    clock.advance(timedelta(days=2))
    with read_only(session_factory) as s:
        due_pl = {
            i.serial
            for i, _ in monitoring.due_inventories(
                s, actor=None, as_of=clock.today(), within_days=120, country="PL"
            )
        }
        assert due_pl == set(nvds)
    with unit_of_work(session_factory) as s:
        done = execute_transfer(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
        assert [e.country_code for e in done.inbox] == ["PL", "DE"]
        assert done.inbox[1].office == "ODC Germany"
    with read_only(session_factory) as s:
        items = {i.serial: i for i in s.scalars(select(Item))}
        assert {items[n].holder_country for n in nvds[:2]} == {"DE"}
        assert {items[n].holder_country for n in nvds[2:]} == {"PL"}
        assert items["N-1"].state == "stored"
        kinds = list(
            s.scalars(
                select(CustodyEvent.kind)
                .where(CustodyEvent.item_id == items["N-1"].id)
                .order_by(CustodyEvent.seq)
            )
        )
        assert kinds == ["delivered", "transferred", "received"]

        # EEUM responsibility is derived from the holder country: both due lists changed.
        def due(cc: str) -> set[str]:
            rows = monitoring.due_inventories(s, actor=None, as_of=clock.today(), within_days=120, country=cc)
            return {i.serial for i, _ in rows}

        assert due("PL") == set(nvds[2:])
        assert due("DE") == set(nvds[:2])
        report = monitoring.delinquency(s, actor=None, as_of=clock.today() + timedelta(days=200))
        by = {c.country: c for c in report.by_country}
        assert by["DE"].offices == ["ODC Germany"]
        assert by["DE"].eeum_items == 2
        assert by["PL"].eeum_items == 2
        # As of before the transfer the items were Poland's.
        before = monitoring.delinquency(s, actor=None, as_of=clock.today() - timedelta(days=1), country="PL")
        assert before.by_country[0].eeum_items == 4
        assert queries.inbox(s, actor=None, country="DE")[0].subject.startswith(f"Transfer {rid}")
        chain = trace(s, actor=None, serial="N-1")
        steps = [st.step for st in chain.steps]
        assert steps[-3:] == ["transfer_request", "transfer_decision", "transfer_execution"]
        # Each transfer step points at the request's entry with its own tag (the batched
        # lookup of every request's entries keeps them apart), and each has its proof.
        entries = {
            tag: seq
            for tag, seq in s.execute(
                select(AuditEntry.tag, AuditEntry.seq).where(
                    AuditEntry.subject_type == "transfer_request", AuditEntry.subject_id == str(rid)
                )
            )
        }
        moved = chain.steps[-3:]
        assert [st.audit_seq for st in moved] == [
            entries["transfer:request:created"],
            entries["transfer:request:approved"],
            entries["transfer:request:executed"],
        ]
        assert moved[1].detail["decision"] == "approve"
        assert moved[1].detail["provisos"] == ["No further retransfer"]
        assert moved[2].detail["on"] == clock.today().isoformat()
        assert {st.audit_seq for st in moved} <= {p["leaf_index"] for p in chain.proofs}
        assert queries.get_request(s, actor=None, request_id=rid).status == "executed"


def _refused(factory: sessionmaker[Session], rule: str, call: object) -> None:
    with read_only(factory) as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(TransferRefusedError) as e, unit_of_work(factory) as s:
        call(s)  # type: ignore[operator]
    assert e.value.rule == rule
    with read_only(factory) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_execution_refusals(
    session_factory: sessionmaker[Session], nvds: list[str], clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as s:
        pending = file(s, clock, ["N-3"]).request.id
    rid = _approved(session_factory, clock, ["N-1", "N-2"])
    clock.advance(timedelta(days=1))
    day = clock.today()
    late = day + timedelta(days=400)
    _refused(
        session_factory,
        "not_approved",
        lambda s: execute_transfer(s, actor=None, request_id=pending, on=day, clock=clock),
    )
    _refused(
        session_factory,
        "serials",
        lambda s: execute_transfer(s, actor=None, request_id=rid, on=day, serials=["N-1", "N-3"]),
    )
    _refused(
        session_factory,
        "lapsed",
        lambda s: execute_transfer(s, actor=None, request_id=rid, on=late, clock=clock),
    )
    with unit_of_work(session_factory) as s:
        execute_transfer(s, actor=None, request_id=rid, on=day, serials=["N-2", "N-1"], clock=clock)
    _refused(
        session_factory,
        "not_approved",
        lambda s: execute_transfer(s, actor=None, request_id=rid, on=day, clock=clock),
    )


def test_a_blocking_finding_cannot_be_approved(
    session_factory: sessionmaker[Session], nvds: list[str], clock: FixedClock, world: World
) -> None:
    with unit_of_work(session_factory) as s:
        monitoring.record_incident(
            s,
            actor=None,
            country="PL",
            kind="unauthorized_use",
            serial="N-4",
            discovered_on=clock.today(),
            description="seen in use",
            clock=clock,
        )
    with unit_of_work(session_factory) as s:
        filed = file(s, clock, ["N-4"])
        sign_off(s, filed)
        assert {f.factor: f.outcome for f in filed.findings}["open_incidents"] == "block"
        rid = filed.request.id
    _refused(
        session_factory,
        "blocked",
        lambda s: decide_transfer(s, actor=None, request_id=rid, decision="approve", on=clock.today()),
    )
    with unit_of_work(session_factory) as s:
        assert (
            decide_transfer(s, actor=None, request_id=rid, decision="deny", on=clock.today()).status
            == "denied"
        )


def test_temporary_transfer_returns_or_is_overdue(
    session_factory: sessionmaker[Session], nvds: list[str], clock: FixedClock
) -> None:
    back_by = clock.today() + timedelta(days=30)
    rid = _approved(session_factory, clock, ["N-1"], kind="temporary_repair", return_by=back_by)
    with unit_of_work(session_factory) as s:
        req = queries.get_request(s, actor=None, request_id=rid)
        assert not req.notification_required  # note (d): repair
        assert req.exclusion is not None
        execute_transfer(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
    with read_only(session_factory) as s:
        assert queries.overdue_returns(s, actor=None, on=back_by) == []
        assert [r.id for r in queries.overdue_returns(s, actor=None, on=back_by + timedelta(days=1))] == [rid]
    clock.advance(timedelta(days=31))
    with unit_of_work(session_factory) as s:
        return_transfer(s, actor=None, request_id=rid, on=clock.today(), clock=clock)
    with read_only(session_factory) as s:
        item = s.scalars(select(Item).where(Item.serial == "N-1")).one()
        assert (item.holder_country, item.holder_org, item.state) == ("PL", "Polish Armed Forces", "stored")
        assert queries.overdue_returns(s, actor=None, on=clock.today()) == []
        assert len(queries.inbox(s, actor=None, country="PL")) == 2


def test_temporary_transfer_needs_a_return_date(
    session_factory: sessionmaker[Session], nvds: list[str], clock: FixedClock
) -> None:
    from secassist.core.errors import ValidationFailedError

    with pytest.raises(ValidationFailedError, match="return_by"), unit_of_work(session_factory) as s:
        file(s, clock, ["N-1"], kind="temporary_exercise")


def test_access_holder_recipient_and_congress(
    session_factory: sessionmaker[Session], nvds: list[str], clock: FixedClock, world: World
) -> None:
    with unit_of_work(session_factory) as s:
        rid = file(s, clock, ["N-1"]).request.id
        jp = file(s, clock, ["N-2"], to="JP").request.id
    with read_only(session_factory) as s:
        assert {r.id for r in queries.list_requests(s, actor=world.pl)} == {rid, jp}  # the holder
        assert {r.id for r in queries.list_requests(s, actor=world.jp)} == {jp}  # the recipient
        assert queries.list_requests(s, actor=world.congress) == []  # nothing certified
        assert {r.id for r in queries.list_requests(s, actor=world.state)} == {rid, jp}
    with unit_of_work(session_factory) as s, pytest.raises(Exception, match="certification"):
        service.certify(s, actor=None, request_id=rid, on=clock.today())


def test_the_decider_may_not_approve_on_their_own_signoff(
    session_factory: sessionmaker[Session], nvds: list[str], clock: FixedClock, world: World
) -> None:
    """Separation of duties (issue #16): State's decision finalizes the vetting decision, so
    an officer who signed off for an office may not approve; another officer may."""
    with unit_of_work(session_factory) as s:
        filed = file(s, clock, ["N-1"])
        assert filed.decision is not None
        offices = vetting_queries.missing_signoffs(s, filed.decision)
        assert offices
        sign_off(s, filed)
        signer = office_reviewer(s, offices[0])
        rid = filed.request.id
    # (the unit of work inside: it sees the error and rolls back, as an adapter's does)
    with (
        pytest.raises(SeparationOfDutiesError, match=f"signed off for {offices[0]} and may not also approve"),
        unit_of_work(session_factory) as s,
    ):
        decide_transfer(s, actor=signer, request_id=rid, decision="approve", on=clock.today())
    with read_only(session_factory) as s:
        assert queries.get_request(s, actor=None, request_id=rid).status == "requested"
    with unit_of_work(session_factory) as s:
        req = decide_transfer(s, actor=world.state, request_id=rid, decision="approve", on=clock.today())
        assert (req.status, req.decided_by) == ("approved", world.state.label)
