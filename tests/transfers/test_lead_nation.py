"""Lead-nation (multinational) cases on a real database: participants with their assurances
and §36(b) naming, the rules of a lead-nation transfer (consent, membership as of the date,
assurances, §3(d)), the notice to State on the first transfer to each participant, EEUM
following the holder, the trace, and what each participant sees."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.models import AuditEntry
from secassist.cases import participants as parts
from secassist.cases import queries as case_queries
from secassist.cases.common import get_case
from secassist.core.clock import FixedClock
from secassist.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.equipment import monitoring
from secassist.equipment import queries as equipment_queries
from secassist.equipment.models import CustodyEvent, Item
from secassist.identity.policy import Principal
from secassist.storage.uow import read_only, unit_of_work
from secassist.transfers import lead_nation as lnp
from secassist.transfers.errors import TransferRefusedError
from secassist.workflows.lead_nation import certification, transfer_lead_nation
from secassist.workflows.trace_item import trace
from tests.cases.factories import World, open_case
from tests.equipment.factories import Poland
from tests.identity.factories import make_org, make_user, principal_of


@dataclass(frozen=True)
class Lead:
    ref: str
    case_id: int
    de: Principal
    cz: Principal


@pytest.fixture
def lead(session_factory: sessionmaker[Session], nvds: list[str], poland: Poland, clock: FixedClock) -> Lead:
    """Poland's NVD case as a lead-nation case: DE (assurances, named in the §36(b)
    notification), CZ (assurances, not named), LT (no assurances yet)."""
    with unit_of_work(session_factory) as s:
        for cc in ("DE", "CZ", "LT"):
            parts.add_participant(s, actor=None, case_ref=poland.case_ref, country=cc, clock=clock)
        for cc in ("DE", "CZ"):
            parts.record_assurances(
                s,
                actor=None,
                case_ref=poland.case_ref,
                country=cc,
                signed_on=clock.today(),
                signatory=f"Minister of Defence of {cc}",
                clock=clock,
            )
        parts.mark_named_in_notification(s, actor=None, case_ref=poland.case_ref, country="DE", clock=clock)
        make_org(s, "ODC Czechia", "sco", "CZ")
        de = principal_of(s, make_user(s, make_org(s, "Germany MoD", "partner", "DE"), "user.de"))
        cz = principal_of(s, make_user(s, make_org(s, "Czechia MoD", "partner", "CZ"), "user.cz"))
    return Lead(poland.case_ref, poland.case_id, de, cz)


def _audit_count(factory: sessionmaker[Session]) -> int:
    with read_only(factory) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _refused(factory: sessionmaker[Session], rule: str, clock: FixedClock, **kw: object) -> str:
    before = _audit_count(factory)
    with pytest.raises(TransferRefusedError) as e, unit_of_work(factory) as s:
        transfer_lead_nation(s, actor=None, clock=clock, **kw)  # type: ignore[arg-type]
    assert e.value.rule == rule
    assert _audit_count(factory) == before  # nothing written
    return str(e.value)


def _holders(factory: sessionmaker[Session]) -> dict[str, str | None]:
    with read_only(factory) as s:
        return {i.serial: i.holder_country for i in s.scalars(select(Item))}


def test_participants_are_nato_members_of_a_lead_nation_case(
    session_factory: sessionmaker[Session], lead: Lead, clock: FixedClock, world: World
) -> None:
    with read_only(session_factory) as s:
        rows = parts.participant_rows(parts.participants_of(s, lead.case_id))
    assert rows == [
        {"country": "DE", "assurances_signed_on": clock.today().isoformat(), "named_in_notification": True},
        {"country": "CZ", "assurances_signed_on": clock.today().isoformat(), "named_in_notification": False},
        {"country": "LT", "assurances_signed_on": None, "named_in_notification": False},
    ]
    for cc, error, text in [
        ("AT", ValidationFailedError, "AT is not a NATO member on the case's date"),
        ("JP", ValidationFailedError, "not a NATO member"),
        ("PL", ValidationFailedError, "is the purchaser"),
        ("XX", ValidationFailedError, "unknown country"),
        ("DE", ConflictError, "already a participating nation"),
    ]:
        with pytest.raises(error, match=text), unit_of_work(session_factory) as s:
            parts.add_participant(s, actor=None, case_ref=lead.ref, country=cc, clock=clock)
    with (
        pytest.raises(NotFoundError, match="FR is not a participating nation"),
        unit_of_work(session_factory) as s,
    ):
        parts.record_assurances(
            s,
            actor=None,
            case_ref=lead.ref,
            country="FR",
            signed_on=clock.today(),
            signatory="x",
            clock=clock,
        )
    with pytest.raises(ValidationFailedError, match="signatory"), unit_of_work(session_factory) as s:
        parts.record_assurances(
            s,
            actor=None,
            case_ref=lead.ref,
            country="LT",
            signed_on=clock.today(),
            signatory=" ",
            clock=clock,
        )
    # A partner may not name participants (case development is the USG's).
    with pytest.raises(PermissionDeniedError), unit_of_work(session_factory) as s:
        parts.add_participant(s, actor=world.pl, case_ref=lead.ref, country="FR", clock=clock)
    # A Japanese purchaser is no lead nation; NSPA (W7) is.
    with unit_of_work(session_factory) as s:
        jp = get_case(
            s, actor=None, case_id=open_case(s, world.dod, clock, purchaser="JP", reference_number="JP-1")
        )
        nspa = get_case(
            s, actor=None, case_id=open_case(s, world.dod, clock, purchaser="NSPA", reference_number="NSPA-1")
        )
        jp_ref, nspa_ref = jp.identifier, nspa.identifier
    with (
        pytest.raises(ValidationFailedError, match="not a lead-nation case"),
        unit_of_work(session_factory) as s,
    ):
        parts.add_participant(s, actor=None, case_ref=jp_ref, country="DE", clock=clock)
    with unit_of_work(session_factory) as s:
        assert (
            parts.add_participant(s, actor=None, case_ref=nspa_ref, country="SE", clock=clock).country_code
            == "SE"
        )
    with read_only(session_factory) as s:
        tags = list(
            s.scalars(select(AuditEntry.tag).where(AuditEntry.subject_type == "fms_case_participant"))
        )
    assert tags.count("case:participant:added") == 4
    assert tags.count("case:participant:assurances") == 2
    assert tags.count("case:participant:named") == 1


def test_lead_nation_transfers_notice_blanket_and_refusals(
    session_factory: sessionmaker[Session], lead: Lead, nvds: list[str], clock: FixedClock
) -> None:
    clock.advance(timedelta(days=3))
    day = clock.today()
    msg = _refused(session_factory, "assurances", clock, case_ref=lead.ref, to="LT", on=day, serials=["N-1"])
    assert 'LT has no signed "Basic Retransfer Assurances' in msg
    msg = _refused(session_factory, "consent", clock, case_ref=lead.ref, to="FR", on=day, serials=["N-1"])
    assert "needs U.S. consent" in msg
    assert "transfers request" in msg
    _refused(session_factory, "consent", clock, case_ref=lead.ref, to="AT", on=day, serials=["N-1"])
    # The first transfer to DE: the notice to State, no §3(d) certification (named).
    with unit_of_work(session_factory) as s:
        done = transfer_lead_nation(
            s, actor=None, case_ref=lead.ref, to="de", on=day, serials=["N-1", "N-2"], clock=clock
        )
        assert done.notice is not None
        assert done.certification_exclusion == lnp.NAMED_EXCLUSION
        assert done.authority == f"lead-nation:{lead.ref}:notice:{done.notice.id}"
        body = done.notice.body
        for text in ("PM/RSAT", "serial N-1", "serial N-2", day.isoformat()):
            assert text in body
        assert json.loads(done.notice.serials) == ["N-1", "N-2"]
    # DE retransfers one to CZ: first to CZ, so a notice; not named, below §3(d) thresholds.
    clock.advance(timedelta(days=1))
    with unit_of_work(session_factory) as s:
        done = transfer_lead_nation(
            s, actor=None, case_ref=lead.ref, to="CZ", on=clock.today(), serials=["N-1"], clock=clock
        )
        assert done.notice is not None
        assert done.notice.from_country == "DE"
        assert done.certification_exclusion is None
    # Later transfers to DE go under the blanket authorization: no new notice.
    with unit_of_work(session_factory) as s:
        done = transfer_lead_nation(
            s, actor=None, case_ref=lead.ref, to="DE", on=clock.today(), serials=["N-3"], clock=clock
        )
        assert done.notice is None
        assert done.authority == f"lead-nation:{lead.ref}:blanket (SAMM C5.6, Fig. C5.F20)"
        assert len(lnp.notices_of(s, lead.case_id)) == 2
    assert _holders(session_factory) == {"N-1": "CZ", "N-2": "DE", "N-3": "DE", "N-4": "PL"}
    # Items already with the recipient, and serials of another case, are refused.
    with pytest.raises(ValidationFailedError, match="already holds"), unit_of_work(session_factory) as s:
        transfer_lead_nation(s, actor=None, case_ref=lead.ref, to="DE", on=clock.today(), serials=["N-2"])
    with (
        pytest.raises(ValidationFailedError, match="held by several countries"),
        unit_of_work(session_factory) as s,
    ):
        transfer_lead_nation(
            s, actor=None, case_ref=lead.ref, to="CZ", on=clock.today(), serials=["N-3", "N-4"]
        )
    with read_only(session_factory) as s:
        notes = set(s.scalars(select(CustodyEvent.note).where(CustodyEvent.kind == "received")))
    assert f"lead-nation:{lead.ref}:blanket (SAMM C5.6, Fig. C5.F20)" in notes


def test_membership_is_read_as_of_the_transfer_date(
    session_factory: sessionmaker[Session], lead: Lead, clock: FixedClock
) -> None:
    """Sweden joined NATO on 7 Mar 2024 (nato.yaml): a participant on a 2026 case, but a
    transfer dated before its accession is refused as to a non-member."""
    with unit_of_work(session_factory) as s:
        parts.add_participant(s, actor=None, case_ref=lead.ref, country="SE", clock=clock)
        parts.record_assurances(
            s,
            actor=None,
            case_ref=lead.ref,
            country="SE",
            signed_on=date(2023, 6, 1),
            signatory="Swedish Armed Forces",
            clock=clock,
        )
    msg = _refused(
        session_factory, "non_member", clock, case_ref=lead.ref, to="SE", on=date(2024, 1, 2), serials=["N-1"]
    )
    assert "recipient SE is not a NATO member on 2024-01-02" in msg
    with pytest.raises(TransferRefusedError, match="non_member"):
        lnp.check_member("SE", date(2024, 3, 6), role="recipient")
    lnp.check_member("SE", date(2024, 3, 7), role="recipient")
    lnp.check_member("NSPA", date(2024, 3, 6), role="recipient")  # NATO itself
    with unit_of_work(session_factory) as s:
        done = transfer_lead_nation(
            s, actor=None, case_ref=lead.ref, to="SE", on=clock.today(), serials=["N-1"], clock=clock
        )
        assert done.notice is not None


def test_section_3d_certification_when_the_notification_did_not_name_the_transferee() -> None:
    """AECA §3(d)(4)(C)(ii): none when named; otherwise the §3(d) NATO-member thresholds
    ($25M MDE / $100M total at original acquisition cost) apply as for any retransfer."""
    on = date(2026, 2, 1)
    big = 30_000_000_00
    assert certification("CZ", on, mde_cents=big, total_cents=big, named=True) == lnp.NAMED_EXCLUSION
    assert certification("CZ", on, mde_cents=big // 2, total_cents=big // 2, named=False) is None
    with pytest.raises(TransferRefusedError, match="did not name CZ") as e:
        certification("CZ", on, mde_cents=big, total_cents=big, named=False)
    assert e.value.rule == "certification"
    assert "transfers request" in str(e.value)


def test_eeum_follows_the_holder_and_the_trace_shows_each_transfer(
    session_factory: sessionmaker[Session], lead: Lead, nvds: list[str], clock: FixedClock
) -> None:
    clock.advance(timedelta(days=2))
    with unit_of_work(session_factory) as s:
        transfer_lead_nation(
            s, actor=None, case_ref=lead.ref, to="DE", on=clock.today(), serials=["N-1", "N-2"], clock=clock
        )
        transfer_lead_nation(
            s, actor=None, case_ref=lead.ref, to="CZ", on=clock.today(), serials=["N-2"], clock=clock
        )
    with read_only(session_factory) as s:

        def due(cc: str) -> set[str]:
            rows = monitoring.due_inventories(s, actor=None, as_of=clock.today(), within_days=120, country=cc)
            return {i.serial for i, _ in rows}

        assert due("PL") == {"N-3", "N-4"}
        assert due("DE") == {"N-1"}
        assert due("CZ") == {"N-2"}
        report = monitoring.delinquency(s, actor=None, as_of=clock.today() + timedelta(days=200))
        by = {c.country: c for c in report.by_country}
        assert by["CZ"].offices == ["ODC Czechia"]
        assert by["DE"].offices == ["ODC Germany"]
        assert sum(c.eeum_items for c in report.by_country) == 4
        t = trace(s, actor=None, serial="N-2")
        assert t.holder_country == "CZ"
        moves = [(e.kind, e.holder) for e in t.events]
        assert [k for k, _ in moves] == ["delivered", "transferred", "received", "transferred", "received"]
        assert all(e.audit_seq is not None for e in t.events)
        seqs = [e.audit_seq for e in t.events]
        tags = list(s.scalars(select(AuditEntry.tag).where(AuditEntry.seq.in_(seqs))))
        assert len(tags) == len(seqs)  # every custody event of the trace has its audit entry


def test_each_participant_sees_the_case_and_its_own_holdings_only(
    session_factory: sessionmaker[Session], lead: Lead, nvds: list[str], clock: FixedClock, world: World
) -> None:
    with unit_of_work(session_factory) as s:
        transfer_lead_nation(
            s, actor=None, case_ref=lead.ref, to="DE", on=clock.today(), serials=["N-1"], clock=clock
        )
        transfer_lead_nation(
            s, actor=None, case_ref=lead.ref, to="CZ", on=clock.today(), serials=["N-2"], clock=clock
        )
    with read_only(session_factory) as s:
        for who in (lead.de, lead.cz, world.pl):
            assert [c.case.identifier for c in case_queries.list_cases(s, actor=who).items] == [lead.ref]
            assert get_case(s, actor=who, case_id=lead.case_id).identifier == lead.ref
            detail = case_queries.case_detail(s, actor=who, ref=lead.ref)
            assert len(detail.lines) == 3
        assert case_queries.list_cases(s, actor=world.jp).items == []
        with pytest.raises(NotFoundError):
            get_case(s, actor=world.jp, case_id=lead.case_id)
        assert [i.serial for i in equipment_queries.list_items(s, actor=lead.de, case_id=lead.case_id)] == [
            "N-1"
        ]
        assert [i.serial for i in equipment_queries.list_items(s, actor=lead.cz, case_id=lead.case_id)] == [
            "N-2"
        ]
        # Not the other participants' (or the lead nation's) internal sites.
        assert {x.country_code for x in equipment_queries.list_sites(s, actor=lead.de)} <= {"DE"}
        assert equipment_queries.list_sites(s, actor=lead.cz) == []
        with pytest.raises(NotFoundError):
            equipment_queries.get_site(s, actor=lead.de, ref="Rzeszow depot")
        with pytest.raises(NotFoundError):
            equipment_queries.find_item(s, actor=lead.cz, serial="N-1")
    # A participant may move only what it holds.
    with pytest.raises(NotFoundError), unit_of_work(session_factory) as s:
        transfer_lead_nation(s, actor=lead.cz, case_ref=lead.ref, to="DE", on=clock.today(), serials=["N-3"])
