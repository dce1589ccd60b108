"""``secassist cases participants`` and ``secassist transfers lead-nation``: the scripting
contract's spellings and keys, and one-line refusals with a non-zero exit."""

from __future__ import annotations

import json

import pytest

from tests.cases.factories import World
from tests.equipment.factories import Poland
from tests.support import run_cli


@pytest.fixture
def app_env(app_env: dict[str, str], world: World) -> dict[str, str]:
    """The commands act as the world's State policy officer (issue #16: a person, not the system)."""
    return {**app_env, "SECASSIST_AS": world.state.username}


def ok(env: dict[str, str], *args: str) -> str:
    proc = run_cli(env, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def refused(env: dict[str, str], *args: str) -> str:
    proc = run_cli(env, *args)
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1, proc.stderr
    return proc.stderr


def test_participants_and_lead_nation_transfers(
    nvds: list[str], poland: Poland, app_env: dict[str, str]
) -> None:
    ref = poland.case_ref
    rows = json.loads(ok(app_env, "cases", "participants", ref, "--add", "DE", "--format", "json"))
    assert rows == [{"country": "DE", "assurances_signed_on": None, "named_in_notification": False}]
    ok(app_env, "cases", "participants", ref, "--add", "CZ")
    assert "not a NATO member" in refused(app_env, "cases", "participants", ref, "--add", "AT")
    rows = json.loads(
        ok(app_env, "cases", "participants", ref, "--assurances", "DE", "--signed", "2026-01-02",
           "--named-in-notification", "DE", "--format", "json")
    )  # fmt: skip
    assert rows[0] == {"country": "DE", "assurances_signed_on": "2026-01-02", "named_in_notification": True}
    assert set(rows[1]) == {"country", "assurances_signed_on", "named_in_notification"}
    day = "2026-01-20"
    err = refused(app_env, "transfers", "lead-nation", ref, "--to", "CZ", "--on", day, "--serial", "N-1")
    assert "CZ has no signed" in err
    err = refused(app_env, "transfers", "lead-nation", ref, "--to", "FR", "--on", day, "--serial", "N-1")
    assert "needs U.S. consent" in err
    doc = json.loads(
        ok(app_env, "transfers", "lead-nation", ref, "--to", "DE", "--on", day, "--serial", "N-1",
           "--serial", "N-2", "--format", "json")
    )  # fmt: skip
    assert doc["to"] == "DE"
    assert doc["serials"] == ["N-1", "N-2"]
    assert "PM/RSAT" in doc["notice"]["body"]
    assert "table" not in ok(
        app_env, "transfers", "lead-nation", ref, "--to", "DE", "--on", day, "--serial", "N-3"
    )
    items = json.loads(ok(app_env, "equipment", "items", "--case", ref, "--format", "json"))
    assert {i["serial"]: i["holder_country"] for i in items if i["serial"].startswith("N-")} == {
        "N-1": "DE", "N-2": "DE", "N-3": "DE", "N-4": "PL",
    }  # fmt: skip


def test_a_lead_nation_lot_transfer_and_the_inboxes(
    nvds: list[str], poland: Poland, app_env: dict[str, str], world: World
) -> None:
    ref = poland.case_ref
    ok(app_env, "cases", "participants", ref, "--add", "DE", "--assurances", "DE", "--signed", "2026-01-02",
       "--named-in-notification", "DE")  # fmt: skip
    dod = {**app_env, "SECASSIST_AS": world.dod.username}  # deliveries are the implementing agency's
    got = json.loads(
        ok(dod, "equipment", "deliver", ref, "002", "--site", "Rzeszow depot", "--quantity", "500",
           "--on", "2026-01-15", "--format", "json")
    )  # fmt: skip
    lot = str(got["lot"]["lot_id"])
    day = "2026-01-20"
    err = refused(app_env, "transfers", "lead-nation", ref, "--to", "DE", "--on", day, "--lot", lot,
                  "--quantity", "501")  # fmt: skip
    assert "holds 500 units" in err
    doc = json.loads(
        ok(app_env, "transfers", "lead-nation", ref, "--to", "DE", "--on", day, "--lot", lot, "--quantity",
           "200", "--site", "Kaiserslautern depot", "--format", "json")
    )  # fmt: skip
    assert doc["serials"] == [f"200 units of lot {lot}"]
    inbox = json.loads(ok(app_env, "transfers", "inbox", "DE", "--format", "json"))
    assert [(e["request"], e["case"] is not None) for e in inbox] == [(None, True)]
    assert "arrived from PL" in inbox[0]["subject"]
