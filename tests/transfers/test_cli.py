"""``secassist transfers`` through the CLI: the scripting contract's spellings and JSON keys."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from secassist.core.clock import FixedClock
from secassist.storage.uow import unit_of_work
from tests.cases.factories import World
from tests.equipment.factories import Poland
from tests.support import run_cli
from tests.transfers.factories import file, sign_off


@pytest.fixture
def app_env(app_env: dict[str, str], world: World) -> dict[str, str]:
    """The commands act as the world's State policy officer (issue #16: a person, not the system)."""
    return {**app_env, "SECASSIST_AS": world.state.username}


def ok(env: dict[str, str], *args: str) -> str:
    proc = run_cli(env, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_request_contract_and_unscreened_parties_block(nvds: list[str], app_env: dict[str, str]) -> None:
    out = ok(app_env, "transfers", "request", "--from", "PL", "--to", "DE", "--kind", "retransfer",
             "--on", "2026-01-20", "--end-use", "Training", "--serial", "N-1", "--serial", "N-2",
             "--format", "json")  # fmt: skip
    doc = json.loads(out)
    assert set(doc) == {"id", "status", "findings", "notification"}
    assert doc["status"] == "requested"
    assert doc["notification"] == {"required": False, "section": None, "review_days": None}
    assert all(set(f) == {"factor", "outcome", "rationale"} for f in doc["findings"])
    outcomes = {f["factor"]: f["outcome"] for f in doc["findings"]}
    assert outcomes["screening"] == "block"  # no list loaded: the parties are not screened
    assert outcomes["direct_eligibility"] == "block"
    proc = run_cli(
        app_env, "transfers", "decide", str(doc["id"]), "--decision", "approve", "--on", "2026-01-06"
    )
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1
    assert "blocked by" in proc.stderr
    listed = json.loads(ok(app_env, "transfers", "list", "--country", "DE", "--format", "json"))
    assert [r["id"] for r in listed] == [doc["id"]]
    assert listed[0]["serials"] == "N-1 N-2"
    csv = ok(app_env, "transfers", "list", "--status", "requested", "--format", "csv")
    assert csv.splitlines()[0].startswith("id,status,kind,from,to")
    assert "PL" in ok(app_env, "transfers", "list", "--format", "table")


def test_decide_execute_and_the_registry_shows_the_new_holder(
    session_factory: sessionmaker[Session], nvds: list[str], poland: Poland, clock: FixedClock,
    app_env: dict[str, str],
) -> None:  # fmt: skip
    with unit_of_work(session_factory) as s:
        filed = file(s, clock, ["N-3"])
        sign_off(s, filed)
        rid = str(filed.request.id)
    day = clock.today().isoformat()
    ok(app_env, "transfers", "decide", rid, "--decision", "approve", "--proviso", "No further retransfer",
       "--on", day)  # fmt: skip
    proc = run_cli(app_env, "transfers", "execute", rid, "--on", day, "--serial", "N-4")
    assert proc.returncode != 0
    assert "rule serials" in proc.stderr
    assert "executed" in ok(app_env, "transfers", "execute", rid, "--on", day)
    items = {i["serial"]: i for i in json.loads(ok(app_env, "equipment", "items", "--case", poland.case_ref,
                                                   "--format", "json"))}  # fmt: skip
    assert items["N-3"]["holder_country"] == "DE"
    assert items["N-4"]["holder_country"] == "PL"
    inbox = json.loads(ok(app_env, "transfers", "inbox", "DE", "--format", "json"))
    assert inbox[0]["office"] == "ODC Germany"
    trace = json.loads(ok(app_env, "equipment", "trace", "N-3"))
    assert "transfer_execution" in [st["step"] for st in trace["steps"]]
