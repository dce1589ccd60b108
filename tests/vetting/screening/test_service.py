"""List versions, screenings and dispositions on the database under test (SQLite or
PostgreSQL): audited, scoped, and a damaged file leaves the active version in place."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from secassist.audit.keys import TrustedKeys
from secassist.audit.models import AuditEntry
from secassist.audit.verify import verify_log
from secassist.core.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from secassist.identity.policy import Principal
from secassist.storage.uow import read_only, unit_of_work
from secassist.vetting.screening import queries, service
from secassist.vetting.screening.matcher import ALGORITHM, DEFAULT_THRESHOLD
from secassist.vetting.screening.models import ScreeningListVersion
from tests.identity.factories import make_org, make_user, principal_of
from tests.vetting.screening.conftest import sanctions


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> dict[str, Principal]:
    with unit_of_work(session_factory) as s:
        state = make_org(s, "State PM", "state")
        dod = make_org(s, "DSCA", "dod")
        gao = make_org(s, "GAO", "auditor")
        partner = make_org(s, "Poland MoD", "partner", "PL")
        users = {
            "analyst": make_user(s, state, "analyst"),
            "case_manager": make_user(s, dod, "casemgr"),
            "auditor": make_user(s, gao, "auditor"),
            "partner": make_user(s, partner, "partner"),
        }
        return {k: principal_of(s, u) for k, u in users.items()}


def _tags(session_factory: sessionmaker[Session]) -> list[str]:
    with read_only(session_factory) as s:
        return list(s.scalars(select(AuditEntry.tag).order_by(AuditEntry.seq)))


def _verify(session_factory: sessionmaker[Session]) -> None:
    with read_only(session_factory) as s:
        report = verify_log(s, keys=TrustedKeys.none())
    assert report.ok, report.problems


def test_load_screen_dispose(session_factory: sessionmaker[Session], people: dict[str, Principal]) -> None:
    analyst = people["analyst"]
    with unit_of_work(session_factory) as s:
        v = service.load_list(s, actor=analyst, path=sanctions("un"))
        assert (v.list_name, v.entity_count, v.published.isoformat() if v.published else None) == (
            "un_sc_sanctions",
            1003,
            "2026-02-27",
        )
        assert len(v.files[0]["sha256"]) == 64
        service.load_list(s, actor=analyst, path=sanctions("ofac_consolidated_nonsdn_2025-12"))
    with unit_of_work(session_factory) as s:
        run = service.screen(
            s,
            actor=analyst,
            parties=[
                service.Party(names=["Korea Mining Development Trading Corp"]),
                service.Party(names=["Evergreen Dental Studios"]),
            ],
            subject="case PL-D-SAA",
        )
        run_id = run.id
        assert run.status == "potential_match"
        assert {(r["party"], r["list"], r["entity_id"]) for r in run.results} == {
            (0, "un_sc_sanctions", "KPe.001")
        }
        assert run.results[0]["score"] == "1.0000"
        assert {v["list_name"] for v in run.list_versions} == {"un_sc_sanctions", "us_ofac_cons"}
        assert (run.algorithm, run.threshold) == (ALGORITHM, f"{DEFAULT_THRESHOLD:.4f}")
        assert run.results[0]["features"][0]["name"] == "matched_name"
        assert queries.has_unresolved_match(s, run_id=run_id)
    with unit_of_work(session_factory) as s:
        service.record_disposition(
            s,
            actor=analyst,
            run_id=run_id,
            list_name="un_sc_sanctions",
            entity_id="KPe.001",
            disposition="unsure",
            note="same name, no address",
        )
        assert queries.has_unresolved_match(s, run_id=run_id)
    with unit_of_work(session_factory) as s:
        d = service.record_disposition(
            s,
            actor=analyst,
            run_id=run_id,
            list_name="un_sc_sanctions",
            entity_id="KPe.001",
            disposition="true_match",
            note="KOMID itself",
        )
        assert (d.actor, d.note) == (analyst.label, "KOMID itself")
        assert not queries.has_unresolved_match(s, run_id=run_id)
        assert queries.get_run(s, actor=analyst, run_id=run_id).status == "match"
    assert _tags(session_factory)[-5:] == [
        "screening:list:loaded",
        "screening:list:loaded",
        "screening:run:recorded",
        "screening:disposition:recorded",
        "screening:disposition:recorded",
    ]
    _verify(session_factory)


def test_false_positive_clears(session_factory: sessionmaker[Session], people: dict[str, Principal]) -> None:
    analyst = people["analyst"]
    with unit_of_work(session_factory) as s:
        service.load_list(s, actor=analyst, path=sanctions("ofac_sdn_sample_2025"))
        run = service.screen(s, actor=analyst, names=["Daniel Moreno"])
        rid = run.id
        hits = [(r["list"], r["entity_id"]) for r in run.results]
        assert ("us_ofac_sdn", "15102") in hits
    with unit_of_work(session_factory) as s:
        for lst, ent in hits:
            service.record_disposition(
                s,
                actor=analyst,
                run_id=rid,
                list_name=lst,
                entity_id=ent,
                disposition="false_positive",
                note="DOB",
            )
        assert queries.get_run(s, actor=analyst, run_id=rid).status == "clear"
        with pytest.raises(ValidationFailedError, match="not a result"):
            service.record_disposition(
                s, actor=analyst, run_id=rid, list_name="x", entity_id="1", disposition="unsure"
            )
        with pytest.raises(ValidationFailedError) as err:
            service.record_disposition(
                s, actor=analyst, run_id=rid, list_name=hits[0][0], entity_id=hits[0][1], disposition="maybe"
            )
        assert err.value.detail["field"] == "disposition"


def test_damaged_file_keeps_previous_version(
    session_factory: sessionmaker[Session], people: dict[str, Principal], tmp_path: Path
) -> None:
    with unit_of_work(session_factory) as s:
        good = service.load_list(s, actor=None, path=sanctions("bis_dpl"))
        good_id = good.id
    bad = tmp_path / "dpl"
    shutil.copytree(sanctions("bis_dpl"), bad)
    f = bad / "dpl_2019-07.txt"
    data = f.read_bytes()
    f.write_bytes(data[: data.index(b"\n", 5000) + 20])  # cut inside a quoted field
    with (
        pytest.raises(ValidationFailedError, match=r"dpl_2019-07.txt, line \d+"),
        unit_of_work(session_factory) as s,
    ):
        service.load_list(s, actor=None, path=bad)
    with read_only(session_factory) as s:
        active = queries.active_versions(s)
        assert [(v.id, v.list_name) for v in active] == [(good_id, "us_bis_dpl")]
        assert s.scalar(text("SELECT count(*) FROM screening_list_version")) == 1
    assert _tags(session_factory).count("screening:list:loaded") == 1


def test_access(session_factory: sessionmaker[Session], people: dict[str, Principal]) -> None:
    with unit_of_work(session_factory) as s:
        service.load_list(s, actor=None, path=sanctions("us_csl"))
        rid = service.screen(s, actor=people["analyst"], names=["Gryphon Aerospace"]).id
    with unit_of_work(session_factory) as s:
        # DoD and auditors read screenings; they may not write them.
        assert queries.get_run(s, actor=people["case_manager"], run_id=rid).id == rid
        assert queries.get_run(s, actor=people["auditor"], run_id=rid).id == rid
        for who in ("case_manager", "auditor"):
            with pytest.raises(PermissionDeniedError):
                service.screen(s, actor=people[who], names=["Anyone"])
        with pytest.raises(PermissionDeniedError):
            service.record_disposition(
                s,
                actor=people["auditor"],
                run_id=rid,
                list_name="us_trade_csl",
                entity_id="1",
                disposition="unsure",
            )
        # A partner cannot even learn that the screening exists.
        with pytest.raises(NotFoundError):
            queries.get_run(s, actor=people["partner"], run_id=rid)
        assert queries.list_runs(s, actor=people["partner"]) == []
        with pytest.raises(NotFoundError):
            queries.get_run(s, actor=people["analyst"], run_id=rid + 1000)


def test_no_lists_loaded(session_factory: sessionmaker[Session], people: dict[str, Principal]) -> None:
    with unit_of_work(session_factory) as s, pytest.raises(ValidationFailedError, match="no screening list"):
        service.screen(s, actor=people["analyst"], names=["X"])
    with read_only(session_factory) as s:
        assert s.scalars(select(ScreeningListVersion)).all() == []


def test_reloading_the_same_list_is_idempotent(
    session_factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    """Issue #16: ``screening load`` rerun after a crash that landed after the commit must
    not add a duplicate version: the same content reports the same version, writes nothing
    and records no audit entry. A changed file still makes a new version."""
    with unit_of_work(session_factory) as s:
        first = service.load_list(s, actor=people["analyst"], path=sanctions("bis_dpl")).id
    tags = _tags(session_factory)
    for _ in range(2):  # the rerun (twice: still nothing new)
        with unit_of_work(session_factory) as s:
            again = service.load_list(s, actor=people["analyst"], path=sanctions("bis_dpl"))
            assert (again.id, again.active) == (first, True)
    with read_only(session_factory) as s:
        assert s.scalar(text("SELECT count(*) FROM screening_list_version")) == 1
        assert s.scalar(text("SELECT count(*) FROM screening_entity")) == 1
    assert _tags(session_factory) == tags
    # Another list is another version; so is the same list with another publication date.
    with unit_of_work(session_factory) as s:
        other = service.load_list(s, actor=people["analyst"], path=sanctions("un")).id
        dated = service.load_list(
            s, actor=people["analyst"], path=sanctions("bis_dpl"), published=date(2030, 1, 2)
        ).id
    assert len({first, other, dated}) == 3
    with read_only(session_factory) as s:
        active = {v.list_name: v.id for v in queries.active_versions(s)}
    assert active["us_bis_dpl"] == dated
    assert _tags(session_factory).count("screening:list:loaded") == 3
    _verify(session_factory)
